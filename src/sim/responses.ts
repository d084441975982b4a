/**
 * Response builders shared by the simulator's servers: JSON with an explicit Content-Length,
 * Graph's error envelope with `request-id` headers, and the date formats Microsoft uses.
 * @module
 */
import type { Fault } from "./types.ts";

/** Graph's JSON content type. */
export const GRAPH_JSON =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** Per-request identifiers Graph echoes in headers and error bodies. */
export interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

const isoCache = new Map<number, string>();

/** "2023-05-06T06:03:00Z": UTC, whole seconds (Graph's `createdDateTime` style). */
export function isoSeconds(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  let text = isoCache.get(seconds);
  if (text === undefined) {
    // Listings format the same few timestamps over and over; a bounded cache keeps it cheap.
    if (isoCache.size >= 10_000) isoCache.clear();
    text = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
    isoCache.set(seconds, text);
  }
  return text;
}

/** "2023-02-20T05:06:48": the `innerError.date` style (no zone designator). */
export function innerErrorDate(ms: number): string {
  return isoSeconds(ms).replace("Z", "");
}

/** A JSON response with Content-Length set (so truncation faults can break it). */
export function jsonResponse(
  body: unknown,
  init: { status?: number; headers?: HeadersInit; contentType?: string } = {},
): Response {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const headers = new Headers(init.headers);
  headers.set("content-type", init.contentType ?? "application/json; charset=utf-8");
  headers.set("content-length", String(bytes.length));
  return new Response(bytes, { status: init.status ?? 200, headers });
}

/** The `request-id`/`client-request-id` pair Graph returns on every answer. */
export function graphHeaders(ids: RequestIds, extra?: HeadersInit): Headers {
  const headers = new Headers(extra);
  headers.set("request-id", ids.requestId);
  headers.set("client-request-id", ids.clientRequestId);
  headers.set(
    "x-ms-ags-diagnostic",
    JSON.stringify({ ServerInfo: { DataCenter: "Simulated", Slice: "E", Ring: "5" } }),
  );
  return headers;
}

/** A Graph JSON success answer. */
export function graphJson(body: unknown, ids: RequestIds, status = 200): Response {
  return jsonResponse(body, { status, headers: graphHeaders(ids), contentType: GRAPH_JSON });
}

/** Default `code` and `message` of a Graph error by HTTP status. */
export function defaultGraphError(status: number): { code: string; message: string } {
  switch (status) {
    case 400:
      return { code: "invalidRequest", message: "Invalid request" };
    case 401:
      return { code: "unauthenticated", message: "Unauthenticated" };
    case 403:
      return { code: "accessDenied", message: "Access denied" };
    case 404:
      return { code: "itemNotFound", message: "The resource could not be found." };
    case 429:
      return { code: "activityLimitReached", message: "The request has been throttled" };
    case 503:
      return { code: "serviceNotAvailable", message: "Service unavailable" };
    case 504:
      return { code: "gatewayTimeout", message: "The operation timed out" };
    default:
      return { code: "generalException", message: "An unspecified error has occurred." };
  }
}

/** Graph's error envelope: `{"error":{"code","message","innerError":{date,request-id,...}}}`. */
export function graphError(
  status: number,
  ids: RequestIds,
  options: { code?: string; message?: string; now: number; headers?: HeadersInit },
): Response {
  const fallback = defaultGraphError(status);
  const body = {
    error: {
      code: options.code ?? fallback.code,
      message: options.message ?? fallback.message,
      innerError: {
        date: innerErrorDate(options.now),
        "request-id": ids.requestId,
        "client-request-id": ids.clientRequestId,
      },
    },
  };
  return jsonResponse(body, {
    status,
    headers: graphHeaders(ids, options.headers),
    contentType: GRAPH_JSON,
  });
}

/**
 * What SharePoint answers for a file Defender flagged (real-sharepoint-quirks.md §13): 403
 * `malwareDetected`, served as text/html, with `X-Virus-Infected: true`.
 */
export function malwareAnswer(context: { ids: RequestIds; now: number }): Response {
  const response = graphError(403, context.ids, {
    code: "malwareDetected",
    message: "Malware detected in the file. Downloading this file is blocked.",
    now: context.now,
    headers: { "x-virus-infected": "true" },
  });
  response.headers.set("content-type", "text/html; charset=utf-8");
  return response;
}

/**
 * The answer to a `status` fault (Graph error envelope with the fault's code, or the fault's own
 * body), or a 500 for any other fault kind an endpoint cannot act out itself.
 */
export function faultAnswer(fault: Fault, context: { ids: RequestIds; now: number }): Response {
  if (fault.kind !== "status") return graphError(500, context.ids, { now: context.now });
  const headers = new Headers(fault.headers);
  if (fault.retryAfter !== undefined) headers.set("retry-after", fault.retryAfter);
  if (fault.body !== undefined) {
    headers.set("content-type", fault.contentType ?? "application/json");
    return new Response(fault.body, {
      status: fault.status,
      headers: graphHeaders(context.ids, headers),
    });
  }
  return graphError(fault.status, context.ids, { code: fault.code, now: context.now, headers });
}
