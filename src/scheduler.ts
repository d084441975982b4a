/**
 * The Scheduler: turns one {@link SyncRunner} into a service. It fires ticks on the configured
 * schedule (one tick source on the injected clock for every kind of schedule, see
 * `schedule/tick_source.ts`), applies the overlap policy inside the process, holds the
 * cross-process run lock for every run, and stops gracefully. Scheduled ticks, `runOnce` and
 * `trigger` all go through the same path (`schedule/run_requests.ts`).
 *
 * Overlap inside the process (`allow_overlap = false`): a request that arrives while a run is in
 * progress is skipped with a warning (`overlap_policy = "skip"`) or queued to run right after
 * (`"queue"`, at most one queued; more are skipped). `allow_overlap = true` or a forced trigger
 * runs concurrently and shares the process's lock. Across processes: a run needs the lock file;
 * when another process holds it the run is skipped (exit 4) or, with `"queue"`, waits for it; a
 * forced trigger runs alongside it with a warning (see `execute_run.ts`).
 * @module
 */
import { dirname } from "node:path";
import { getLogger, withContext } from "@logtape/logtape";
import { type Clock, systemClock } from "./clock.ts";
import type { ScheduleMode, Settings } from "./config/settings.ts";
import { AbortedError, describeError, IngestError } from "./errors.ts";
import { Metrics } from "./metrics.ts";
import { schedulePlan, TickSource } from "./schedule/tick_source.ts";
import { fileLockFactory, type LockFactory } from "./schedule/run_lock.ts";
import { RunMetrics } from "./schedule/run_metrics.ts";
import { type LastRun, RunRequests } from "./schedule/run_requests.ts";
import type { JobStateStore } from "./state/job_state.ts";
import {
  type RunOutcome,
  type RunRequest,
  skipped,
  type TriggerRequest,
} from "./schedule/run_outcome.ts";
import type { Slots } from "./slots.ts";
import { describeSchedule, jitterMs, nextRuns } from "./schedule/schedule_math.ts";
import { SharedRunLock } from "./schedule/shared_lock.ts";
import type { ActiveRuns } from "./schedule/active_runs.ts";
import type { SyncRunner } from "./sync/sync_result.ts";
import type { RunTracer } from "./telemetry/span_scope.ts";

const log = getLogger(["ingest", "scheduler"]);

/** The key that names the lock's folder: `staging_dir` unless `lock_file` moved it elsewhere. */
function lockKey(settings: Settings): string {
  return dirname(settings.lock_file) === settings.staging_dir ? "staging_dir" : "lock_file";
}

/** Metric: scheduled ticks (including `run-once`). */
export const TICK_COUNT = "scheduler.tick.count";

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  settings: Settings;
  job: SyncRunner;
  clock?: Clock;
  /** Random source in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
  metrics?: Metrics;
  /** Takes the cross-process lock. Default: the lock file `settings.lock_file`. */
  lockFactory?: LockFactory;
  /** The command recorded as lock holder ("run", "run-once", "trigger"). Default "run". */
  command?: string;
  /** How long `stop` still waits for aborted runs to end. Default 5000 ms. */
  abortGraceMs?: number;
  /** Process-wide run slots (`max_parallel_jobs`) shared with the other jobs' schedulers. */
  slots?: Slots;
  /** Traces every run (OpenTelemetry); default none. */
  tracer?: RunTracer | undefined;
  /** The job's state store, where metrics counters are kept across processes. */
  state?: JobStateStore;
}

/** Drives the sync job on the schedule of the settings. */
export class Scheduler {
  #settings: Settings;
  #clock: Clock;
  #random: () => number;
  #metrics: Metrics;
  #abortGraceMs: number;
  #requests: RunRequests;
  #lifetime = new AbortController();
  #started = false;
  #stopping = false;
  #ticks: TickSource | undefined;
  #tickTasks = new Set<Promise<void>>();
  #tickCount = 0;

  constructor(options: SchedulerOptions) {
    this.#settings = options.settings;
    const clock = this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    const metrics = this.#metrics = options.metrics ?? new Metrics();
    this.#abortGraceMs = options.abortGraceMs ?? 5_000;
    const factory = options.lockFactory ??
      fileLockFactory({
        path: options.settings.lock_file,
        key: lockKey(options.settings),
        command: options.command ?? "run",
        clock,
      });
    this.#requests = new RunRequests({
      settings: options.settings,
      job: options.job,
      clock,
      metrics,
      runMetrics: new RunMetrics({
        metrics,
        path: options.settings.metrics_file,
        store: options.state,
        now: () => clock.now(),
      }),
      lock: new SharedRunLock(factory, { wait: options.settings.overlap_policy === "queue" }),
      stopping: () => this.#stopping,
      slots: options.slots,
      tracer: options.tracer,
      state: options.state,
    });
  }

  /** Runs in progress and waiting in this process. */
  get #active(): ActiveRuns {
    return this.#requests.active;
  }

  /** The schedule in use. */
  get mode(): ScheduleMode {
    return this.#settings.schedule;
  }

  /** Runs in progress in this process (including ones waiting for the lock). */
  get running(): number {
    return this.#active.size;
  }

  /** The next planned tick; undefined when not scheduling (not started, disabled, stopping). */
  get nextRun(): Date | undefined {
    if (!this.#started || this.#stopping) return undefined;
    return this.#ticks?.next;
  }

  /** How the last requested run of this process ended (completed, skipped, failed), and when. */
  get lastRun(): LastRun | undefined {
    return this.#requests.lastRun;
  }

  /** The next `count` planned run times from `from` (default: now). */
  nextRuns(count: number, from: Date = new Date(this.#clock.now())): Date[] {
    return nextRuns(this.mode, { from, count, timezone: this.#settings.timezone });
  }

  /**
   * Starts the scheduled ticks (interval: the first tick is now). Returns false, scheduling
   * nothing, when `enabled = false`; manual triggers work either way.
   */
  start(): boolean {
    return this.#inJob(() => this.#start());
  }

  #start(): boolean {
    if (!this.#settings.enabled) {
      log.info("Scheduling is disabled (enabled = false): no scheduled runs", { enabled: false });
      return false;
    }
    if (this.#started || this.#stopping) return this.#started;
    this.#started = true;
    const { timezone, allow_overlap, overlap_policy } = this.#settings;
    const mode = this.mode;
    log.info("Scheduler started: {schedule}", {
      schedule: describeSchedule(mode, timezone),
      mode: mode.kind,
      timezone,
      allow_overlap,
      overlap_policy,
      jitter_seconds: this.#settings.jitter_seconds,
    });
    this.#ticks = new TickSource({
      plan: schedulePlan(mode, timezone),
      clock: this.#clock,
      onTick: (planned) => {
        try {
          this.#tick(planned);
        } catch (error) {
          log.error("Tick failed: {error}", { error: describeError(error) });
        }
      },
    });
    // An interval ticks at once, and that tick logs the next run.
    this.#ticks.start();
    if (mode.kind !== "interval") this.#logNextRun();
    return true;
  }

  /** One scheduled iteration now (`ingest run-once`), under the overlap policy and the lock. */
  runOnce(request: RunRequest = {}): Promise<RunOutcome> {
    return this.#inJob(() => this.#runOnce(request));
  }

  #runOnce(request: RunRequest): Promise<RunOutcome> {
    if (!this.#settings.enabled) return Promise.resolve(this.#disabled("run-once"));
    this.#metrics.inc(TICK_COUNT, 1, "Scheduled ticks");
    log.info("Run-once requested", { dry_run: request.dryRun ?? false });
    return this.#requests.request("run-once", request, false);
  }

  /**
   * A manual run now (`ingest trigger`), whatever the schedule state. Inside the process it
   * follows the overlap policy unless `force`; the cross-process lock applies either way.
   */
  trigger(request: TriggerRequest = {}): Promise<RunOutcome> {
    return this.#inJob(() => this.#trigger(request));
  }

  #trigger(request: TriggerRequest): Promise<RunOutcome> {
    if (!this.#settings.enabled && !request.force) {
      return Promise.resolve(this.#disabled("trigger"));
    }
    log.info("Manual trigger", {
      force: request.force ?? false,
      dry_run: request.dryRun ?? false,
      since: request.since?.toISOString(),
      lookback_ms: request.lookbackMs,
    });
    return this.#requests.request("manual", request, request.force ?? false);
  }

  /** The outcome of a run-once or an unforced trigger of a paused job: nothing runs, exit 0. */
  #disabled(command: "run-once" | "trigger"): RunOutcome {
    const advice = command === "trigger"
      ? "; pass --force to run it anyway"
      : "; set enabled = true to resume it";
    const message = `Skipped ${command}: job "${this.#settings.job}" is disabled ` +
      `(enabled = false), nothing ran${advice}`;
    log.info(message, { enabled: false, command });
    return skipped("disabled", new IngestError(message, { exitCode: 0 }));
  }

  /**
   * Stops scheduling, drops a queued run, cancels runs still waiting for the lock, waits up to
   * `timeoutMs` (default `shutdown_timeout_seconds`) for runs in progress, then aborts them.
   * Resolves `aborted: true` when a run that had started had to be aborted.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<{ aborted: boolean }> {
    return this.#inJob(() => this.#stop(options));
  }

  async #stop(options: { timeoutMs?: number }): Promise<{ aborted: boolean }> {
    const timeoutMs = options.timeoutMs ?? this.#settings.shutdown_timeout_seconds * 1000;
    if (!this.#stopping) {
      this.#stopping = true;
      log.info(
        "Stopping: waiting up to {timeout_s} s for {in_flight} run(s) to finish; press Ctrl+C " +
          "again (or send a second SIGTERM) to stop now: finished files stay, unfinished " +
          "downloads are removed",
        {
          timeout_s: timeoutMs / 1000,
          timeout_ms: timeoutMs,
          in_flight: this.#active.size,
        },
      );
      this.#lifetime.abort();
      await this.#ticks?.stop();
      this.#requests.dropQueued();
      this.#active.cancelLocking(new AbortedError("Cannot start run: the scheduler is stopping"));
    }
    if (!(await this.#active.idleWithin(timeoutMs))) {
      log.warn("Shutdown timeout reached: aborting {in_flight} run(s)", {
        in_flight: this.#active.size,
        timeout_ms: timeoutMs,
      });
      this.abort(
        new AbortedError(`Cannot finish run: shutdown timeout of ${timeoutMs} ms reached`),
      );
      if (!(await this.#active.idleWithin(this.#abortGraceMs))) {
        log.error("Runs still active {grace_ms} ms after the abort", {
          grace_ms: this.#abortGraceMs,
        });
      }
    }
    if (this.#active.size === 0) await Promise.allSettled([...this.#tickTasks]);
    const aborted = this.#active.abortedRunning;
    log.info("Scheduler stopped", { aborted });
    return { aborted };
  }

  /** Aborts every run in progress at once (a second shutdown signal) and drops a queued run. */
  abort(reason: unknown = new AbortedError("Cannot finish run: aborted")): void {
    this.#requests.dropQueued();
    this.#active.abort(reason);
  }

  /** The job key this scheduler drives. */
  get job(): string {
    return this.#settings.job;
  }

  /** Runs `fn` with `job` in the context of every log record it emits (directly or later). */
  #inJob<T>(fn: () => T): T {
    return withContext({ job: this.#settings.job }, fn);
  }

  #tick(planned: Date): void {
    this.#inJob(() => this.#tickInJob(planned));
  }

  #tickInJob(planned: Date): void {
    if (this.#stopping) return;
    const tick = ++this.#tickCount;
    this.#metrics.inc(TICK_COUNT, 1, "Scheduled ticks");
    log.info("Tick {tick} (planned {planned})", { tick, planned: planned.toISOString() });
    this.#logNextRun();
    const task: Promise<void> = this.#runTick(tick)
      .catch((error) =>
        log.error("Tick {tick} failed: {error}", { tick, error: describeError(error) })
      )
      .finally(() => this.#tickTasks.delete(task));
    this.#tickTasks.add(task);
  }

  async #runTick(tick: number): Promise<void> {
    const delay = this.mode.kind === "interval"
      ? jitterMs(this.#settings.jitter_seconds, this.#random)
      : 0;
    if (delay > 0) {
      log.debug("Tick {tick} waits {jitter_ms} ms of jitter", { tick, jitter_ms: delay });
      try {
        await this.#clock.sleep(delay, this.#lifetime.signal);
      } catch {
        return;
      }
    }
    await this.#requests.request("tick", {}, false);
  }

  #logNextRun(): void {
    const next = this.#ticks?.next;
    if (next) log.info("Next run at {next_run}", { next_run: next.toISOString() });
  }
}
