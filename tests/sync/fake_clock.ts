/**
 * A manual clock for tests: `now()` is pinned, `sleep()` records the delay, advances the time and
 * resolves at once (or rejects with `AbortedError` when the signal aborts).
 * @module
 */
import type { Clock } from "../../src/clock.ts";
import { AbortedError } from "../../src/errors.ts";

export class FakeClock implements Clock {
  #now: number;
  /** Every delay asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(start: Date | number) {
    this.#now = typeof start === "number" ? start : start.getTime();
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
    if (signal?.aborted) throw new AbortedError("Cannot wait: the run was aborted");
    this.#now += ms;
  }
}
