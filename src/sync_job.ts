/**
 * `SyncJob`: one run from SharePoint into `ingestion_dir`, per the seed spec's order of work.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "./clock.ts";
import type { Settings } from "./config/settings.ts";
import type { DBServiceClient, TimeWindow } from "./db/db_service_client.ts";
import { AbortedError, describeError } from "./errors.ts";
import { usageSince } from "./graph/graph_api.ts";
import type { RemoteFile, SharePointClient } from "./graph/sharepoint_client.ts";
import { normaliseExtensions } from "./graph/verification.ts";
import type { Metrics } from "./metrics.ts";
import { type JobStateStore, type LoadedState, stateStoreFor } from "./state/job_state.ts";
import type { PlannedWindow } from "./sync/catch_up.ts";
import { downloadWithRetries, type FileOutcome } from "./sync/file_download.ts";
import { FileFilter } from "./sync/filters.ts";
import { FolderLister } from "./sync/listing.ts";
import { MalwareRegistry } from "./sync/malware_registry.ts";
import { ledgerFor, recordPlaced } from "./sync/ledger_store.ts";
import { listedPartials, ResumablePartials } from "./sync/partials.ts";
import { StagingArea } from "./sync/placement.ts";
import { FlattenGuard } from "./sync/flatten_guard.ts";
import {
  comparableIngestedName,
  describeFile,
  type SubfolderNaming,
  subfolderNaming,
  unsafeFileReason,
} from "./sync/relative_path.ts";
import {
  addListingCounts,
  ingestedRule,
  selectCandidates,
  type SelectionCounts,
} from "./sync/select.ts";
import {
  recordFailedRun,
  recordFinishedRun,
  recordPlacedBeforeAbort,
} from "./sync/sync_metrics.ts";
import type {
  FailedFile,
  SyncProgress,
  SyncResult,
  SyncRunner,
  SyncRunOptions,
} from "./sync/sync_result.ts";
import {
  planRunWindow,
  recordSuccessfulRun,
  recordWindowMetrics,
  warnAboutWindow,
  windowReport,
} from "./sync/run_window.ts";
import { runPool } from "./sync/worker_pool.ts";
import { TransferSlots } from "./sync/transfer_slots.ts";
import { setSpanAttributes, startChildSpan } from "./telemetry/span_scope.ts";
import {
  endListingSpan,
  SPAN,
  tracedDbQuery,
  tracedDownload,
  windowAttributes,
} from "./telemetry/run_spans.ts";

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

/** The plan of a run once the folder is listed. */
interface Plan {
  counts: SelectionCounts;
  toDownload: RemoteFile[];
  /** Already in `ingestion_dir` at planning time. */
  pending: RemoteFile[];
  unsafe: FailedFile[];
  /** The files behind `unsafe`. */
  unsafeFiles: RemoteFile[];
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
    if (!dryRun) recordWindowMetrics(this.#metrics, window, saved.state);
    this.#activeRuns++;
    try {
      const { result, commit } = await this.#run(runId, window, saved, options);
      result.window = report;
      result.duration_ms = this.#clock.now() - started;
      if (!dryRun) recordFinishedRun(this.#metrics, result);
      if (!dryRun) await this.#recordSuccess(runId, result, window);
      logFinished(result);
      // The saved link advances only once the outcome is recorded.
      await commit?.();
      return result;
    } catch (error) {
      const stopped = options.signal?.aborted === true;
      // Said once: why the run stopped (the operator, a shutdown timeout), not the chain of
      // errors the abort caused on its way out.
      const thrown = stopped
        ? new AbortedError(`Cannot finish the sync run: ${stopReason(options.signal!)}`)
        : error;
      const durationMs = this.#clock.now() - started;
      if (!dryRun) recordFailedRun(this.#metrics, durationMs);
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

  async #run(
    runId: string,
    window: TimeWindow,
    saved: LoadedState,
    options: SyncRunOptions,
  ): Promise<{ result: SyncResult; commit?: () => Promise<void> }> {
    const { signal } = options;
    const dryRun = options.dryRun ?? false;
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
    if (!dryRun) {
      await staging.prepare({ removeLeftovers: alone, keep: listedPartials(saved.state) });
      if (alone) await partials.removeStale();
    }
    options.progress?.phase?.("authenticating");
    await this.#sharepoint.authenticate(signal);
    const usageBefore = this.#sharepoint.usage();
    options.progress?.phase?.("asking-db");
    const ingested = new Set(
      (await tracedDbQuery(() => this.#db.listIngested(window, signal))).map((name) =>
        comparableIngestedName(name, this.#naming)
      ),
    );
    options.progress?.phase?.("listing");
    const ledger = ledgerFor(saved.state, options.ignoreLedger ?? false, runId);
    const listingSpan = startChildSpan(SPAN.listing);
    const listing = await this.#lister.list({
      saved: saved.state,
      // Ignoring the ledger lists in full: a lost file is not in the changes since the link.
      full: (options.fullListing ?? false) || (options.ignoreLedger ?? false),
      window,
      runId,
      signal,
      ingested: ingestedRule({
        window,
        filter: this.#filter,
        ingested,
        now: this.#clock.now(),
        runId,
      }),
    });
    const guard = this.#naming?.layout === "flatten"
      ? new FlattenGuard({ window, runId })
      : undefined;
    const listed = guard?.filter(listing.files) ?? listing.files;
    const selection = await selectCandidates(countListed(listed, options.progress), {
      window,
      filter: this.#filter,
      ingested,
      now: this.#clock.now(),
      runId,
      reported: (file) => listing.reported(file),
      ...(ledger ? { placedBefore: (file: RemoteFile) => ledger.matches(file) } : {}),
      emptyGraceMs: this.#settings.empty_file_grace_minutes * 60_000,
    });
    addListingCounts(selection.counts, listing.counted());
    endListingSpan(listingSpan, listing.mode, usageBefore, this.#sharepoint.usage(), selection);
    throwIfAborted(signal);
    const malware = new MalwareRegistry(saved.state.malware, () => this.#clock.now());
    const screened = malware.screen(selection.candidates, runId);
    const plan = planDownloads(selection.counts, screened.keep, staging, runId);
    for (const { file, failure } of guard?.failed ?? []) {
      // Held back before the selection: listed and in the window all the same.
      plan.counts.listed++;
      plan.counts.in_window++;
      plan.unsafe.push(failure);
      plan.unsafeFiles.push(file);
    }
    const result: SyncResult = {
      run_id: runId,
      trigger: options.trigger,
      dry_run: dryRun,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      ...plan.counts,
      skipped_pending: plan.pending.length,
      downloaded: [],
      failed: [...plan.unsafe],
      skipped_verification: 0,
      skipped_malformed: listing.skippedMalformed(),
      malware: screened.known.length,
      bytes: 0,
      duration_ms: 0,
      listing: listing.mode,
      ...arrivedFiles(selection.candidates, selection.reasons),
      graph_requests: 0,
      graph_resource_units: 0,
      graph_download_requests: 0,
    };
    const countUsage = () => {
      const used = usageSince(usageBefore, this.#sharepoint.usage());
      result.graph_requests = used.requests;
      result.graph_resource_units = used.resourceUnits;
      result.graph_download_requests = used.downloads;
    };
    if (dryRun) {
      const would = plan.toDownload.filter((f) => !f.malware);
      result.downloaded = would.map((f) => f.name);
      result.bytes = would.reduce((sum, f) => sum + f.size, 0);
      result.malware += plan.toDownload.length - result.downloaded.length;
      addRelativePaths(result, plan.toDownload);
      countUsage();
      return { result };
    }
    const outcomes = await this.#download(plan.toDownload, {
      staging,
      partials,
      runId,
      signal,
      progress: options.progress,
    });
    plan.toDownload.forEach((file, i) => {
      addOutcome(result, file.name, outcomes[i]);
      if (outcomes[i]?.kind === "malware") malware.record(file);
    });
    addRelativePaths(result, plan.toDownload);
    countUsage();
    await recordPlaced({
      store: this.#state,
      placed: placedVersions(plan.toDownload, outcomes),
      now: this.#clock.now(),
      maxCatchUpHours: this.#settings.max_catch_up_hours,
      runId,
    });
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
    const commit = async () => {
      if (malware.changed) await this.#saveMalware(malware);
      await listing.commit({
        failed: [
          ...plan.unsafeFiles,
          ...plan.toDownload.filter((_, i) => outcomes[i]?.kind === "failed"),
        ],
        pending: [
          ...plan.pending,
          ...plan.toDownload.filter((_, i) => outcomes[i]?.kind === "exists"),
        ],
        held: selection.held,
        arrivals: selection.arrivals,
      });
    };
    return { result, commit };
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

  /** Writes the flagged files into the job state; a failure only means asking again next run. */
  async #saveMalware(malware: MalwareRegistry): Promise<void> {
    try {
      await this.#state.update((state) => malware.apply(state));
    } catch (error) {
      log.warn("Cannot write the state file {state_file}: {error}", {
        state_file: this.#state.path,
        error: (error as Error).message,
      });
    }
  }

  /** Records a run that finished with exit 0 or 3 as the job's last success. */
  async #recordSuccess(runId: string, result: SyncResult, window: PlannedWindow): Promise<void> {
    await recordSuccessfulRun({
      store: this.#state,
      metrics: this.#metrics,
      runId,
      result,
      window,
      finishedAt: new Date(this.#clock.now()),
    });
  }

  async #download(
    files: RemoteFile[],
    run: {
      staging: StagingArea;
      partials: ResumablePartials;
      runId: string;
      signal: AbortSignal | undefined;
      progress: SyncProgress | undefined;
    },
  ): Promise<(FileOutcome | undefined)[]> {
    const { staging, runId, signal, progress } = run;
    const outcomes: (FileOutcome | undefined)[] = new Array(files.length);
    const context = {
      sharepoint: this.#sharepoint,
      staging,
      partials: run.partials,
      clock: this.#clock,
      runId,
      verifyHash: this.#settings.verify_hash,
      rewrittenExtensions: this.#rewrittenExtensions,
      maxRetries: this.#settings.max_retries,
      retryDelayMs: this.#settings.retry_delay_seconds * 1000,
      signal,
      progress,
      slots: new TransferSlots(this.#settings.download_concurrency),
      halt: {},
    };
    progress?.planned?.(files.length, files.reduce((sum, f) => sum + f.size, 0));
    try {
      // Twice as many files in flight as transfers: while `download_concurrency` bodies stream,
      // as many finished ones can be flushed to disk and placed (see transfer_slots.ts).
      await runPool(
        files,
        { concurrency: 2 * this.#settings.download_concurrency, signal },
        async (file, i) => {
          outcomes[i] = await tracedDownload(file, () => downloadWithRetries(file, context));
          progress?.fileDone?.(file.name, outcomes[i]?.kind !== "failed");
        },
      );
    } catch (error) {
      if (!signal?.aborted) throw error;
    } finally {
      if (signal?.aborted) await staging.removeOwn();
      progress?.phase?.("placing");
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
  const plan: Plan = { counts, toDownload: [], pending: [], unsafe: [], unsafeFiles: [] };
  for (const file of candidates) {
    const reason = unsafeFileReason(file, staging.os);
    if (reason !== undefined) {
      log.error("Cannot download {file}: {reason}", {
        run_id: runId,
        file: describeFile(file),
        reason,
      });
      plan.unsafe.push({
        name: file.name,
        reason: `Cannot write this name: ${reason}`,
        refused_name: true,
        ...(file.path !== undefined && file.path !== file.name ? { path: file.path } : {}),
      });
      plan.unsafeFiles.push(file);
    } else if (staging.isPending(file.name)) {
      log.info("Skipped {file}: still in ingestion_dir, not yet consumed", {
        run_id: runId,
        file: file.name,
      });
      plan.pending.push(file);
    } else plan.toDownload.push(file);
  }
  return plan;
}

/** Flattened names: records the relative path of each placed (or planned) name. */
function addRelativePaths(result: SyncResult, files: readonly RemoteFile[]): void {
  const placed = new Set(result.downloaded);
  for (const file of files) {
    if (file.path === undefined || file.path === file.name || !placed.has(file.name)) continue;
    (result.relative_paths ??= {})[file.name] = file.path;
  }
}

/** `arrived_files` of the result: candidates selected as arrivals, when any. */
function arrivedFiles(
  candidates: RemoteFile[],
  reasons: ReadonlyMap<string, string>,
): { arrived_files?: string[] } {
  const names = candidates.filter((f) => reasons.get(f.id) === "arrived").map((f) => f.name);
  return names.length > 0 ? { arrived_files: names } : {};
}

/** The versions placed: the listed one, or the one a restarted Range download fetched. */
function placedVersions(files: RemoteFile[], outcomes: (FileOutcome | undefined)[]): RemoteFile[] {
  const placed: RemoteFile[] = [];
  files.forEach((file, i) => {
    const outcome = outcomes[i];
    if (outcome?.kind === "placed") placed.push(outcome.current ?? file);
  });
  return placed;
}

function addOutcome(result: SyncResult, name: string, outcome: FileOutcome | undefined): void {
  if (outcome === undefined) return;
  if (outcome.kind === "placed") {
    result.downloaded.push(name);
    result.bytes += outcome.bytes;
    if (outcome.verification?.kind === "rewritten") result.skipped_verification++;
  } else if (outcome.kind === "exists") result.skipped_pending++;
  else if (outcome.kind === "malware") result.malware++;
  else result.failed.push({ name, reason: outcome.reason });
}

/** `items`, reporting how many were listed so far to `progress` (when it listens). */
function countListed<T>(items: AsyncIterable<T>, progress: SyncProgress | undefined) {
  if (!progress?.listed) return items;
  return (async function* () {
    let count = 0;
    for await (const item of items) {
      progress.listed?.(++count);
      yield item;
    }
  })();
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AbortedError("Cannot finish the sync run: the run was aborted", {
      cause: signal.reason,
    });
  }
}

/** Why `signal` stopped the run, in words: "stopped by the operator (second SIGINT)". */
function stopReason(signal: AbortSignal): string {
  const reason = signal.reason instanceof Error ? signal.reason.message : "";
  return reason.replace(/^Cannot finish (the sync )?run: /, "") || "the run was stopped";
}

function logFinished(result: SyncResult): void {
  const properties = {
    ...result,
    downloaded_count: result.downloaded.length,
    failed_count: result.failed.length,
  };
  if (result.dry_run) {
    log.info(
      "Dry run finished {run_id}: would download {downloaded_count} file(s), {bytes} bytes " +
        "(listed sizes); {skipped_ingested} already ingested, {skipped_pending} pending, " +
        "{skipped_filtered} filtered, {in_window} of {listed} listed in the window",
      properties,
    );
    return;
  }
  const message = "Sync finished {run_id}: {downloaded_count} downloaded, {failed_count} failed, " +
    "{skipped_ingested} already ingested, {skipped_pending} pending, {skipped_filtered} filtered, " +
    "{unchanged_content} unchanged content, {held_empty} empty held, {arrived} arrived, " +
    "{in_window} of {listed} listed in the window, {bytes} bytes in {duration_ms} ms, " +
    "{graph_requests} Graph requests ({graph_resource_units} resource units, {listing})";
  if (result.failed.length > 0) log.warn(message, properties);
  else log.info(message, properties);
}
