/**
 * Many jobs in one process: one {@link Scheduler} per job key behind one driver. Each job keeps
 * its own schedule, overlap policy and cross-process lock; the driver starts, triggers and stops
 * them together and folds their exit codes into one by {@link combinedExitCode}.
 * @module
 */
import { ExitCode } from "../errors.ts";
import type { RunOutcome, TriggerRequest } from "./run_outcome.ts";

/** What the driver needs of one job's scheduler (the `Scheduler` class). */
export interface JobScheduler {
  readonly job: string;
  start(): boolean;
  stop(options?: { timeoutMs?: number }): Promise<{ aborted: boolean }>;
  abort(reason?: unknown): void;
  runOnce(request?: TriggerRequest): Promise<RunOutcome>;
  trigger(request?: TriggerRequest): Promise<RunOutcome>;
}

/** The outcome of one job in a command over several jobs. */
export interface JobOutcome {
  job: string;
  outcome: RunOutcome;
}

/**
 * The exit code of a command over several jobs: an interruption (130/143) first, then 2 when a
 * job's settings made it impossible to run, then 1 if any job failed, else 3 if any was partial,
 * else 4 if any was skipped by a lock, else 0. Codes outside this list count as failures (1).
 */
export function combinedExitCode(codes: readonly number[]): number {
  const order: number[] = [
    ExitCode.Terminated,
    ExitCode.Interrupted,
    ExitCode.Usage,
    ExitCode.Failed,
    ExitCode.Partial,
    ExitCode.Locked,
  ];
  const known = codes.map((code) => code === ExitCode.Ok || order.includes(code) ? code : 1);
  return order.find((code) => known.includes(code)) ?? ExitCode.Ok;
}

/** Drives the schedulers of every selected job. */
export class JobSet {
  #schedulers: JobScheduler[];

  constructor(schedulers: readonly JobScheduler[]) {
    this.#schedulers = [...schedulers];
  }

  /** The job keys, in settings order. */
  get jobs(): string[] {
    return this.#schedulers.map((s) => s.job);
  }

  /** Starts every enabled job's schedule; false when no job is enabled. */
  start(): boolean {
    let any = false;
    for (const scheduler of this.#schedulers) any = scheduler.start() || any;
    return any;
  }

  /** Stops every job at once; `aborted` when any job had to abort a run. */
  async stop(options: { timeoutMs?: number } = {}): Promise<{ aborted: boolean }> {
    const results = await Promise.all(this.#schedulers.map((s) => s.stop(options)));
    return { aborted: results.some((r) => r.aborted) };
  }

  /** Aborts every job's runs in progress. */
  abort(reason?: unknown): void {
    for (const scheduler of this.#schedulers) scheduler.abort(reason);
  }

  /**
   * One run of every job (`run-once` or `trigger`), concurrently; the schedulers' shared slots
   * bound how many run at once. Resolves when every job has ended, in settings order.
   */
  runAll(kind: "run-once" | "trigger", request: TriggerRequest = {}): Promise<JobOutcome[]> {
    return Promise.all(this.#schedulers.map(async (scheduler) => ({
      job: scheduler.job,
      outcome: kind === "trigger"
        ? await scheduler.trigger({ ...request })
        : await scheduler.runOnce({ ...request }),
    })));
  }
}
