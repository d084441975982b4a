/**
 * The one decoder that turns a failed HTTP exchange into a {@link GraphError}, and the URL
 * redaction every message and log line goes through.
 * @module
 */
import { GraphError, TimeoutError } from "../errors.ts";
import { graphErrorEnvelopeSchema, innerDetails } from "../graph/wire_types.ts";
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

/**
 * `url` without secrets: query values are replaced by "***" except OData options (`$top`,
 * `$skiptoken`, ...). Pre-authenticated download URLs carry a `tempauth` token in the query.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\?.*$/s, "?***");
  }
  const parts = parsed.search.slice(1).split("&").filter((p) => p !== "").map((part) => {
    const name = part.split("=")[0] ?? "";
    return /^(\$|%24)/i.test(name) ? part : `${name}=***`;
  });
  parsed.search = "";
  parsed.hash = "";
  parsed.username = "";
  parsed.password = "";
  return parts.length > 0 ? `${parsed.href}?${parts.join("&")}` : parsed.href;
}

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

/**
 * Builds the `GraphError` of an error answer: "Cannot <action>: <status> <code> <message>".
 * Reads `code`, `message`, the most detailed inner code and the request id from Graph's envelope
 * (either `innerError` casing); falls back to the status text and a short plain-text body.
 */
export function graphErrorFromBody(
  response: { status: number; statusText: string; headers: Headers },
  body: string,
  context: RequestContext,
): GraphError {
  let code: string | undefined;
  let text: string | undefined;
  let innerCode: string | undefined;
  let requestId = response.headers.get("request-id") ?? undefined;
  const parsed = graphErrorEnvelopeSchema.safeParse(tryJson(body));
  if (parsed.success) {
    code = parsed.data.error.code;
    text = parsed.data.error.message;
    const inner = innerDetails(parsed.data);
    innerCode = inner.innerCode;
    requestId ??= inner.requestId;
  } else if (body.trim() !== "" && body.length <= 300 && !/^\s*</.test(body)) {
    text = body;
  }
  const parts = [String(response.status), code ?? response.statusText, text ?? ""];
  const summary = parts.map((p) => p.replace(/\s+/g, " ").trim()).filter((p) => p !== "");
  const message = `Cannot ${context.action}: ${stripPeriod(summary.join(" "))}${
    statusHint(response.status)
  }`;
  return new GraphError(message, {
    status: response.status,
    code,
    innerCode,
    method: context.method,
    url: redactUrl(context.url),
    requestId,
  });
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

/** Reads (part of) the body of an error answer and decodes it with {@link graphErrorFromBody}. */
export async function decodeErrorResponse(
  response: Response,
  context: RequestContext,
): Promise<GraphError> {
  const body = await readTextLimited(response);
  return graphErrorFromBody(response, body, context);
}

/** The error for a request that got no answer because of a network failure. */
export function networkError(error: unknown, context: RequestContext): GraphError {
  const origin = safeOrigin(context.url);
  const reason = networkAdvice(error) ?? sanitizeText(deepestMessage(error), context.url);
  return new GraphError(`Cannot ${context.action}: cannot reach ${origin}: ${reason}`, {
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

function deepestMessage(error: unknown): string {
  let current = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message.replace(/\s+/g, " ").trim();
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "the server";
  }
}

function tryJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function stripPeriod(text: string): string {
  return text.replace(/\.+$/, "");
}
