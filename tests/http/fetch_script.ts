/**
 * An injected `fetch` that answers from a script and records every call, for unit tests.
 * @module
 */
import type { Clock } from "../../src/clock.ts";
import { ThrottleGate } from "../../src/http/throttle_gate.ts";
import { Transport, type TransportOptions } from "../../src/http/transport.ts";

/** One call as the fake server saw it. */
export interface RecordedCall {
  method: string;
  url: string;
  headers: Headers;
  body: string;
  at: number;
  redirect: RequestRedirect | undefined;
}

/** Answers call number `n` (0-based). */
export type Responder = (call: RecordedCall, n: number, signal: AbortSignal | undefined) =>
  | Response
  | Promise<Response>;

/** A recording fetch driven by `responder`. */
export function scriptedFetch(clock: Clock, responder: Responder) {
  const calls: RecordedCall[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const call: RecordedCall = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: init?.body === undefined || init.body === null ? "" : String(init.body),
      at: clock.now(),
      redirect: init?.redirect,
    };
    calls.push(call);
    if (init?.signal?.aborted) throw init.signal.reason;
    return await responder(call, calls.length - 1, init?.signal ?? undefined);
  };
  return { fetch: fetchFn as typeof fetch, calls };
}

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Graph's error envelope. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  innerError: Record<string, unknown> = { "request-id": "req-1", date: "2026-01-01T00:00:00" },
): Response {
  return json({ error: { code, message, innerError } }, status, headers);
}

/** A promise that never settles until `signal` aborts (then rejects with its reason). */
export function hang(signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((_, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * A transport over `fetch` on `clock` for unit tests: no retries, a 5 s request timeout, a
 * throttle gate that waits at most 1 s; `extra` adds or overrides options (an error hook, say).
 */
export function testTransport(
  fetch: typeof globalThis.fetch,
  clock: Clock,
  extra: Partial<TransportOptions> = {},
): Transport {
  return new Transport({
    fetch,
    clock,
    gate: new ThrottleGate({ clock, maxWaitMs: 1000 }),
    requestTimeoutMs: 5000,
    maxRetries: 0,
    ...extra,
  });
}
