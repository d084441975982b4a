/**
 * The one thin HTTP call every Graph, token, download and DB service request goes through:
 * timeout on the injected clock, `User-Agent`, the shared throttle gate, retries per
 * {@link classify}, and one error hook through which the caller's layer decodes its service's
 * error answers (the transport knows no service).
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { getLogger } from "@logtape/logtape";
import type { z } from "zod";
import { type Clock, startTimer } from "../clock.ts";
import { AbortedError, HttpError } from "../errors.ts";
import { parseJson } from "../parse_json.ts";
import { redactUrl } from "../redact.ts";
import { USER_AGENT } from "../version.ts";
import {
  type ErrorHook,
  httpErrorFromAnswer,
  networkError,
  readErrorAnswer,
  type RequestContext,
  timeoutError,
} from "./http_error.ts";
import { networkProblem } from "./network_diagnosis.ts";
import {
  backoffDelayMs,
  type BackoffOptions,
  classify,
  type RetryDecision,
} from "./retry_policy.ts";
import type { ThrottleGate } from "./throttle_gate.ts";

/** Supplies and renews the bearer token of authenticated requests. */
export interface AuthProvider {
  /** Value of the `Authorization` header, e.g. "Bearer eyJ...". */
  authorization(signal?: AbortSignal): Promise<string>;
  /**
   * Forgets the cached token so that the next {@link authorization} fetches a new one;
   * `rejected` is the `Authorization` value that was refused.
   */
  invalidate(rejected?: string): void;
}

/** One request. The body must be re-sendable (string or form), since retries replay it. */
export interface RequestSpec {
  /** Completes "Cannot <action>" in error messages, e.g. `list the files of "/Reports"`. */
  action: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  /** Adds the bearer token; a 401 `InvalidAuthenticationToken` then renews it once and replays. */
  auth?: AuthProvider;
  redirect?: RequestRedirect;
  signal?: AbortSignal;
  /** Non-2xx statuses handed back to the caller as they are (e.g. 302, or token errors). */
  passStatuses?: readonly number[];
}

/** A fully read answer. */
export interface TextResponse {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/** Options of {@link Transport}. */
export interface TransportOptions {
  fetch?: typeof fetch;
  clock: Clock;
  /**
   * Shared by every request of the client. Without a gate, a throttled answer is not waited
   * for: it fails like any other error answer.
   */
  gate?: ThrottleGate;
  /** `request_timeout_seconds` in ms: until the answer's headers (and the whole body of buffered reads). */
  requestTimeoutMs: number;
  /** Random numbers in [0, 1) for backoff jitter. Default `Math.random`. */
  random?: () => number;
  /** Retries of transient failures (network, timeout, 5xx) per request. Default 3. */
  maxRetries?: number;
  backoff?: BackoffOptions;
  userAgent?: string;
  logger?: Logger;
  /**
   * Gives each failure the caller's meaning (e.g. Graph's envelope decoder); runs before the
   * retry classification, which reads the `code` it fills. Default: the transport's
   * {@link HttpError} as it is.
   */
  onError?: ErrorHook;
}

/** Upper bound of throttled attempts of one request, whatever the wait budget. */
const MAX_THROTTLED_ATTEMPTS = 50;

/** Sends requests with timeout, retries and throttling, and decodes error answers. */
export class Transport {
  #fetch: typeof fetch;
  #clock: Clock;
  #gate: ThrottleGate | undefined;
  #onError: ErrorHook;
  #timeoutMs: number;
  #random: () => number;
  #maxRetries: number;
  #backoff: BackoffOptions;
  #userAgent: string;
  #log: Logger;

  constructor(options: TransportOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#clock = options.clock;
    this.#gate = options.gate;
    this.#onError = options.onError ?? ((failure) => failure.error);
    this.#timeoutMs = options.requestTimeoutMs;
    this.#random = options.random ?? Math.random;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#backoff = options.backoff ?? {};
    this.#userAgent = options.userAgent ?? USER_AGENT;
    this.#log = options.logger ?? getLogger(["ingest", "http"]);
  }

  /** The request timeout in ms (also the idle timeout of streamed bodies). */
  get requestTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * Sends `spec` and returns the answer with its body unread, for streaming. The timeout covers
   * the wait for headers only; the body is then bound to `spec.signal` (through one listener
   * that stays on it, so give each streamed request a signal of its own, not a run-wide one).
   * Throws the `HttpError` the error hook made, `ThrottledError`, `TimeoutError` or `AbortedError`.
   */
  open(spec: RequestSpec): Promise<Response> {
    return this.#run(spec, (response) => Promise.resolve(response), true);
  }

  /** Sends `spec` and reads the whole body within the timeout. */
  text(spec: RequestSpec): Promise<TextResponse> {
    return this.#run(spec, async (response) => ({
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      text: await readText(response),
    }));
  }

  /** Sends `spec` and validates the JSON answer with `schema` (unknown fields tolerated). */
  async json<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<z.infer<S>> {
    const answer = await this.text(spec);
    const parsed = parseJson(answer.text, schema);
    if (!parsed.ok) throw this.#invalid(spec, parsed.reason, parsed.cause);
    return parsed.value;
  }

  async #run<T>(
    spec: RequestSpec,
    consume: (r: Response) => Promise<T>,
    streaming = false,
  ): Promise<T> {
    const context: RequestContext = {
      action: spec.action,
      method: spec.method ?? "GET",
      url: spec.url,
    };
    let transientRetries = 0;
    let throttledAttempts = 0;
    let refreshed = false;
    for (;;) {
      await this.#gate?.pass(spec.signal);
      const outcome = await this.#attempt(spec, context, consume, streaming);
      if (outcome.ok) {
        this.#gate?.recordSuccess();
        return outcome.value;
      }
      const { error, decision } = outcome;
      switch (decision.kind) {
        case "retry-after":
        case "backoff": {
          const throttled = decision.kind === "retry-after" || decision.throttled;
          if (throttled) {
            if (!this.#gate) throw error;
            if (++throttledAttempts > MAX_THROTTLED_ATTEMPTS) throw error;
            const delayMs = decision.kind === "retry-after"
              ? decision.delayMs
              : backoffDelayMs(throttledAttempts - 1, this.#random, this.#backoff);
            this.#gate.close(delayMs, {
              action: context.action,
              method: context.method,
              url: error.url,
              status: error.status,
              requestId: error.requestId,
              cause: error,
            });
            this.#log.warn(
              "Throttled: {method} {url} got {status}; pausing all requests for {delayMs} ms",
              {
                method: context.method,
                url: redactUrl(context.url),
                status: error.status,
                delayMs,
              },
            );
            break;
          }
          if (transientRetries >= this.#maxRetries) throw error;
          const delayMs = backoffDelayMs(transientRetries++, this.#random, this.#backoff);
          this.#log.info("Retrying {method} {url} in {delayMs} ms: {error}", {
            method: context.method,
            url: redactUrl(context.url),
            delayMs,
            error: error.message,
          });
          await this.#clock.sleep(delayMs, spec.signal);
          break;
        }
        case "refresh-token":
          if (refreshed || !spec.auth) throw error;
          refreshed = true;
          spec.auth.invalidate(outcome.authorization);
          this.#log.info("Access token rejected by {url}; renewing it once", {
            url: redactUrl(context.url),
          });
          break;
        case "fatal":
          throw error;
      }
    }
  }

  async #attempt<T>(
    spec: RequestSpec,
    context: RequestContext,
    consume: (r: Response) => Promise<T>,
    streaming: boolean,
  ): Promise<
    | { ok: true; value: T }
    | { ok: false; error: HttpError; decision: RetryDecision; authorization?: string }
  > {
    // An aborted run sends nothing more.
    if (spec.signal?.aborted) throw abortedError(context, spec.signal);
    const headers = new Headers(spec.headers);
    headers.set("user-agent", this.#userAgent);
    const authorization = spec.auth ? await spec.auth.authorization(spec.signal) : undefined;
    if (authorization) headers.set("authorization", authorization);
    const timer = this.#startTimer(spec.signal);
    let bodyFollows = false;
    try {
      let phase = "no answer";
      try {
        const response = await this.#fetch(spec.url, {
          method: context.method,
          headers,
          body: spec.body,
          redirect: spec.redirect ?? "follow",
          signal: timer.signal,
        });
        if (response.ok || spec.passStatuses?.includes(response.status)) {
          phase = "no complete answer";
          const value = await consume(response);
          bodyFollows = streaming;
          return { ok: true, value };
        }
        phase = "no complete error answer";
        const answer = await readErrorAnswer(response);
        const error = this.#onError({
          error: httpErrorFromAnswer(answer, context),
          context,
          answer,
        });
        const decision = classify({
          status: response.status,
          code: error.code,
          headers: response.headers,
          authenticated: spec.auth !== undefined,
          now: this.#clock.now(),
        });
        return { ok: false, error, decision, ...(authorization ? { authorization } : {}) };
      } catch (cause) {
        if (spec.signal?.aborted) throw abortedError(context, spec.signal);
        if (cause instanceof HttpError) throw cause;
        const failure = timer.timedOut() ? "timeout" : "network";
        const error = failure === "timeout"
          ? timeoutError(this.#timeoutMs, context, phase)
          : this.#onError({ error: networkError(cause, context), context });
        // A refused certificate or proxy login fails the same way on every retry.
        const settled = failure === "network" &&
          ["tls", "proxy-auth"].includes(networkProblem(cause)?.kind ?? "");
        const decision: RetryDecision = settled
          ? { kind: "fatal" }
          : classify({ failure, authenticated: false, now: 0 });
        return { ok: false, error, decision };
      }
    } finally {
      timer.cancel({ keepFollowing: bodyFollows });
    }
  }

  /**
   * An abort signal that fires after the request timeout or when `outer` aborts: one controller,
   * one timer and one listener per request (cheaper than `AbortSignal.any` over two controllers).
   */
  #startTimer(outer: AbortSignal | undefined) {
    const controller = new AbortController();
    let timedOut = false;
    const cancelTimer = startTimer(this.#clock, this.#timeoutMs, () => {
      timedOut = true;
      controller.abort(new DOMException("The request timed out", "TimeoutError"));
    });
    const onOuter = () => controller.abort(outer?.reason);
    if (outer?.aborted) onOuter();
    else outer?.addEventListener("abort", onOuter, { once: true });
    return {
      signal: controller.signal,
      timedOut: () => timedOut,
      /** Stops the timeout; `keepFollowing`: the signal still follows `outer` (a streamed body). */
      cancel: (options: { keepFollowing: boolean }) => {
        cancelTimer();
        if (!options.keepFollowing) outer?.removeEventListener("abort", onOuter);
      },
    };
  }

  #invalid(spec: RequestSpec, reason: string, cause: unknown): HttpError {
    const context = { action: spec.action, method: spec.method ?? "GET", url: spec.url };
    const error = new HttpError(`Cannot ${spec.action}: ${reason}`, {
      cause,
      method: context.method,
      url: redactUrl(spec.url),
    });
    return this.#onError({ error, context });
  }
}

function abortedError(context: RequestContext, signal: AbortSignal): AbortedError {
  return new AbortedError(`Cannot ${context.action}: the run was aborted`, {
    cause: signal.reason,
  });
}

/**
 * The body as UTF-8 text, like `Response.text()` (BOM dropped, bad bytes replaced), decoded chunk
 * by chunk: `text()` gathers the whole body into one native buffer first, and for listing pages
 * of several hundred KB those buffers, freed after each page, stayed in the allocator's arenas
 * (about 5–10 MB of peak RSS on a 100,000-item listing, bench/README.md).
 */
async function readText(response: Response): Promise<string> {
  if (response.body === null) return "";
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for await (const chunk of response.body) parts.push(decoder.decode(chunk, { stream: true }));
  parts.push(decoder.decode());
  return parts.join("");
}
