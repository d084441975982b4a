/**
 * `HttpDbServiceClient`: the {@link DBServiceClient} over HTTP, per docs/db-service.md.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type Clock, systemClock } from "../clock.ts";
import type { Settings } from "../config/settings.ts";
import { AbortedError, DbServiceError, HttpError, TimeoutError } from "../errors.ts";
import type { HttpFailure } from "../http/http_error.ts";
import { Transport } from "../http/transport.ts";
import { parseJson } from "../parse_json.ts";
import { redactUrl } from "../redact.ts";
import type { DBServiceClient, TimeWindow } from "./db_service_client.ts";
import { ingestedAnswerSchema, namesIn } from "./wire_types.ts";

const log = getLogger(["ingest", "db"]);

/** Longest body excerpt put into an error message. */
export const EXCERPT_MAX_CHARS = 200;

/** Options of {@link HttpDbServiceClient}. */
export interface HttpDbServiceClientOptions {
  /** `db_service_url`; its own query parameters are kept, `since`/`until` are set. */
  url: string;
  /** `db_service_token`, sent as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
  /** Limit for the whole exchange, headers and body (`db_timeout_seconds` × 1000). */
  timeoutMs: number;
  /** Injected fetch, default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** Runs the timeout; default the system clock. */
  clock?: Clock | undefined;
}

/**
 * Asks the DB service which file names were ingested in a window:
 * `GET <url>?since=<RFC 3339 UTC>&until=<RFC 3339 UTC>`, once (a failed run is retried by the
 * next run), through the shared transport with the injected clock.
 *
 * Accepts `{"filenames": [...]}` or a bare JSON array of strings. Any other outcome (no
 * connection, timeout, non-2xx, a body that is not JSON or not one of those shapes) throws
 * `DbServiceError` with the HTTP status (when there was one) and a short one-line body excerpt;
 * no message shows the URL's query. When the caller's `signal` aborts, throws `AbortedError`.
 */
export class HttpDbServiceClient implements DBServiceClient {
  #url: URL;
  #token: string | undefined;
  #timeoutMs: number;
  #clock: Clock;
  #transport: Transport;

  constructor(options: HttpDbServiceClientOptions) {
    this.#url = new URL(options.url);
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock ?? systemClock;
    this.#transport = new Transport({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      clock: this.#clock,
      requestTimeoutMs: options.timeoutMs,
      maxRetries: 0,
      logger: log,
      onError: answerError,
    });
  }

  /** The request URL for `window`: the configured URL with `since` and `until` set. */
  requestUrl(window: TimeWindow): URL {
    const url = new URL(this.#url);
    url.searchParams.set("since", window.since.toISOString());
    url.searchParams.set("until", window.until.toISOString());
    return url;
  }

  async listIngested(window: TimeWindow, signal?: AbortSignal): Promise<string[]> {
    const where = redactUrl(this.#url, { query: "drop" });
    const started = this.#clock.now();
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let text: string;
    let status: number;
    try {
      const answer = await this.#transport.text({
        action: `query DB service ${where}`,
        url: this.requestUrl(window).href,
        headers,
        ...(signal ? { signal } : {}),
      });
      ({ text, status } = answer);
    } catch (error) {
      throw this.#failure(error, where);
    }
    const names = namesOf(text, status, where);
    log.debug("DB service listed {count} names for {since}..{until} in {duration_ms} ms", {
      count: names.length,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      duration_ms: Math.round(this.#clock.now() - started),
    });
    return names;
  }

  /** The DB service's error for a failed exchange (an abort stays an `AbortedError`). */
  #failure(error: unknown, where: string): unknown {
    if (error instanceof AbortedError) return error;
    if (error instanceof TimeoutError) {
      return new DbServiceError(
        `Cannot query DB service ${where}: no complete answer within ${this.#timeoutMs / 1000} s`,
        { cause: error },
      );
    }
    // The message is complete and names no query; the network error as a cause would repeat
    // it with the (masked) query (docs/db-service.md: the query string is never shown).
    if (error instanceof HttpError) {
      return new DbServiceError(error.message, { status: error.status });
    }
    return error;
  }
}

/** The error of a non-2xx answer: "Cannot query DB service <url>: HTTP <status>: <excerpt>". */
function answerError(failure: HttpFailure): HttpError {
  if (!failure.answer) return failure.error;
  const { status, body } = failure.answer;
  const detail = body.trim() ? `: ${excerpt(body)}` : "";
  return new HttpError(`Cannot ${failure.context.action}: HTTP ${status}${detail}`, {
    status,
    method: failure.context.method,
    url: failure.error.url,
  });
}

/** The names of a 2xx answer, or `DbServiceError` for a body outside the contract. */
function namesOf(text: string, status: number, where: string): string[] {
  const parsed = parseJson(text, ingestedAnswerSchema);
  if (parsed.ok) return namesIn(parsed.value);
  const reason = parsed.notJson
    ? `the answer is not JSON: ${excerpt(text) || "(empty)"}`
    : `the answer is neither {"filenames": [...]} nor a list of names: ${excerpt(text)}`;
  throw new DbServiceError(`Cannot query DB service ${where}: ${reason}`, {
    status,
    cause: parsed.cause,
  });
}

/** Options of {@link dbClientFromSettings}. */
export interface DbClientDeps {
  /** Injected fetch (the settings' proxy route), default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** Runs the timeout; default the system clock. */
  clock?: Clock | undefined;
}

/** A client for the configured DB service (`db_service_url`, `db_service_token`, `db_timeout_seconds`). */
export function dbClientFromSettings(
  settings: Pick<Settings, "db_service_url" | "db_service_token" | "db_timeout_seconds">,
  deps: DbClientDeps = {},
): HttpDbServiceClient {
  return new HttpDbServiceClient({
    url: settings.db_service_url,
    token: settings.db_service_token,
    timeoutMs: settings.db_timeout_seconds * 1000,
    fetch: deps.fetch,
    clock: deps.clock,
  });
}

/** `text` on one line, control characters and runs of white space collapsed, at most 200 chars. */
export function excerpt(text: string, max = EXCERPT_MAX_CHARS): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
  return flat.length <= max ? flat : flat.slice(0, max - 1) + "…";
}
