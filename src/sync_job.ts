/**
 * `SyncJob`: one run from SharePoint into `ingestion_dir`, per the seed spec's order of work.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "./clock.ts";
import type { Settings } from "./config/settings.ts";
import type { DBServiceClient } from "./db/db_service_client.ts";
import { AbortedError, describeError } from "./errors.ts";
import type { SharePointClient } from "./graph/sharepoint_client.ts";
import { normaliseExtensions } from "./graph/verification.ts";
import type { Metrics } from "./metrics.ts";
import { type JobStateStore, type LoadedState, stateStoreFor } from "./state/job_state.ts";
import { FileFilter } from "./sync/filters.ts";
import { FolderLister } from "./sync/listing.ts";
import { ResumablePartials } from "./sync/partials.ts";
import { StagingArea } from "./sync/placement.ts";
import { type SubfolderNaming, subfolderNaming } from "./sync/relative_path.ts";
import { type PlanRequest, planRun } from "./sync/run_plan.ts";
import { DRY_RUN_RECORDER, type RunRecorder, StateRecorder } from "./sync/run_record.ts";
import { addTransfer, logFinished, plannedResult } from "./sync/run_result.ts";
import { transferFiles, wouldTransfer } from "./sync/run_transfer.ts";
import type { SyncResult, SyncRunner, SyncRunOptions } from "./sync/sync_result.ts";
import { planRunWindow, warnAboutWindow, windowReport } from "./sync/run_window.ts";
import { setSpanAttributes } from "./telemetry/span_scope.ts";
import { windowAttributes } from "./telemetry/run_spans.ts";

const log = getLogger(["ingest", "sync"]);

/** Options of {@link SyncJob}. */
export interface SyncJobOptions {
  settings: Settings;
  sharepoint: SharePointClient;
  db: DBServiceClient;
  clock: Clock;
  /** Process-wide metrics; the scheduler writes them to `metrics_file` after each run. */
  metrics: Metrics;
  /** The schedule's default lookback (2 × its largest gap), used when nothing overrides it. */
  defaultLookbackMs: number;
  /** Returns a fresh random UUID (run ids, temporary names); default `crypto.randomUUID`. */
  random?: () => string;
  /** The job's state store; default the file `settings.state_file`. */
  state?: JobStateStore;
  /** Whose file name rules apply (a `Deno.build.os` value); default this host's. */
  os?: string;
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
  #state: JobStateStore;
  #lister: FolderLister;
  #rewrittenExtensions: readonly string[];
  /** How files below the folder are named; undefined without `include_subfolders`. */
  #naming: SubfolderNaming | undefined;
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
    this.#state = options.state ?? stateStoreFor(options.settings, () => options.clock.now());
    this.#lister = new FolderLister({
      settings: options.settings,
      sharepoint: options.sharepoint,
      state: this.#state,
      now: () => options.clock.now(),
    });
    this.#rewrittenExtensions = normaliseExtensions(options.settings.rewritten_extensions);
    this.#os = options.os;
    this.#naming = subfolderNaming(options.settings);
    this.#filter = new FileFilter({
      include: options.settings.include,
      exclude: options.settings.exclude,
      minAgeMs: options.settings.min_age_seconds * 1000,
    });
  }

  /**
   * Runs once. `dryRun` computes the same plan (`downloaded` = the names that would be placed)
   * and writes nothing: no folders, no files, no state, no metrics file.
   *
   * Unless `since`/`lookbackMs` are explicit, the window reaches back to the end of the last run
   * that finished with exit 0 or 3 (minus an overlap, capped by `max_catch_up_hours`; see
   * `sync/catch_up.ts`), and such a run records its own end in the job state.
   * @throws {UsageError} for a `since` not before `reference`.
   */
  async run(options: SyncRunOptions): Promise<SyncResult> {
    const runId = this.#random();
    const saved = await this.#loadState(runId);
    const window = planRunWindow({
      run: options,
      settings: this.#settings,
      state: saved.state,
      defaultLookbackMs: this.#defaultLookbackMs,
    });
    const report = windowReport(window, this.#settings);
    const dryRun = options.dryRun ?? false;
    const recorder = dryRun ? DRY_RUN_RECORDER : new StateRecorder({
      store: this.#state,
      metrics: this.#metrics,
      clock: this.#clock,
      runId,
      maxCatchUpHours: this.#settings.max_catch_up_hours,
    });
    const started = this.#clock.now();
    log.info("Sync started {run_id} ({trigger}) for {since} .. {until}: {window}", {
      run_id: runId,
      trigger: options.trigger,
      dry_run: dryRun,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      window: report.description,
      window_reason: report.reason,
      gap_hours: report.gap_hours,
    });
    warnAboutWindow(runId, window, report, saved.state.last_success?.until);
    setSpanAttributes({ "ingest.run_id": runId, ...windowAttributes(window, report) });
    recorder.window(window, saved.state);
    this.#activeRuns++;
    try {
      const { result, commit } = await this.#run({ runId, window, saved, options }, recorder);
      result.window = report;
      result.duration_ms = this.#clock.now() - started;
      await recorder.finished(result, window);
      logFinished(result);
      // The saved link advances only once the outcome is recorded.
      await commit();
      return result;
    } catch (error) {
      const stopped = options.signal?.aborted === true;
      // Said once: why the run stopped (the operator, a shutdown timeout), not the chain of
      // errors the abort caused on its way out.
      const thrown = stopped
        ? new AbortedError(`Cannot finish the sync run: ${stopReason(options.signal!)}`)
        : error;
      const durationMs = this.#clock.now() - started;
      recorder.failed(durationMs);
      const properties = {
        run_id: runId,
        trigger: options.trigger,
        dry_run: dryRun,
        error: describeError(thrown),
        error_name: thrown instanceof Error ? thrown.name : typeof thrown,
        duration_ms: durationMs,
      };
      if (stopped) log.warn("Sync stopped {run_id}: {error}", properties);
      else log.error("Sync failed {run_id}: {error}", properties);
      throw thrown;
    } finally {
      this.#activeRuns--;
    }
  }

  /** Plan → transfer → record; `commit` saves what must wait for the outcome to be recorded. */
  async #run(
    request: PlanRequest,
    recorder: RunRecorder,
  ): Promise<{ result: SyncResult; commit: () => Promise<void> }> {
    const { runId, saved, options } = request;
    const { signal } = options;
    const staging = new StagingArea({
      stagingDir: this.#settings.staging_dir,
      ingestionDir: this.#settings.ingestion_dir,
      job: this.#settings.job,
      newId: this.#random,
      ...(this.#os ? { os: this.#os } : {}),
      nested: this.#naming?.layout === "mirror",
    });
    const partials = new ResumablePartials({
      state: this.#state,
      staging,
      now: () => this.#clock.now(),
    });
    // Leftovers of a killed run are removed only when no other run is writing to the staging
    // folder (allow_overlap or a forced trigger run concurrently, here or elsewhere); resumable
    // partials the state lists are kept.
    const alone = this.#activeRuns === 1 && !options.overlapping;
    await recorder.prepare({ staging, partials, alone, state: saved.state });
    const plan = await planRun({
      sharepoint: this.#sharepoint,
      db: this.#db,
      lister: this.#lister,
      filter: this.#filter,
      clock: this.#clock,
      naming: this.#naming,
      emptyGraceMs: this.#settings.empty_file_grace_minutes * 60_000,
      staging,
    }, request);
    const result = plannedResult(plan, request);
    const outcomes = options.dryRun ? wouldTransfer(plan.toDownload) : await transferFiles(
      plan.toDownload,
      {
        sharepoint: this.#sharepoint,
        clock: this.#clock,
        staging,
        partials,
        runId,
        verifyHash: this.#settings.verify_hash,
        rewrittenExtensions: this.#rewrittenExtensions,
        maxRetries: this.#settings.max_retries,
        retryDelayMs: this.#settings.retry_delay_seconds * 1000,
        downloadConcurrency: this.#settings.download_concurrency,
        signal,
        progress: options.progress,
      },
    );
    addTransfer(result, plan, { outcomes, sharepoint: this.#sharepoint });
    await recorder.transferred(plan, { result, outcomes, signal });
    return { result, commit: () => recorder.commit(plan, outcomes) };
  }

  /** Reads the job's state; an unusable file is logged once and the run starts fresh. */
  async #loadState(runId: string): Promise<LoadedState> {
    const loaded = await this.#state.load();
    if (loaded.warning !== undefined) {
      log.warn("{warning}", {
        run_id: runId,
        warning: loaded.warning,
        state_file: this.#state.path,
      });
    }
    return loaded;
  }
}

/** Why `signal` stopped the run, in words: "stopped by the operator (second SIGINT)". */
function stopReason(signal: AbortSignal): string {
  const reason = signal.reason instanceof Error ? signal.reason.message : "";
  return reason.replace(/^Cannot finish (the sync )?run: /, "") || "the run was stopped";
}
