/**
 * The simulated DB service (docs/db-service.md): `GET /ingested?since=<RFC 3339>&until=<RFC 3339>`
 * answers `{"filenames": [...]}` with the names recorded as ingested in [since, until), requiring
 * `Authorization: Bearer <token>` when a token is configured. `/` is accepted as the same resource.
 * @module
 */
import { jsonResponse } from "./responses.ts";
import type { AnswerFault, Endpoint, RequestContext } from "./sim_server.ts";

/** The path of the DB service URL the simulator advertises. */
export const DB_PATH = "/ingested";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp with a zone; undefined when malformed. */
export function parseRfc3339(value: string | null): number | undefined {
  if (value === null || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value.replace(" ", "T"));
  return Number.isNaN(ms) ? undefined : ms;
}

/** The DB service. */
export class DbEndpoint implements Endpoint {
  readonly server = "db" as const;
  #token: string | undefined;
  #records: { name: string; at: number }[] = [];

  constructor(token: string | undefined) {
    this.#token = token;
  }

  /** Records `name` as ingested at `at` (ms since epoch). */
  mark(name: string, at: number): void {
    this.#records.push({ name, at });
  }

  handle(request: Request, _context: RequestContext): Response {
    const url = new URL(request.url);
    const fail = (status: number, error: string, headers?: HeadersInit) =>
      jsonResponse({ error }, { status, headers });
    if (url.pathname !== DB_PATH && url.pathname !== "/") {
      return fail(404, `Unknown path ${url.pathname}`);
    }
    if (request.method !== "GET") return fail(405, `Method ${request.method} is not allowed`);
    if (
      this.#token !== undefined && request.headers.get("authorization") !== `Bearer ${this.#token}`
    ) {
      return fail(401, "A valid bearer token is required", { "www-authenticate": "Bearer" });
    }
    const since = parseRfc3339(url.searchParams.get("since"));
    const until = parseRfc3339(url.searchParams.get("until"));
    if (since === undefined || until === undefined) {
      return fail(
        400,
        "since and until must be RFC 3339 timestamps with a zone, e.g. 2026-01-01T00:00:00Z",
      );
    }
    if (since > until) return fail(400, "since must not be after until");
    const names = new Set<string>();
    for (const record of this.#records) {
      if (record.at >= since && record.at < until) names.add(record.name);
    }
    return jsonResponse({ filenames: [...names] });
  }

  faultAnswer(fault: AnswerFault, _request: Request, _context: RequestContext): Response {
    if (fault.kind !== "status") {
      return jsonResponse({ error: "Simulated failure" }, { status: 500 });
    }
    const headers = new Headers();
    if (fault.retryAfter !== undefined) headers.set("retry-after", fault.retryAfter);
    if (fault.body !== undefined) {
      headers.set("content-type", fault.contentType ?? "application/json");
      return new Response(fault.body, { status: fault.status, headers });
    }
    return jsonResponse({ error: fault.code ?? `Simulated status ${fault.status}` }, {
      status: fault.status,
      headers,
    });
  }
}
