/**
 * The run requests of one job's scheduler: ticks, `run-once` and triggers go through
 * {@link RunRequests.request}, which applies the overlap policy inside the process (run now,
 * queue one, or skip), waits for a `max_parallel_jobs` slot, runs the job under the
 * cross-process lock (`execute_run.ts`) and records the run metrics.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import type { Settings } from "../config/settings.ts";
import type { Metrics } from "../metrics.ts";
import type { ReleaseSlot, Slots } from "../slots.ts";
import type { JobStateStore } from "../state/job_state.ts";
import type { SyncRunner } from "../sync/sync_result.ts";
import type { RunTracer } from "../telemetry/span_scope.ts";
import { ActiveRuns } from "./active_runs.ts";
import { lostCatchUpPoint } from "./catch_up_point.ts";
import { executeRun } from "./execute_run.ts";
import { OverlapQueue } from "./overlap_queue.ts";
import { readLockInfo } from "./run_lock.ts";
import type { RunMetrics } from "./run_metrics.ts";
import {
  aborted,
  type RunOutcome,
  type RunRequest,
  skipped,
  type TriggerRequest,
} from "./run_outcome.ts";
import { effectiveLookbackMs } from "./schedule_math.ts";
import type { SharedRunLock } from "./shared_lock.ts";

const log = getLogger(["ingest", "scheduler"]);

/** Metric: ticks skipped because a run was in progress here or held the lock elsewhere. */
export const TICK_SKIPPED_OVERLAP_COUNT = "scheduler.tick.skipped_overlap.count";

/** What asked for a run: a scheduled tick, `ingest run-once`, or a manual trigger. */
export type RequestKind = "tick" | "run-once" | "manual";

/** The end of the last run requested from a scheduler. */
export interface LastRun {
  outcome: RunOutcome;
  endedAt: Date;
}

/** Options of {@link RunRequests}. */
export interface RunRequestsOptions {
  settings: Settings;
  job: SyncRunner;
  clock: Clock;
  metrics: Metrics;
  runMetrics: RunMetrics;
  lock: SharedRunLock;
  /** True once the scheduler is stopping: every further request is skipped. */
  stopping: () => boolean;
  slots?: Slots | undefined;
  tracer?: RunTracer | undefined;
  state?: JobStateStore | undefined;
}

/** Runs, queues or skips the run requests of one job. */
export class RunRequests {
  #options: RunRequestsOptions;
  #active: ActiveRuns;
  #queue = new OverlapQueue();
  /** The settings' lookback, derived once (a cron's gap search takes some milliseconds). */
  #defaultLookbackMs: number | undefined;
  #lastRun: LastRun | undefined;

  constructor(options: RunRequestsOptions) {
    this.#options = { ...options };
    this.#active = new ActiveRuns(options.clock);
  }

  /** The runs in progress (including ones waiting for a slot or the lock). */
  get active(): ActiveRuns {
    return this.#active;
  }

  /** How the last requested run ended, and when. */
  get lastRun(): LastRun | undefined {
    return this.#lastRun;
  }

  /** Drops the queued request, if any (it resolves skipped, "stopped"). */
  dropQueued(): void {
    this.#queue.cancel();
  }

  /**
   * Runs `request` now, queues it or skips it, by the overlap policy (`force`: now, alongside
   * any run). Skipped ("stopped") once the scheduler is stopping.
   */
  request(kind: RequestKind, request: RunRequest, force: boolean): Promise<RunOutcome> {
    if (this.#options.stopping()) {
      log.info("Skipped {kind}: the scheduler is stopping", { kind });
      return Promise.resolve(skipped("stopped"));
    }
    if (force || this.#options.settings.allow_overlap || this.#active.size === 0) {
      return this.#runNow(kind, request);
    }
    if (this.#options.settings.overlap_policy === "queue" && !this.#queue.full) {
      return this.#queue.enqueue(kind, () => this.#runNow(kind, request));
    }
    return this.#skipOverlap(kind);
  }

  async #skipOverlap(kind: RequestKind): Promise<RunOutcome> {
    const queueFull = this.#options.settings.overlap_policy === "queue";
    log.warn("Skipped {kind}: a run is still in progress{detail}", {
      kind,
      detail: queueFull ? " and another is already queued" : " (allow_overlap = false)",
      overlap_policy: this.#options.settings.overlap_policy,
    });
    if (kind !== "manual") {
      this.#options.metrics.inc(TICK_SKIPPED_OVERLAP_COUNT, 1, "Ticks skipped");
    }
    await this.#options.runMetrics.record(undefined);
    return skipped("overlap");
  }

  async #runNow(kind: RequestKind, request: RunRequest): Promise<RunOutcome> {
    const run = this.#active.begin();
    const forward = () => run.controller.abort(request.signal?.reason);
    if (request.signal?.aborted) forward();
    request.signal?.addEventListener("abort", forward, { once: true });
    let releaseSlot: ReleaseSlot | undefined;
    let outcome: RunOutcome | undefined;
    try {
      if (this.#options.slots) {
        try {
          releaseSlot = await this.#waitForSlot(kind, run.controller.signal);
        } catch (error) {
          return aborted(error);
        }
      }
      const lost = await this.#lostCatchUpPoint(request);
      outcome = await executeRun({
        job: this.#options.job,
        lock: this.#options.lock,
        clock: this.#options.clock,
        kind,
        tracer: this.#options.tracer,
        trigger: kind === "manual" ? "manual" : "schedule",
        request,
        signal: run.controller.signal,
        defaultLookbackMs: (reference) =>
          this.#defaultLookbackMs ??= effectiveLookbackMs(this.#options.settings, reference),
        force: kind === "manual" && (request as TriggerRequest).force === true,
        onRunning: () => {
          run.phase = "running";
          if (lost) {
            log.warn("Window: {message}; if runs stopped for longer, run {command}", lost);
          }
        },
        onLocked: () => {
          if (kind !== "manual") {
            this.#options.metrics.inc(TICK_SKIPPED_OVERLAP_COUNT, 1, "Ticks skipped");
          }
        },
      });
      this.#lastRun = { outcome, endedAt: new Date(this.#options.clock.now()) };
      return outcome;
    } finally {
      releaseSlot?.();
      request.signal?.removeEventListener("abort", forward);
      // A dry run writes nothing: no state, no metrics file.
      if (!request.dryRun) await this.#options.runMetrics.record(outcome);
      if (this.#active.end(run) && !this.#queue.startNext()) this.#active.notifyIdle();
    }
  }

  /** See `schedule/catch_up_point.ts`; only for runs whose window the job chooses. */
  async #lostCatchUpPoint(request: RunRequest) {
    const store = this.#options.state;
    if (!store || request.since !== undefined || request.lookbackMs !== undefined) return;
    const previous = await readLockInfo(this.#options.settings.lock_file);
    if (!previous) return;
    return lostCatchUpPoint((await store.load()).state, previous, {
      configPath: this.#options.settings.config_path,
      job: this.#options.settings.job,
      lockFile: this.#options.settings.lock_file,
    });
  }

  #waitForSlot(kind: RequestKind, signal: AbortSignal): Promise<ReleaseSlot> {
    const slots = this.#options.slots!;
    if (slots.free === 0) {
      log.info("The {kind} waits for a free slot (max_parallel_jobs = {max})", {
        kind,
        max: this.#options.settings.max_parallel_jobs,
      });
    }
    return slots.acquire(signal);
  }
}
