/**
 * `SyncJob`: one run from SharePoint into `ingestion_dir`, per the seed spec's order of work.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "./clock.ts";
import type { Settings } from "./config/settings.ts";
import type { DBServiceClient, TimeWindow } from "./db/db_service_client.ts";
import { AbortedError, describeError } from "./errors.ts";
import type { RemoteFile, SharePointClient } from "./graph/sharepoint_client.ts";
import type { Metrics } from "./metrics.ts";
import { downloadWithRetries, type FileOutcome } from "./sync/file_download.ts";
import { FileFilter } from "./sync/filters.ts";
import { StagingArea } from "./sync/placement.ts";
import { unsafeNameReason } from "./sync/safe_names.ts";
import { selectCandidates, type SelectionCounts } from "./sync/select.ts";
import {
  recordFailedRun,
  recordFinishedRun,
  recordPlacedBeforeAbort,
  writeMetricsFile,
} from "./sync/sync_metrics.ts";
import type {
  FailedFile,
  SyncProgress,
  SyncResult,
  SyncRunner,
  SyncRunOptions,
} from "./sync/sync_result.ts";
import { computeWindow } from "./sync/window.ts";
import { runPool } from "./sync/worker_pool.ts";

const log = getLogger(["ingest", "sync"]);

/** Options of {@link SyncJob}. */
export interface SyncJobOptions {
  settings: Settings;
  sharepoint: SharePointClient;
  db: DBServiceClient;
  clock: Clock;
  /** Process-wide metrics; written to `metrics_file` after every run that is not a dry run. */
  metrics: Metrics;
  /** The schedule's default lookback (2 × its largest gap), used when nothing overrides it. */
  defaultLookbackMs: number;
  /** Returns a fresh random UUID (run ids, temporary names); default `crypto.randomUUID`. */
  random?: () => string;
  /** Whose file name rules apply (a `Deno.build.os` value); default this host's. */
  os?: string;
}

/** The plan of a run once the folder is listed. */
interface Plan {
  counts: SelectionCounts;
  toDownload: RemoteFile[];
  /** Already in `ingestion_dir` at planning time. */
  pending: number;
  unsafe: FailedFile[];
}

/**
 * One sync run: authenticate → ask the DB service for the window (any failure ends the run before
 * anything is listed) → resolve and list the folder → keep files modified in the window that pass
 * include/exclude/min age, are not ingested and not already in `ingestion_dir` → download them
 * `download_concurrency` at a time through the staging folder → place them without overwriting.
 *
 * Per-file failures are retried and then reported in `failed`; the run itself throws only for
 * run-wide failures (`AuthError`, `DbServiceError`, `GraphError` while listing, `ConfigError`
 * for the staging layout, `IngestError` when a folder cannot be created) and `AbortedError`.
 */
export class SyncJob implements SyncRunner {
  #settings: Settings;
  #sharepoint: SharePointClient;
  #db: DBServiceClient;
  #clock: Clock;
  #metrics: Metrics;
  #defaultLookbackMs: number;
  #random: () => string;
  #os: string | undefined;
  #filter: FileFilter;
  /** Runs of this job in progress in this process. */
  #activeRuns = 0;

  constructor(options: SyncJobOptions) {
    this.#settings = options.settings;
    this.#sharepoint = options.sharepoint;
    this.#db = options.db;
    this.#clock = options.clock;
    this.#metrics = options.metrics;
    this.#defaultLookbackMs = options.defaultLookbackMs;
    this.#random = options.random ?? (() => crypto.randomUUID());
    this.#os = options.os;
    this.#filter = new FileFilter({
      include: options.settings.include,
      exclude: options.settings.exclude,
      minAgeMs: options.settings.min_age_seconds * 1000,
    });
  }

  /**
   * Runs once. `dryRun` computes the same plan (`downloaded` = the names that would be placed)
   * and writes nothing: no folders, no files, no metrics file.
   * @throws {UsageError} for a `since` not before `reference`.
   */
  async run(options: SyncRunOptions): Promise<SyncResult> {
    const window = computeWindow({
      reference: options.reference,
      since: options.since,
      lookbackMs: options.lookbackMs,
      lookbackMinutes: this.#settings.lookback_minutes,
      defaultLookbackMs: this.#defaultLookbackMs,
    });
    const runId = this.#random();
    const dryRun = options.dryRun ?? false;
    const started = this.#clock.now();
    log.info("Sync started {run_id} ({trigger}) for {since} .. {until}", {
      run_id: runId,
      trigger: options.trigger,
      dry_run: dryRun,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
    });
    this.#activeRuns++;
    try {
      const result = await this.#run(runId, window, options);
      result.duration_ms = this.#clock.now() - started;
      if (!dryRun) recordFinishedRun(this.#metrics, result);
      logFinished(result);
      if (!dryRun) await writeMetricsFile(this.#metrics, this.#settings.metrics_file);
      return result;
    } catch (error) {
      const thrown = options.signal?.aborted && !(error instanceof AbortedError)
        ? new AbortedError("Cannot finish the sync run: the run was aborted", { cause: error })
        : error;
      const durationMs = this.#clock.now() - started;
      if (!dryRun) recordFailedRun(this.#metrics, durationMs);
      log.error("Sync failed {run_id}: {error}", {
        run_id: runId,
        trigger: options.trigger,
        dry_run: dryRun,
        error: describeError(thrown),
        error_name: thrown instanceof Error ? thrown.name : typeof thrown,
        duration_ms: durationMs,
      });
      if (!dryRun) await writeMetricsFile(this.#metrics, this.#settings.metrics_file);
      throw thrown;
    } finally {
      this.#activeRuns--;
    }
  }

  async #run(runId: string, window: TimeWindow, options: SyncRunOptions): Promise<SyncResult> {
    const { signal } = options;
    const dryRun = options.dryRun ?? false;
    const staging = new StagingArea({
      stagingDir: this.#settings.staging_dir,
      ingestionDir: this.#settings.ingestion_dir,
      newId: this.#random,
      ...(this.#os ? { os: this.#os } : {}),
    });
    // Leftovers of a killed run are removed only when no other run of this process is writing
    // to the staging folder (allow_overlap or a forced trigger run concurrently).
    if (!dryRun) await staging.prepare({ removeLeftovers: this.#activeRuns === 1 });
    await this.#sharepoint.authenticate(signal);
    const ingested = new Set(await this.#db.listIngested(window, signal));
    const folder = await this.#sharepoint.resolveFolder(signal);
    const selection = await selectCandidates(this.#sharepoint.listFiles(folder, signal), {
      window,
      filter: this.#filter,
      ingested,
      now: this.#clock.now(),
      runId,
    });
    throwIfAborted(signal);
    const plan = planDownloads(selection.counts, selection.candidates, staging, runId);
    const result: SyncResult = {
      run_id: runId,
      trigger: options.trigger,
      dry_run: dryRun,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      ...plan.counts,
      skipped_pending: plan.pending,
      downloaded: [],
      failed: [...plan.unsafe],
      bytes: 0,
      duration_ms: 0,
    };
    if (dryRun) {
      result.downloaded = plan.toDownload.map((f) => f.name);
      return result;
    }
    const outcomes = await this.#download(
      plan.toDownload,
      staging,
      runId,
      signal,
      options.progress,
    );
    plan.toDownload.forEach((file, i) => addOutcome(result, file.name, outcomes[i]));
    if (signal?.aborted) {
      log.warn("Sync aborted {run_id} after placing {downloaded_count} of {planned} files", {
        run_id: runId,
        downloaded_count: result.downloaded.length,
        planned: plan.toDownload.length,
        downloaded: result.downloaded,
        bytes: result.bytes,
      });
      recordPlacedBeforeAbort(this.#metrics, result);
      throwIfAborted(signal);
    }
    return result;
  }

  async #download(
    files: RemoteFile[],
    staging: StagingArea,
    runId: string,
    signal: AbortSignal | undefined,
    progress: SyncProgress | undefined,
  ): Promise<(FileOutcome | undefined)[]> {
    const outcomes: (FileOutcome | undefined)[] = new Array(files.length);
    const context = {
      sharepoint: this.#sharepoint,
      staging,
      clock: this.#clock,
      runId,
      verifyHash: this.#settings.verify_hash,
      maxRetries: this.#settings.max_retries,
      retryDelayMs: this.#settings.retry_delay_seconds * 1000,
      signal,
      progress,
    };
    progress?.planned?.(files.length, files.reduce((sum, f) => sum + f.size, 0));
    try {
      await runPool(
        files,
        { concurrency: this.#settings.download_concurrency, signal },
        async (file, i) => {
          outcomes[i] = await downloadWithRetries(file, context);
          progress?.fileDone?.(file.name, outcomes[i]?.kind !== "failed");
        },
      );
    } catch (error) {
      if (!signal?.aborted) throw error;
    } finally {
      if (signal?.aborted) await staging.removeOwn();
      await staging.flush();
    }
    return outcomes;
  }
}

/** Splits candidates into unsafe names (failed), files already waiting in `ingestion_dir`, and downloads. */
function planDownloads(
  counts: SelectionCounts,
  candidates: RemoteFile[],
  staging: StagingArea,
  runId: string,
): Plan {
  const plan: Plan = { counts, toDownload: [], pending: 0, unsafe: [] };
  for (const file of candidates) {
    const reason = unsafeNameReason(file.name, staging.os);
    if (reason !== undefined) {
      log.error("Cannot download {file}: {reason}", { run_id: runId, file: file.name, reason });
      plan.unsafe.push({
        name: file.name,
        reason: `Cannot write this name: ${reason}`,
        refused_name: true,
      });
    } else if (staging.isPending(file.name)) {
      log.info("Skipped {file}: still in ingestion_dir, not yet consumed", {
        run_id: runId,
        file: file.name,
      });
      plan.pending++;
    } else plan.toDownload.push(file);
  }
  return plan;
}

function addOutcome(result: SyncResult, name: string, outcome: FileOutcome | undefined): void {
  if (outcome === undefined) return;
  if (outcome.kind === "placed") {
    result.downloaded.push(name);
    result.bytes += outcome.bytes;
  } else if (outcome.kind === "exists") result.skipped_pending++;
  else result.failed.push({ name, reason: outcome.reason });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AbortedError("Cannot finish the sync run: the run was aborted", {
      cause: signal.reason,
    });
  }
}

function logFinished(result: SyncResult): void {
  const properties = {
    ...result,
    downloaded_count: result.downloaded.length,
    failed_count: result.failed.length,
  };
  const message = "Sync finished {run_id}: {downloaded_count} downloaded, {failed_count} failed, " +
    "{skipped_ingested} already ingested, {skipped_pending} pending, {skipped_filtered} filtered, " +
    "{in_window} of {listed} listed in the window, {bytes} bytes in {duration_ms} ms";
  if (result.failed.length > 0) log.warn(message, properties);
  else log.info(message, properties);
}
