/**
 * Pure retry classification and delay maths for Graph, the token endpoint and download hosts.
 *
 * Microsoft's guidance: honour `Retry-After` on 429 **and** 503 (seconds, possibly fractional such
 * as "2.128", or an HTTP-date), take the greater of `Retry-After` and `RateLimit-Reset`, and fall
 * back to exponential backoff when neither is given. A Graph 401 `InvalidAuthenticationToken`
 * means the token expired: renew it once and replay.
 * @module
 */

/** What the caller should do with a failed attempt. */
export type RetryDecision =
  /** Throttled with a server-given wait: pause every request for `delayMs`. */
  | { kind: "retry-after"; delayMs: number }
  /** Transient (or throttled without a wait hint): wait an exponential backoff, then retry. */
  | { kind: "backoff"; throttled: boolean }
  /** The access token was rejected: renew it once and replay the request. */
  | { kind: "refresh-token" }
  /** Retrying cannot help. */
  | { kind: "fatal" };

/** One failed attempt, as the classifier sees it. */
export interface FailedAttempt {
  /** HTTP status, when an answer arrived. */
  status?: number;
  /** Graph error `code` of the answer's body, when there was one. */
  code?: string;
  /** Response headers (`Retry-After`, `RateLimit-Reset`). */
  headers?: Headers;
  /** Why no answer arrived: a network failure or the per-request timeout. */
  failure?: "network" | "timeout" | "aborted";
  /** Whether the request carried the Graph bearer token. */
  authenticated: boolean;
  /** Now, ms since the epoch (to turn an HTTP-date into a delay). */
  now: number;
}

/** Statuses that mean "slow down": 429, 503 and 509 (bandwidth cap). */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 509]);

/** Transient server failures worth a retry with backoff. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 500, 502, 504]);

/** Decides what to do after a failed attempt. Never sleeps, never reads the clock. */
export function classify(attempt: FailedAttempt): RetryDecision {
  if (attempt.failure === "aborted") return { kind: "fatal" };
  if (attempt.failure === "network" || attempt.failure === "timeout") {
    return { kind: "backoff", throttled: false };
  }
  const status = attempt.status ?? 0;
  if (THROTTLE_STATUSES.has(status)) {
    const delayMs = attempt.headers ? throttleDelayMs(attempt.headers, attempt.now) : undefined;
    return delayMs === undefined ? { kind: "backoff", throttled: true } : {
      kind: "retry-after",
      delayMs,
    };
  }
  if (TRANSIENT_STATUSES.has(status)) return { kind: "backoff", throttled: false };
  if (
    status === 401 && attempt.authenticated &&
    attempt.code?.toLowerCase() === "invalidauthenticationtoken"
  ) {
    return { kind: "refresh-token" };
  }
  return { kind: "fatal" };
}

/**
 * Parses a `Retry-After` value: delta seconds ("120", fractional "2.128") or an HTTP-date.
 * Returns milliseconds from `now` (never negative), or `undefined` when absent or malformed.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait a throttled answer asks for: the greater of `Retry-After` and `RateLimit-Reset`
 * (SharePoint documents that Retry-After is sometimes the smaller). `undefined` when neither is given.
 */
export function throttleDelayMs(headers: Headers, now: number): number | undefined {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), now);
  const reset = parseRetryAfter(headers.get("ratelimit-reset"), now);
  if (retryAfter === undefined) return reset;
  if (reset === undefined) return retryAfter;
  return Math.max(retryAfter, reset);
}

/** Shape of the exponential backoff. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 1000 ms. */
  baseMs?: number;
  /** Upper bound of any single delay. Default 30000 ms. */
  maxMs?: number;
}

/** Default backoff: 1 s, 2 s, 4 s, ... capped at 30 s, each scaled by a jitter in [0.5, 1). */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1000, maxMs: 30_000 };

/**
 * Delay before retry number `retry` (0 for the first retry): `min(maxMs, baseMs * 2^retry)` scaled
 * by "equal jitter" `0.5 + random() / 2`, so concurrent clients spread out but never retry at once.
 * @param random a number in [0, 1), injected for determinism.
 */
export function backoffDelayMs(
  retry: number,
  random: () => number,
  options: BackoffOptions = {},
): number {
  const { baseMs, maxMs } = { ...DEFAULT_BACKOFF, ...options };
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry));
  const jitter = 0.5 + Math.min(Math.max(random(), 0), 1) / 2;
  return Math.round(exponential * jitter);
}
