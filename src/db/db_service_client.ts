/**
 * The `DBServiceClient` contract: which file names the file watcher already ingested in a window.
 * The HTTP contract is documented in docs/db-service.md.
 * @module
 */

/** A half-open time window [since, until). */
export interface TimeWindow {
  since: Date;
  until: Date;
}

/** Asks the DB service what was already ingested. */
export interface DBServiceClient {
  /**
   * File names ingested in `window`. An empty list is a normal answer.
   * Throws `DbServiceError` on connection failure, timeout, non-2xx or a body outside the contract.
   */
  listIngested(window: TimeWindow, signal?: AbortSignal): Promise<string[]>;
}
