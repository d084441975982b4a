/**
 * A fake clock with real timer semantics: `sleep()` waits until {@link TimerClock.advance} moves
 * the time past its deadline, so concurrent waiters, timeouts and gates can be stepped exactly.
 * @module
 */
import type { Clock } from "../../src/clock.ts";
import { AbortedError } from "../../src/errors.ts";

interface Timer {
  at: number;
  resolve: () => void;
}

/** Lets pending promise chains settle (one macrotask turn, a few times). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

export class TimerClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  /** Every delay asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
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
        reject(new AbortedError("Cannot wait: the run was aborted", { cause: signal.reason }));
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
        reject(new AbortedError("Cannot wait: the run was aborted", { cause: signal?.reason }));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
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
    throw new Error(`TimerClock.run: the promise did not settle within ${maxSteps} steps`);
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
