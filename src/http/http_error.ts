/**
 * The transport's errors: what a failed HTTP exchange becomes before a caller's error hook
 * (e.g. Graph's envelope decoder in src/graph/graph_errors.ts) gives it the service's meaning.
 * @module
 */
import { describeError, HttpError, TimeoutError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { networkAdvice } from "./network_diagnosis.ts";

/** Longest error body read from a failed answer. */
const MAX_ERROR_BODY = 64 * 1024;

/** Which request failed, for messages and error fields. */
export interface RequestContext {
  /** Completes "Cannot <action>", e.g. `list the files of "/Reports"`. */
  action: string;
  method: string;
  url: string;
}

/** A non-2xx answer, with (at most 64 KiB of) its body read as text. */
export interface ErrorAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  body: string;
}

/** One failed exchange, as an {@link ErrorHook} sees it. */
export interface HttpFailure {
  /** The transport's own error for it. */
  error: HttpError;
  context: RequestContext;
  /** The error answer; absent when no answer arrived or the answer was not the expected shape. */
  answer?: ErrorAnswer;
}

/**
 * Gives a failed exchange the meaning of the service that was called, like ky's `beforeError`
 * or rclone's `SetErrorHandler`: e.g. decodes Graph's error envelope into a `GraphError` with
 * its `code`, which the retry classification then reads. Not called for timeouts, throttling
 * budgets or aborts.
 */
export type ErrorHook = (failure: HttpFailure) => HttpError;

/** Reads at most `limit` bytes of a body as text and releases the rest. */
export async function readTextLimited(response: Response, limit = MAX_ERROR_BODY): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, limit));
}

/** Reads (part of) the body of an error answer. */
export async function readErrorAnswer(response: Response): Promise<ErrorAnswer> {
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: await readTextLimited(response),
  };
}

/**
 * The transport's error of an answer: "Cannot <action>: <status> <status text> <short body>"
 * (a plain-text body of at most 300 characters; an HTML page is left out).
 */
export function httpErrorFromAnswer(answer: ErrorAnswer, context: RequestContext): HttpError {
  const text = plainBody(answer.body);
  return new HttpError(answerMessage(answer, context, { text }), {
    status: answer.status,
    method: context.method,
    url: redactUrl(context.url),
    requestId: answer.headers.get("request-id") ?? undefined,
  });
}

/**
 * "Cannot <action>: <status> <code or status text> <text>", on one line, without a final period.
 * For error hooks that decode a service's own body.
 */
export function answerMessage(
  answer: Pick<ErrorAnswer, "status" | "statusText">,
  context: Pick<RequestContext, "action">,
  detail: { code?: string | undefined; text?: string | undefined },
): string {
  const parts = [String(answer.status), detail.code ?? answer.statusText, detail.text ?? ""];
  const summary = parts.map((p) => p.replace(/\s+/g, " ").trim()).filter((p) => p !== "");
  return `Cannot ${context.action}: ${summary.join(" ").replace(/\.+$/, "")}`;
}

/** A short plain-text error body worth quoting, or `undefined` (empty, long or markup). */
export function plainBody(body: string): string | undefined {
  return body.trim() !== "" && body.length <= 300 && !/^\s*</.test(body) ? body : undefined;
}

/**
 * The error for a request that got no answer because of a network failure:
 * "Cannot <action>: cannot reach <origin>: <reason>". The reason names no URL (its query may
 * carry credentials; the origin is said already), and the cause chain is kept, redacted.
 */
export function networkError(error: unknown, context: RequestContext): HttpError {
  const origin = safeOrigin(context.url);
  const reason = networkAdvice(error) ?? networkReason(error, context.url);
  return new HttpError(`Cannot ${context.action}: cannot reach ${origin}: ${reason}`, {
    cause: sanitizeError(error, context.url),
    method: context.method,
    url: redactUrl(context.url),
  });
}

/** The error for a request that exceeded its timeout. */
export function timeoutError(
  timeoutMs: number,
  context: RequestContext,
  phase: string,
): TimeoutError {
  return new TimeoutError(
    `Cannot ${context.action}: ${phase} for ${timeoutMs / 1000} s (request_timeout_seconds)`,
    { method: context.method, url: redactUrl(context.url) },
  );
}

/** A copy of `error` whose messages no longer contain `url`'s query (cause chain kept, redacted). */
export function sanitizeError(error: unknown, url: string, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 4) return error;
  const copy = new Error(sanitizeText(error.message, url), {
    cause: sanitizeError(error.cause, url, depth + 1),
  });
  copy.name = error.name;
  return copy;
}

/** The network error's chain on one line, without fetch's "error sending request for url (…)". */
function networkReason(error: unknown, url: string): string {
  const text = describeError(sanitizeError(error, url))
    .replace(/error sending request for url \([^)]*\)(: )?/g, "")
    .replace(/^fetch failed: /i, "")
    .replace(/(: )+$/, "")
    .trim();
  return text || "fetch failed";
}

function sanitizeText(text: string, url: string): string {
  const redacted = redactUrl(url);
  let out = text.split(url).join(redacted);
  try {
    const parsed = new URL(url);
    if (parsed.search) out = out.split(parsed.search).join("?***");
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "the server";
  }
}
