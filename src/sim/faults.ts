/**
 * Scripted faults: which rule applies to a request ({@link FaultPlan}) and how a fault changes
 * the answer's body ({@link withBodyFault}, {@link resetResponse}).
 *
 * Faults that replace the answer ("status", "expire-token", "expire-url", "reset") are decided
 * before the server handles the request; "delay" waits first and then answers normally;
 * "ignore-range" answers normally as if no `Range` header had been sent; body
 * faults ("truncate", "corrupt", "slow") rewrite a normal answer's body as it streams.
 * @module
 */
import { SeededRandom } from "./prng.ts";
import type { SimServerName } from "./request_log.ts";
import type { Fault, FaultMatch, FaultRule } from "./types.ts";

/** What a fault rule is matched against. */
export interface FaultTarget {
  server: SimServerName;
  /** Decoded request path. */
  path: string;
  /** File the request addresses, when the server can tell. */
  file: string | undefined;
}

/** Faults that rewrite the body of a normal answer. */
export type BodyFault = Extract<Fault, { kind: "truncate" | "corrupt" | "slow" }>;

/** True for faults applied to the body of a normal answer. */
export function isBodyFault(fault: Fault): fault is BodyFault {
  return fault.kind === "truncate" || fault.kind === "corrupt" || fault.kind === "slow";
}

/** Whether `kind` makes sense on `server` (a token fault only on Graph, a URL fault only on downloads). */
export function faultApplies(kind: Fault["kind"], server: SimServerName): boolean {
  if (kind === "expire-token") return server === "graph";
  if (kind === "expire-url" || kind === "ignore-range") return server === "download";
  return true;
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  if (match.server !== undefined && match.server !== target.server) return false;
  if (match.file !== undefined && match.file !== target.file) return false;
  if (match.path === undefined) return true;
  return typeof match.path === "string"
    ? target.path.includes(match.path)
    : match.path.test(target.path);
}

/** The active fault rules, consumed in order. */
export class FaultPlan {
  #rules: { rule: FaultRule; remaining: number }[] = [];
  #random: SeededRandom;

  constructor(seed: number) {
    this.#random = new SeededRandom(seed);
  }

  /** Adds a rule after the existing ones. */
  add(rule: FaultRule): void {
    const remaining = rule.times ?? (rule.probability === undefined ? 1 : Infinity);
    this.#rules.push({ rule, remaining });
  }

  clear(): void {
    this.#rules = [];
  }

  /** The first rule that fires for `target`, consuming one of its uses. */
  pick(target: FaultTarget): Fault | undefined {
    for (const slot of this.#rules) {
      if (slot.remaining <= 0) continue;
      if (!faultApplies(slot.rule.fault.kind, target.server)) continue;
      if (!matches(slot.rule.match, target)) continue;
      const p = slot.rule.probability;
      if (p !== undefined && this.#random.next() >= p) continue;
      slot.remaining--;
      return slot.rule.fault;
    }
    return undefined;
  }
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Headers and then no body: Content-Length promises bytes that never come, so the connection
 * is dropped and the client's read fails (Deno.serve always sends the status line first).
 */
export function resetResponse(length = 1): Response {
  const headers = new Headers({ "content-length": String(Math.max(1, length)) });
  const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  return new Response(body, { status: 200, headers });
}

function declaredLength(response: Response): number | undefined {
  const value = Number(response.headers.get("content-length") ?? NaN);
  return Number.isSafeInteger(value) ? value : undefined;
}

type Pull = (controller: ReadableStreamDefaultController<Uint8Array>) => Promise<void>;

function rewrap(response: Response, cancel: () => Promise<void>, pull: Pull): Response {
  const body = new ReadableStream<Uint8Array>({ pull, cancel }, { highWaterMark: 0 });
  return new Response(body, { status: response.status, headers: response.headers });
}

/** Applies a body fault to `response`; `signal` (simulator shutdown) ends pauses early. */
export function withBodyFault(response: Response, fault: BodyFault, signal: AbortSignal): Response {
  if (response.body === null) return response;
  const reader = response.body.getReader();
  const stopped = new AbortController();
  const cancel = async () => {
    stopped.abort();
    await reader.cancel();
  };
  const pauses = AbortSignal.any([signal, stopped.signal]);
  switch (fault.kind) {
    case "truncate":
      return rewrap(response, cancel, truncating(reader, fault.afterBytes));
    case "corrupt":
      return rewrap(
        response,
        cancel,
        corrupting(reader, Math.floor((declaredLength(response) ?? 0) / 2)),
      );
    case "slow":
      return rewrap(response, cancel, slowing(reader, fault, pauses));
  }
}

function truncating(reader: ReadableStreamDefaultReader<Uint8Array>, afterBytes: number): Pull {
  let sent = 0;
  return async (controller) => {
    if (sent >= afterBytes) {
      await reader.cancel();
      controller.close();
      return;
    }
    const { done, value } = await reader.read();
    if (done) return controller.close();
    const piece = value.subarray(0, afterBytes - sent);
    sent += piece.length;
    controller.enqueue(piece);
  };
}

function corrupting(reader: ReadableStreamDefaultReader<Uint8Array>, target: number): Pull {
  let offset = 0;
  return async (controller) => {
    const { done, value } = await reader.read();
    if (done) return controller.close();
    let chunk = value;
    if (target >= offset && target < offset + value.length) {
      chunk = value.slice();
      chunk[target - offset]! ^= 0xff;
    }
    offset += value.length;
    controller.enqueue(chunk);
  };
}

function slowing(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  fault: Extract<Fault, { kind: "slow" }>,
  signal: AbortSignal,
): Pull {
  const size = Math.max(1, fault.chunkBytes ?? 16 * 1024);
  let pending: Uint8Array = new Uint8Array(0);
  let pieces = 0;
  return async (controller) => {
    if (pending.length === 0) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      pending = value;
    }
    if (pieces > 0) await pause(fault.delayMs, signal);
    if (pieces === 1 && fault.stallMs) await pause(fault.stallMs, signal);
    if (signal.aborted) throw new DOMException("The simulator stopped the body", "AbortError");
    const piece = pending.subarray(0, size);
    pending = pending.subarray(piece.length);
    pieces++;
    controller.enqueue(piece);
  };
}
