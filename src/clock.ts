/**
 * Injected time: every component takes a `Clock` so tests can pin and advance time.
 * @module
 */
import { AbortedError } from "./errors.ts";

/** Reads the time and waits. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with `AbortedError` when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire` once after `ms` unless the returned function is called first. Optional: without
   * it {@link startTimer} falls back to {@link sleep}. The wall clock implements it with one
   * `setTimeout`, which costs a fraction of a cancelled `sleep` (no signal, promise or error).
   */
  timer?(ms: number, fire: () => void): () => void;
}

/**
 * A one-shot timer on `clock`: `fire` runs after `ms` unless the returned cancel function runs
 * first (cancelling twice or after firing is harmless). Hot paths (one per request) use it
 * instead of a `sleep` that is aborted, which builds an abort event and an `AbortedError`.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (clock.timer) return clock.timer(ms, fire);
  const stop = new AbortController();
  clock.sleep(ms, stop.signal).then(fire, () => {});
  return () => stop.abort();
}

/** Waits `ms` on a real timer; rejects with `AbortedError` when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError("Cannot wait: the run was aborted", { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError("Cannot wait: the run was aborted", { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function timer(ms: number, fire: () => void): () => void {
  const id = setTimeout(fire, Math.max(0, ms));
  return () => clearTimeout(id);
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now(), sleep, timer };
