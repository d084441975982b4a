/**
 * An idle timeout for streamed bodies: fires when no data arrived for `timeoutMs`.
 * Uses one timer per timeout period (not one per chunk), re-armed from the last activity.
 * @module
 */
import type { Clock } from "../clock.ts";

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
  #stop = new AbortController();
  #fired = false;

  constructor(options: IdleWatchdogOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
    this.#onIdle = options.onIdle;
    this.#last = options.clock.now();
    this.#watch();
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
    this.#stop.abort();
  }

  async #watch(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const waitMs = this.#last + this.#timeoutMs - this.#clock.now();
      if (waitMs <= 0) {
        this.#fired = true;
        this.#onIdle();
        return;
      }
      try {
        await this.#clock.sleep(waitMs, this.#stop.signal);
      } catch {
        return;
      }
    }
  }
}
