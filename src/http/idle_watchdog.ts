/**
 * An idle timeout for streamed bodies: fires when no data arrived for `timeoutMs`.
 * Uses one timer per timeout period (not one per chunk), re-armed from the last activity.
 * @module
 */
import { type Clock, startTimer } from "../clock.ts";

/** Options of {@link IdleWatchdog}. */
export interface IdleWatchdogOptions {
  clock: Clock;
  timeoutMs: number;
  /** Called once when the stream has been idle for `timeoutMs`. */
  onIdle: () => void;
}

/** Calls `onIdle` after `timeoutMs` without {@link touch}; {@link stop} it when the stream ends. */
export class IdleWatchdog {
  #clock: Clock;
  #timeoutMs: number;
  #onIdle: () => void;
  #last: number;
  #cancel: () => void;
  #stopped = false;
  #fired = false;

  constructor(options: IdleWatchdogOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
    this.#onIdle = options.onIdle;
    this.#last = options.clock.now();
    this.#cancel = startTimer(this.#clock, this.#timeoutMs, () => this.#check());
  }

  /** True once the idle timeout fired. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Records activity (a chunk arrived). */
  touch(): void {
    this.#last = this.#clock.now();
  }

  /** Stops watching; releases the timer. */
  stop(): void {
    this.#stopped = true;
    this.#cancel();
  }

  /** At the end of a period: idle since the last touch, or re-armed for the rest of the period. */
  #check(): void {
    if (this.#stopped) return;
    const waitMs = this.#last + this.#timeoutMs - this.#clock.now();
    if (waitMs > 0) {
      this.#cancel = startTimer(this.#clock, waitMs, () => this.#check());
      return;
    }
    this.#fired = true;
    this.#onIdle();
  }
}
