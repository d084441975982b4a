/**
 * What the run span and its children carry: the attribute sets of a run's start and end, of its
 * window, of its listing and of each download. Names and meanings are listed in
 * docs/telemetry.md. No URL, token or assertion is ever an attribute; file names are the
 * relative names placed in `ingestion_dir`.
 * @module
 */
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { RunOutcome, RunRequest } from "../schedule/run_outcome.ts";
import type { FileOutcome } from "../sync/file_download.ts";
import type { SyncResult, WindowReport } from "../sync/sync_result.ts";
import { inSpan, type SpanAttributes, type TraceSpan } from "./span_scope.ts";

/** Span names. */
export const SPAN = {
  run: "ingest.run",
  token: "ingest.token",
  dbQuery: "ingest.db.query",
  listing: "ingest.listing",
  download: "ingest.download",
} as const;

/** The scheduler's request kind as an operator says it: scheduled, run-once or manual. */
export function triggerKind(kind: string): string {
  return kind === "tick" ? "scheduled" : kind;
}

/** Attributes known when a run is requested. */
export function runStartAttributes(kind: string, request: RunRequest): SpanAttributes {
  return {
    "ingest.trigger": triggerKind(kind),
    "ingest.dry_run": request.dryRun ?? false,
    "ingest.full_listing": request.fullListing ?? false,
    "ingest.request.since": request.since?.toISOString(),
    "ingest.request.lookback_ms": request.lookbackMs,
  };
}

/** The window of a run and why it is what it is. */
export function windowAttributes(
  window: { since: Date; until: Date },
  report: WindowReport,
): SpanAttributes {
  return {
    "ingest.window.since": window.since.toISOString(),
    "ingest.window.until": window.until.toISOString(),
    "ingest.window.reason": report.reason,
    "ingest.window.description": report.description,
    "ingest.window.gap_hours": report.gap_hours,
    "ingest.window.catch_up_seconds": report.catch_up_seconds,
    "ingest.window.uncovered_since": report.uncovered?.since,
  };
}

/** Every count of a finished run's result. */
export function resultAttributes(result: SyncResult): SpanAttributes {
  return {
    "ingest.run_id": result.run_id,
    "ingest.listing.mode": result.listing,
    "ingest.listed": result.listed,
    "ingest.in_window": result.in_window,
    "ingest.downloaded": result.downloaded.length,
    "ingest.failed": result.failed.length,
    "ingest.skipped_ingested": result.skipped_ingested,
    "ingest.skipped_pending": result.skipped_pending,
    "ingest.skipped_filtered": result.skipped_filtered,
    "ingest.skipped_verification": result.skipped_verification,
    "ingest.bytes": result.bytes,
    "ingest.duration_ms": result.duration_ms,
    "ingest.graph.requests": result.graph_requests,
    "ingest.graph.resource_units": result.graph_resource_units,
    "ingest.graph.download_requests": result.graph_download_requests,
  };
}

/** Ends the run span with the outcome: status, exit code, counts; failed unless exit 0 or 4. */
export function endRunSpan(span: TraceSpan, outcome: RunOutcome): void {
  span.setAttributes({ "ingest.status": outcome.status, "ingest.exit_code": outcome.exitCode });
  if (outcome.status === "completed") {
    span.setAttributes(resultAttributes(outcome.result));
    if (outcome.result.window) {
      span.setAttributes({
        "ingest.window.reason": outcome.result.window.reason,
        "ingest.window.description": outcome.result.window.description,
      });
    }
    if (outcome.result.failed.length > 0) {
      span.fail(new Error(`${outcome.result.failed.length} file(s) failed`));
    }
  } else if (outcome.status === "skipped") {
    span.setAttributes({ "ingest.skip_reason": outcome.reason });
  } else span.fail(outcome.error);
  span.end();
}

/**
 * Ends the listing span with its usage: Graph requests (one per page; the folder's resolution
 * included when it was not cached), resource units, and the files listed.
 */
export function endListingSpan(
  span: TraceSpan | undefined,
  mode: string,
  before: { requests: number; resourceUnits: number },
  after: { requests: number; resourceUnits: number },
  selection: { counts: { listed: number } },
): void {
  if (span === undefined) return;
  span.setAttributes({
    "ingest.listing.mode": mode,
    "ingest.listing.pages": after.requests - before.requests,
    "ingest.listing.resource_units": after.resourceUnits - before.resourceUnits,
    "ingest.listed": selection.counts.listed,
  });
  span.end();
}

/** Runs the DB service query in an `ingest.db.query` span that records how many names came back. */
export function tracedDbQuery(query: () => Promise<string[]>): Promise<string[]> {
  return inSpan(SPAN.dbQuery, {}, async (span) => {
    const names = await query();
    span?.setAttributes({ "ingest.db.names": names.length });
    return names;
  });
}

/** Runs one file's download in an `ingest.download` span that records how it ended. */
export function tracedDownload(
  file: RemoteFile,
  download: () => Promise<FileOutcome>,
): Promise<FileOutcome> {
  return inSpan(
    SPAN.download,
    { "ingest.file.name": file.name, "ingest.file.size": file.size },
    async (span) => {
      const outcome = await download();
      if (span === undefined) return outcome;
      span.setAttributes({ "ingest.file.outcome": outcome.kind });
      if (outcome.kind === "placed") {
        span.setAttributes({
          "ingest.file.bytes": outcome.bytes,
          "ingest.file.verification": outcome.verification?.kind,
          "ingest.file.hash_checked": outcome.verification?.kind === "verified"
            ? outcome.verification.hashChecked
            : false,
          "ingest.file.resumed": (outcome.resumedFrom ?? 0) > 0,
          "ingest.file.resumed_from": outcome.resumedFrom || undefined,
        });
      } else if (outcome.kind === "failed") span.fail(new Error(outcome.reason));
      return outcome;
    },
  );
}
