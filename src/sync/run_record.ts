/**
 * The record step of a sync run: what a run writes besides the placed files (the staging
 * folder's cleanup, metrics, the ledger, flagged malware, the last success, the listing's saved
 * link). A real run records through {@link StateRecorder}; a dry run through
 * {@link DRY_RUN_RECORDER}, which writes nothing.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import type { Metrics } from "../metrics.ts";
import type { JobState, JobStateStore } from "../state/job_state.ts";
import type { PlannedWindow } from "./catch_up.ts";
import { recordPlaced } from "./ledger_store.ts";
import type { MalwareRegistry } from "./malware_registry.ts";
import { listedPartials, type ResumablePartials } from "./partials.ts";
import type { StagingArea } from "./placement.ts";
import { type RunPlan, throwIfAborted } from "./run_plan.ts";
import { placedVersions } from "./run_result.ts";
import type { TransferOutcomes } from "./run_transfer.ts";
import { recordFailedRun, recordFinishedRun, recordPlacedBeforeAbort } from "./sync_metrics.ts";
import { recordSuccessfulRun, recordWindowMetrics } from "./run_window.ts";
import type { SyncResult } from "./sync_result.ts";

const log = getLogger(["ingest", "sync"]);

/** Everything a run records, in the order {@link SyncJob} calls it. */
export interface RunRecorder {
  /**
   * Creates the staging folder; `alone` (no other run writes to it) also removes a killed run's
   * leftovers and stale partials, keeping the resumable partials `state` lists.
   */
  prepare(
    run: { staging: StagingArea; partials: ResumablePartials; alone: boolean; state: JobState },
  ): Promise<void>;
  /** Sets the window gauges at the start of a run. */
  window(window: PlannedWindow, state: JobState): void;
  /**
   * After the transfer: the files SharePoint flagged, the placed versions in the ledger; a run
   * stopped meanwhile is counted and ends here with `AbortedError`.
   */
  transferred(
    plan: RunPlan,
    run: { result: SyncResult; outcomes: TransferOutcomes; signal: AbortSignal | undefined },
  ): Promise<void>;
  /** A run that ended with a result: its metrics, and its end as the last success (exit 0 or 3). */
  finished(result: SyncResult, window: PlannedWindow): Promise<void>;
  /** A run that failed or stopped. */
  failed(durationMs: number): void;
  /** Saves the flagged files and the listing's link; only after the outcome is recorded. */
  commit(plan: RunPlan, outcomes: TransferOutcomes): Promise<void>;
}

/** Records a dry run: nothing is written, no folder, file, state or metric. */
export const DRY_RUN_RECORDER: RunRecorder = {
  prepare: () => Promise.resolve(),
  window: () => {},
  transferred: () => Promise.resolve(),
  finished: () => Promise.resolve(),
  failed: () => {},
  commit: () => Promise.resolve(),
};

/** Options of {@link StateRecorder}. */
export interface StateRecorderOptions {
  store: JobStateStore;
  metrics: Metrics;
  clock: Clock;
  runId: string;
  /** `max_catch_up_hours`: how long the ledger keeps a placed file. */
  maxCatchUpHours: number;
}

/** Records a real run in the job's state store and the process metrics. */
export class StateRecorder implements RunRecorder {
  #store: JobStateStore;
  #options: StateRecorderOptions;

  constructor(options: StateRecorderOptions) {
    this.#store = options.store;
    this.#options = { ...options };
  }

  async prepare(
    run: { staging: StagingArea; partials: ResumablePartials; alone: boolean; state: JobState },
  ): Promise<void> {
    await run.staging.prepare({ removeLeftovers: run.alone, keep: listedPartials(run.state) });
    if (run.alone) await run.partials.removeStale();
  }

  window(window: PlannedWindow, state: JobState): void {
    recordWindowMetrics(this.#options.metrics, window, state);
  }

  async transferred(
    plan: RunPlan,
    run: { result: SyncResult; outcomes: TransferOutcomes; signal: AbortSignal | undefined },
  ): Promise<void> {
    const { result, outcomes, signal } = run;
    plan.toDownload.forEach((file, i) => {
      if (outcomes[i]?.kind === "malware") plan.malware.record(file);
    });
    await recordPlaced({
      store: this.#store,
      placed: placedVersions(plan.toDownload, outcomes),
      now: this.#options.clock.now(),
      maxCatchUpHours: this.#options.maxCatchUpHours,
      runId: this.#options.runId,
    });
    if (!signal?.aborted) return;
    log.warn("Sync aborted {run_id} after placing {downloaded_count} of {planned} files", {
      run_id: this.#options.runId,
      downloaded_count: result.downloaded.length,
      planned: plan.toDownload.length,
      downloaded: result.downloaded,
      bytes: result.bytes,
    });
    recordPlacedBeforeAbort(this.#options.metrics, result);
    throwIfAborted(signal);
  }

  async finished(result: SyncResult, window: PlannedWindow): Promise<void> {
    recordFinishedRun(this.#options.metrics, result);
    await recordSuccessfulRun({
      store: this.#store,
      metrics: this.#options.metrics,
      runId: this.#options.runId,
      result,
      window,
      finishedAt: new Date(this.#options.clock.now()),
    });
  }

  failed(durationMs: number): void {
    recordFailedRun(this.#options.metrics, durationMs);
  }

  async commit(plan: RunPlan, outcomes: TransferOutcomes): Promise<void> {
    if (plan.malware.changed) await this.#saveMalware(plan.malware);
    await plan.listing.commit({
      failed: [
        ...plan.unsafeFiles,
        ...plan.toDownload.filter((_, i) => outcomes[i]?.kind === "failed"),
      ],
      pending: [
        ...plan.pending,
        ...plan.toDownload.filter((_, i) => outcomes[i]?.kind === "exists"),
      ],
      held: plan.selection.held,
      arrivals: plan.selection.arrivals,
    });
  }

  /** Writes the flagged files into the job state; a failure only means asking again next run. */
  async #saveMalware(malware: MalwareRegistry): Promise<void> {
    try {
      await this.#store.update((state) => malware.apply(state));
    } catch (error) {
      log.warn("Cannot write the state file {state_file}: {error}", {
        state_file: this.#store.path,
        error: (error as Error).message,
      });
    }
  }
}
