/**
 * `HttpDbServiceClient`: the {@link DBServiceClient} over HTTP, per docs/db-service.md.
 * @module
 */
import { networkAdvice } from "../http/network_diagnosis.ts";
import { getLogger } from "@logtape/logtape";
import { AbortedError, DbServiceError } from "../errors.ts";
import type { Settings } from "../config/settings.ts";
import { readTextLimited } from "../http/http_error.ts";
import { USER_AGENT } from "../version.ts";
import type { DBServiceClient, TimeWindow } from "./db_service_client.ts";
import { filenamesOf } from "./wire_types.ts";

const log = getLogger(["ingest", "db"]);

/** Longest body excerpt put into an error message. */
export const EXCERPT_MAX_CHARS = 200;
/** Bytes of an error body read for the excerpt; the rest is discarded. */
const ERROR_BODY_MAX_BYTES = 4096;

/** Options of {@link HttpDbServiceClient}. */
export interface HttpDbServiceClientOptions {
  /** `db_service_url`; its own query parameters are kept, `since`/`until` are set. */
  url: string;
  /** `db_service_token`, sent as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
  /** Limit for the whole exchange, headers and body (`db_timeout_seconds` × 1000). */
  timeoutMs: number;
  /** Injected transport, default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/**
 * Asks the DB service which file names were ingested in a window:
 * `GET <url>?since=<RFC 3339 UTC>&until=<RFC 3339 UTC>`.
 *
 * Accepts `{"filenames": [...]}` or a bare JSON array of strings. Any other outcome (no
 * connection, timeout, non-2xx, a body that is not JSON or not one of those shapes) throws
 * `DbServiceError` with the HTTP status (when there was one) and a short one-line body excerpt.
 * When the caller's `signal` aborts, throws `AbortedError` instead.
 */
export class HttpDbServiceClient implements DBServiceClient {
  #url: URL;
  #token: string | undefined;
  #timeoutMs: number;
  #fetch: typeof fetch;

  constructor(options: HttpDbServiceClientOptions) {
    this.#url = new URL(options.url);
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** The request URL for `window`: the configured URL with `since` and `until` set. */
  requestUrl(window: TimeWindow): URL {
    const url = new URL(this.#url);
    url.searchParams.set("since", window.since.toISOString());
    url.searchParams.set("until", window.until.toISOString());
    return url;
  }

  async listIngested(window: TimeWindow, signal?: AbortSignal): Promise<string[]> {
    const where = displayUrl(this.#url);
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      const names = await this.#exchange(window, where, controller.signal);
      log.debug("DB service listed {count} names for {since}..{until} in {duration_ms} ms", {
        count: names.length,
        since: window.since.toISOString(),
        until: window.until.toISOString(),
        duration_ms: Math.round(performance.now() - started),
      });
      return names;
    } catch (error) {
      if (signal?.aborted) {
        throw new AbortedError(`Cannot query DB service ${where}: the run was aborted`, {
          cause: signal.reason ?? error,
        });
      }
      if (timedOut) {
        throw new DbServiceError(
          `Cannot query DB service ${where}: no complete answer within ${this.#timeoutMs / 1000} s`,
          { cause: error },
        );
      }
      if (error instanceof DbServiceError) throw error;
      // The detail already says what the network error says, without the query string
      // (docs/db-service.md): the raw error as a cause would repeat it with the query.
      const detail = networkAdvice(error) ??
        oneLine(withoutQueries(messageOf(error)))
          .replace(/:? ?error sending request for url \([^)]*\)/, "");
      throw new DbServiceError(`Cannot query DB service ${where}: ${detail}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async #exchange(window: TimeWindow, where: string, signal: AbortSignal): Promise<string[]> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": USER_AGENT,
    };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const response = await this.#fetch(this.requestUrl(window), { headers, signal });
    if (!response.ok) {
      const body = await readTextLimited(response, ERROR_BODY_MAX_BYTES);
      const detail = body.trim() ? `: ${excerpt(body)}` : "";
      throw new DbServiceError(
        `Cannot query DB service ${where}: HTTP ${response.status}${detail}`,
        {
          status: response.status,
        },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new DbServiceError(
        `Cannot query DB service ${where}: the answer is not JSON: ${excerpt(text) || "(empty)"}`,
        { status: response.status, cause: error },
      );
    }
    const names = filenamesOf(json);
    if (names === undefined) {
      throw new DbServiceError(
        `Cannot query DB service ${where}: the answer is neither {"filenames": [...]} nor a list of names: ${
          excerpt(text)
        }`,
        { status: response.status },
      );
    }
    return names;
  }
}

/** A client for the configured DB service (`db_service_url`, `db_service_token`, `db_timeout_seconds`). */
export function dbClientFromSettings(
  settings: Pick<Settings, "db_service_url" | "db_service_token" | "db_timeout_seconds">,
  fetchImpl?: typeof fetch,
): HttpDbServiceClient {
  return new HttpDbServiceClient({
    url: settings.db_service_url,
    token: settings.db_service_token,
    timeoutMs: settings.db_timeout_seconds * 1000,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

/** `text` on one line, control characters and runs of white space collapsed, at most 200 chars. */
export function excerpt(text: string, max = EXCERPT_MAX_CHARS): string {
  const flat = oneLine(text);
  return flat.length <= max ? flat : flat.slice(0, max - 1) + "…";
}

/** Drops the query string of every URL in `text` (it may carry credentials). */
function withoutQueries(text: string): string {
  return text.replace(/(https?:\/\/[^\s?#)]+)[?#][^\s)]*/g, "$1");
}

function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim();
}

/** Scheme, host and path only: the query may carry credentials and is never shown. */
function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause.message : "";
    return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
  }
  return String(error);
}
