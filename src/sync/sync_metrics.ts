/**
 * The sync job's metrics (seed names), recorded once per run into the process-wide `Metrics`.
 * @module
 */
import type { Metrics } from "../metrics.ts";
import type { SyncResult } from "./sync_result.ts";

/** Metric names the sync job maintains (counters are cumulative for the process). */
export const SYNC_METRICS = {
  runs: "syncjob.run.count",
  runFailures: "syncjob.run.failure.count",
  downloadSuccess: "syncjob.download.success.count",
  downloadFailure: "syncjob.download.failure.count",
  duration: "syncjob.duration.ms",
  bytes: "syncjob.bytes.count",
  skippedIngested: "syncjob.skipped_ingested.count",
  skippedPending: "syncjob.skipped_pending.count",
  skippedFiltered: "syncjob.skipped_filtered.count",
  graphRequests: "syncjob.graph_requests.count",
  graphResourceUnits: "syncjob.graph_resource_units.count",
  graphDownloadRequests: "syncjob.graph_download_requests.count",
  lastGraphRequests: "syncjob.last_run.graph_requests",
  lastGraphResourceUnits: "syncjob.last_run.graph_resource_units",
  skippedVerification: "syncjob.skipped_verification.count",
  skippedMalformed: "syncjob.skipped_malformed.count",
  malware: "syncjob.malware.count",
  unchangedContent: "syncjob.unchanged_content.count",
  heldEmpty: "syncjob.held_empty.count",
  selectedArrived: "syncjob.selected_arrived.count",
} as const;

/** Records a finished run: counters grow by the run's counts, the duration gauge is replaced. */
export function recordFinishedRun(metrics: Metrics, result: SyncResult): void {
  metrics.inc(SYNC_METRICS.runs, 1, "Sync runs started");
  metrics.inc(
    SYNC_METRICS.downloadSuccess,
    result.downloaded.length,
    "Files placed in ingestion_dir",
  );
  metrics.inc(
    SYNC_METRICS.downloadFailure,
    result.failed.length,
    "Files that failed after retries",
  );
  metrics.inc(SYNC_METRICS.bytes, result.bytes, "Bytes placed in ingestion_dir");
  metrics.inc(
    SYNC_METRICS.skippedIngested,
    result.skipped_ingested,
    "Files skipped: already ingested",
  );
  metrics.inc(
    SYNC_METRICS.skippedPending,
    result.skipped_pending,
    "Files skipped: still in ingestion_dir",
  );
  metrics.inc(
    SYNC_METRICS.skippedFiltered,
    result.skipped_filtered,
    "Files skipped: include/exclude/min age",
  );
  metrics.inc(
    SYNC_METRICS.graphRequests,
    result.graph_requests,
    "Graph requests of finished runs (downloads apart)",
  );
  metrics.inc(
    SYNC_METRICS.graphResourceUnits,
    result.graph_resource_units,
    "SharePoint resource units of those requests",
  );
  metrics.inc(
    SYNC_METRICS.graphDownloadRequests,
    result.graph_download_requests,
    "Graph /content requests (downloads)",
  );
  metrics.set(
    SYNC_METRICS.lastGraphRequests,
    result.graph_requests,
    "Graph requests of the last finished run",
  );
  metrics.set(
    SYNC_METRICS.lastGraphResourceUnits,
    result.graph_resource_units,
    "SharePoint resource units of the last finished run",
  );
  metrics.inc(
    SYNC_METRICS.skippedVerification,
    result.skipped_verification,
    "Files placed without content verification: SharePoint rewrote them",
  );
  recordHostileCounts(metrics, result);
  metrics.inc(SYNC_METRICS.runFailures, 0, "Sync runs that failed as a whole");
  metrics.set(SYNC_METRICS.duration, result.duration_ms, "Duration of the last sync run in ms");
  recordSelection(metrics, result);
}

/** The "what counts as new" counts of a finished run (see `sync/arrival.ts`). */
function recordSelection(metrics: Metrics, result: SyncResult): void {
  metrics.inc(
    SYNC_METRICS.unchangedContent,
    result.unchanged_content,
    "Files skipped: this job already placed this content (unchanged_content)",
  );
  metrics.inc(
    SYNC_METRICS.heldEmpty,
    result.held_empty,
    "Empty files held for empty_file_grace_minutes",
  );
  metrics.inc(
    SYNC_METRICS.selectedArrived,
    result.arrived,
    "Files selected as arrivals a delta page reported, whatever their dates",
  );
}

/** Items the listing skipped as malformed, and files not downloaded as malware. */
function recordHostileCounts(metrics: Metrics, result: SyncResult): void {
  metrics.inc(
    SYNC_METRICS.skippedMalformed,
    result.skipped_malformed,
    "File items skipped: the listing gave no name, size or time",
  );
  metrics.inc(
    SYNC_METRICS.malware,
    result.malware,
    "Files not downloaded: flagged as malware by SharePoint",
  );
}

/** Records the files an aborted run placed before it stopped (the run itself counts as failed). */
export function recordPlacedBeforeAbort(metrics: Metrics, result: SyncResult): void {
  metrics.inc(
    SYNC_METRICS.skippedVerification,
    result.skipped_verification,
    "Files placed without content verification: SharePoint rewrote them",
  );
  metrics.inc(
    SYNC_METRICS.downloadSuccess,
    result.downloaded.length,
    "Files placed in ingestion_dir",
  );
  metrics.inc(SYNC_METRICS.bytes, result.bytes, "Bytes placed in ingestion_dir");
}

/** Records a run that threw (DB service down, listing failed, aborted, fatal filesystem). */
export function recordFailedRun(metrics: Metrics, durationMs: number): void {
  metrics.inc(SYNC_METRICS.runs, 1, "Sync runs started");
  metrics.inc(SYNC_METRICS.runFailures, 1, "Sync runs that failed as a whole");
  metrics.set(SYNC_METRICS.duration, durationMs, "Duration of the last sync run in ms");
}

/** Gauges of the catch-up window (`ingest_syncjob_window_*` in the metrics file). */
export const WINDOW_METRICS = {
  seconds: "syncjob.window.seconds",
  catchUpSeconds: "syncjob.window.catch_up.seconds",
  gapSeconds: "syncjob.window.gap.seconds",
  uncoveredSeconds: "syncjob.window.uncovered.seconds",
} as const;

/** Records the last run's window: its length, how far it caught up, and the gap it followed. */
export function recordWindow(
  metrics: Metrics,
  window: { since: Date; until: Date; catchUpMs: number; gapMs?: number },
): void {
  const seconds = (ms: number) => Math.round(ms / 1000);
  metrics.set(
    WINDOW_METRICS.seconds,
    seconds(window.until.getTime() - window.since.getTime()),
    "Length of the last sync run's window in seconds",
  );
  metrics.set(
    WINDOW_METRICS.catchUpSeconds,
    seconds(window.catchUpMs),
    "Seconds the last window reached back beyond the default lookback to catch up",
  );
  metrics.set(
    WINDOW_METRICS.gapSeconds,
    seconds(window.gapMs ?? 0),
    "Seconds between the last successful run's window end and the last run",
  );
}

/** Records how much time no run has looked at (capped catch-ups); alert when above 0. */
export function recordUncovered(metrics: Metrics, uncoveredMs: number): void {
  metrics.set(
    WINDOW_METRICS.uncoveredSeconds,
    Math.round(uncoveredMs / 1000),
    "Seconds no run looked at (max_catch_up_hours); run the trigger --since that check shows",
  );
}
