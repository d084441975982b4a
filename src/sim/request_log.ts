/**
 * Every request the simulator's servers received, in arrival order, for tests to assert on
 * ("no request before Retry-After elapsed", "no Authorization reached the download origin").
 * @module
 */
import type { Fault, RequestLogEntry } from "./types.ts";

/** Server names used in the log and in fault matching. */
export type SimServerName = RequestLogEntry["server"];

/** Append-only request log shared by the four servers. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];

  /** The entries so far (live view). */
  get entries(): readonly RequestLogEntry[] {
    return this.#entries;
  }

  /** Records an arriving request; `status` is filled in by {@link RequestLog.finish}. */
  start(server: SimServerName, request: Request, at: number): RequestLogEntry {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => headers[key] = value);
    const entry: RequestLogEntry = {
      at,
      server,
      method: request.method,
      url: url.pathname + url.search,
      headers,
      status: 0,
    };
    this.#entries.push(entry);
    return entry;
  }

  /** Sets the answer's status (0 when the connection was dropped) and the fault, if any. */
  finish(entry: RequestLogEntry, status: number, fault?: Fault["kind"]): void {
    entry.status = status;
    if (fault !== undefined) entry.fault = fault;
  }

  clear(): void {
    this.#entries = [];
  }
}
