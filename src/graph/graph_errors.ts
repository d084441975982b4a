/**
 * Graph's side of the transport's error hook: decodes Graph's error envelope
 * `{"error":{"code","message","innerError":{...}}}` into a {@link GraphError}, and gives every
 * other failure of a Graph, token or download request the `GraphError` class.
 * @module
 */
import { GraphError } from "../errors.ts";
import {
  answerMessage,
  type ErrorAnswer,
  type HttpFailure,
  plainBody,
  type RequestContext,
} from "../http/http_error.ts";
import { redactUrl } from "../redact.ts";
import { graphErrorEnvelopeSchema, innerDetails } from "./wire_types.ts";

/**
 * The transport's error hook for Graph requests: an error answer becomes the `GraphError` of
 * its envelope ({@link graphErrorFromAnswer}); a network failure or an answer of the wrong shape
 * keeps its message, fields and cause as a `GraphError`.
 */
export function graphErrorHook(failure: HttpFailure): GraphError {
  if (failure.answer) return graphErrorFromAnswer(failure.answer, failure.context);
  const { error } = failure;
  if (error instanceof GraphError) return error;
  return new GraphError(error.message, {
    cause: error.cause,
    status: error.status,
    code: error.code,
    innerCode: error.innerCode,
    method: error.method,
    url: error.url,
    requestId: error.requestId,
  });
}

/**
 * Builds the `GraphError` of an error answer: "Cannot <action>: <status> <code> <message>".
 * Reads `code`, `message`, the most detailed inner code and the request id from Graph's envelope
 * (either `innerError` casing); falls back to the status text and a short plain-text body.
 */
export function graphErrorFromAnswer(answer: ErrorAnswer, context: RequestContext): GraphError {
  let code: string | undefined;
  let text: string | undefined;
  let innerCode: string | undefined;
  let requestId = answer.headers.get("request-id") ?? undefined;
  const parsed = graphErrorEnvelopeSchema.safeParse(tryJson(answer.body));
  if (parsed.success) {
    code = parsed.data.error.code;
    text = parsed.data.error.message;
    const inner = innerDetails(parsed.data);
    innerCode = inner.innerCode;
    requestId ??= inner.requestId;
  } else {
    text = plainBody(answer.body);
  }
  return new GraphError(
    answerMessage(answer, context, { code, text }) + statusHint(answer.status),
    {
      status: answer.status,
      code,
      innerCode,
      method: context.method,
      url: redactUrl(context.url),
      requestId,
    },
  );
}

/**
 * What an operator must know of a status whose Graph message does not say it: 423 is a site an
 * administrator locked or blocked (real-sharepoint-quirks.md §23), not a file in use.
 */
function statusHint(status: number): string {
  return status === 423
    ? " (423 Locked: the site is locked or blocked by a SharePoint administrator; ask them to " +
      "unlock it)"
    : "";
}

function tryJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
