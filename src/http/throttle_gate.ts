/**
 * One gate shared by every request of a client: a throttled answer closes it for everyone.
 *
 * Microsoft asks clients to pause **all** requests while throttled ("especially important in
 * multi-threaded scenarios"), and throttled retries still count against the limits. So when any
 * request gets a 429/503, no request of the run is sent until the wait has elapsed.
 * @module
 */
import type { Clock } from "../clock.ts";
import { ThrottledError } from "../errors.ts";
import { spanEvent } from "../telemetry/span_scope.ts";

/** Options of {@link ThrottleGate}. */
export interface ThrottleGateOptions {
  clock: Clock;
  /** Longest total time one throttling episode may keep the gate closed (`max_throttle_wait_seconds`). */
  maxWaitMs: number;
}

/** What a caller tells the gate when it closes it, for the error message. */
export interface CloseInfo {
  /** "Cannot <action>" phrase of the request that was throttled. */
  action: string;
  status?: number;
  method?: string;
  url?: string;
  requestId?: string;
  /** The error answer that closed the gate, kept as the `cause` of a {@link ThrottledError}. */
  cause?: unknown;
}

/**
 * A shared pause. {@link close} extends the closed period (never shortens it) and counts the
 * closed time of the current throttling episode; an episode ends with {@link recordSuccess}.
 * When an episode would exceed `maxWaitMs`, `close` throws {@link ThrottledError} instead of waiting.
 */
export class ThrottleGate {
  #clock: Clock;
  #maxWaitMs: number;
  #openAt = 0;
  #episodeMs = 0;

  constructor(options: ThrottleGateOptions) {
    this.#clock = options.clock;
    this.#maxWaitMs = options.maxWaitMs;
  }

  /** Time the current throttling episode has kept (or will keep) the gate closed. */
  get episodeWaitMs(): number {
    return this.#episodeMs;
  }

  /** When the gate opens, ms since the epoch (in the past when open). */
  get openAt(): number {
    return this.#openAt;
  }

  /** True while requests must wait. */
  get isClosed(): boolean {
    return this.#clock.now() < this.#openAt;
  }

  /**
   * Resolves once the gate is open; waits again when it is closed further meanwhile.
   * Rejects with `AbortedError` when `signal` aborts.
   */
  async pass(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const waitMs = this.#openAt - this.#clock.now();
      if (waitMs <= 0) return;
      spanEvent("ingest.throttle.wait", { "ingest.wait_ms": waitMs });
      await this.#clock.sleep(waitMs, signal);
    }
  }

  /**
   * Closes the gate for `delayMs` from now. Throws {@link ThrottledError} when this would take the
   * current episode past the budget; the gate is then left as it was.
   */
  close(delayMs: number, info: CloseInfo): void {
    const now = this.#clock.now();
    const until = now + Math.max(0, delayMs);
    const added = Math.max(0, until - Math.max(now, this.#openAt));
    if (this.#episodeMs + added > this.#maxWaitMs) {
      const waited = this.#episodeMs;
      throw new ThrottledError(
        `Cannot ${info.action}: still throttled after waiting ${formatSeconds(waited)}` +
          ` (server asks for ${formatSeconds(delayMs)} more; max_throttle_wait_seconds is` +
          ` ${formatSeconds(this.#maxWaitMs)})`,
        {
          waitedMs: waited,
          status: info.status,
          method: info.method,
          url: info.url,
          requestId: info.requestId,
          cause: info.cause,
        },
      );
    }
    this.#episodeMs += added;
    this.#openAt = Math.max(this.#openAt, until);
  }

  /** A request succeeded: the throttling episode is over and its budget starts again. */
  recordSuccess(): void {
    if (!this.isClosed) this.#episodeMs = 0;
  }
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, "")} s`;
}
