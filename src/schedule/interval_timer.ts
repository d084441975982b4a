/**
 * The fixed-interval timer: a tick at the start, then every period, on the injected clock.
 *
 * Waits are cut into slices of at most 30 s and the clock is read again after each, as croner
 * does, so a suspended laptop or a changed system clock is noticed. Ticks missed while the
 * process was suspended fire once, then the plan continues on the original grid.
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";

/** Longest single wait before the clock is read again. */
const MAX_SLICE_MS = 30_000;

/** Options of {@link IntervalTimer}. */
export interface IntervalTimerOptions {
  periodMs: number;
  /** Called at each tick with the planned instant; must not throw. */
  onTick: (planned: Date) => void;
  clock?: Clock;
}

/** Calls `onTick` at the start instant and every `periodMs` after it until stopped. */
export class IntervalTimer {
  #periodMs: number;
  #onTick: (planned: Date) => void;
  #clock: Clock;
  #controller = new AbortController();
  #next: number | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: IntervalTimerOptions) {
    if (!(options.periodMs > 0)) {
      throw new RangeError(
        `Cannot start interval timer: periodMs must be positive, got ${options.periodMs}`,
      );
    }
    this.#periodMs = options.periodMs;
    this.#onTick = options.onTick;
    this.#clock = options.clock ?? systemClock;
  }

  /** The next planned tick, undefined when stopped or not started. */
  get next(): Date | undefined {
    return this.#next === undefined ? undefined : new Date(this.#next);
  }

  /** Starts ticking; the first tick is at `anchorMs` (default: now). Starting twice is a no-op. */
  start(anchorMs: number = this.#clock.now()): void {
    if (this.#loop || this.#controller.signal.aborted) return;
    this.#next = anchorMs;
    this.#loop = this.#run(anchorMs).catch(() => {});
  }

  /** Stops ticking and resolves when the timer loop has ended. */
  async stop(): Promise<void> {
    this.#controller.abort();
    this.#next = undefined;
    await this.#loop;
  }

  async #run(anchor: number): Promise<void> {
    const signal = this.#controller.signal;
    let due = anchor;
    while (!signal.aborted) {
      let now = this.#clock.now();
      while (now < due) {
        await this.#clock.sleep(Math.min(due - now, MAX_SLICE_MS), signal);
        now = this.#clock.now();
      }
      due = anchor + (Math.floor((now - anchor) / this.#periodMs) + 1) * this.#periodMs;
      this.#next = due;
      this.#onTick(new Date(anchor + Math.floor((now - anchor) / this.#periodMs) * this.#periodMs));
    }
  }
}
