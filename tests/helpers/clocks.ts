/**
 * The test clocks, one of each kind, and {@link settle}:
 * - {@link SteppedClock}: fake time with real timer semantics; sleeps wait until `advance` moves
 *   the time past their deadline, so concurrent waiters, timeouts and schedules step exactly.
 * - {@link ManualClock}: fake time whose sleeps return at once, moving the time by their delay.
 * - {@link OffsetClock}: the wall clock shifted by an offset tests move forward; real sleeps.
 * Each records every delay asked of `sleep` in `sleeps`.
 * @module
 */
import { setImmediate } from "node:timers";
import { type Clock, sleep } from "../../src/clock.ts";
import { AbortedError } from "../../src/errors.ts";

/**
 * Lets pending promise chains and finished I/O settle: a few turns of the event loop (no fake
 * time advances). `setImmediate`, unlike a nested `setTimeout(0)`, is not clamped to 4 ms, so
 * stepping a clock through hours of 30 s slices stays fast.
 */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** An instant: a Date, an ISO string or milliseconds since the epoch. */
export type Instant = Date | string | number;

function epochMs(start: Instant): number {
  if (typeof start === "number") return start;
  return typeof start === "string" ? Date.parse(start) : start.getTime();
}

function abortedWait(signal: AbortSignal | undefined): AbortedError {
  return new AbortedError("Cannot wait: the run was aborted", { cause: signal?.reason });
}

interface Timer {
  at: number;
  resolve: () => void;
}

/** Fake time with real timer semantics: nothing fires until {@link SteppedClock.advance}. */
export class SteppedClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  /** Every delay asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start: Instant = 1_700_000_000_000) {
    this.#now = epochMs(start);
  }

  now(): number {
    return this.#now;
  }

  /** Number of sleeps still waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortedWait(signal));
        return;
      }
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(abortedWait(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Sets the time to `to` without firing anything (a changed system clock, a resumed laptop). */
  jump(to: Instant): void {
    this.#now = epochMs(to);
  }

  /** Settles `promise`, jumping the time to each next timer while it is pending. */
  async run<T>(promise: Promise<T>, maxSteps = 500): Promise<T> {
    let done = false;
    promise.then(() => (done = true), () => (done = true));
    for (let step = 0; step < maxSteps; step++) {
      await settle();
      if (done) return await promise;
      const next = Math.min(...this.#timers.map((t) => t.at));
      if (Number.isFinite(next)) await this.advance(Math.max(0, next - this.#now));
    }
    throw new Error(`SteppedClock.run: the promise did not settle within ${maxSteps} steps`);
  }

  /** Moves time forward by `ms`, firing due timers in deadline order and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Options of {@link ManualClock}. */
export interface ManualClockOptions {
  /** Runs inside each `sleep`, with the number of sleeps so far (1 for the first). */
  onSleep?: (count: number) => void | Promise<void>;
}

/**
 * Pinned fake time: `sleep()` records the delay, runs `onSleep`, advances the time and resolves
 * at once (or rejects with `AbortedError` when the signal has aborted by then).
 */
export class ManualClock implements Clock {
  #now: number;
  #onSleep: ManualClockOptions["onSleep"];
  /** Every delay asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start: Instant, options: ManualClockOptions = {}) {
    this.#now = epochMs(start);
    this.#onSleep = options.onSleep;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    await Promise.resolve();
    await this.#onSleep?.(this.sleeps.length);
    if (signal?.aborted) throw new AbortedError("Cannot wait: the run was aborted");
    this.#now += ms;
  }
}

/**
 * The wall clock, shifted: it starts at `start` (default: now) and moves with real time;
 * `advance` jumps ahead (minimum age, hours between runs). Sleeps are real, so the HTTP
 * transport's timeouts behave as in production.
 */
export class OffsetClock implements Clock {
  #offset: number;
  /** Every delay asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start?: Instant) {
    this.#offset = start === undefined ? 0 : epochMs(start) - Date.now();
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    this.#offset += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return sleep(ms, signal);
  }
}
