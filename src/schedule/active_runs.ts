/**
 * The runs a scheduler has in progress in this process (including ones waiting for a slot or the
 * lock): what a shutdown cancels, aborts and waits for.
 * @module
 */
import type { Clock } from "../clock.ts";

/** One run in progress; `phase` is "locking" until the job runs. */
export interface ActiveRun {
  controller: AbortController;
  phase: "locking" | "running";
}

/** The set of runs in progress, with a wait for "none left" on the injected clock. */
export class ActiveRuns {
  #runs = new Set<ActiveRun>();
  #idleWaiters: (() => void)[] = [];
  #clock: Clock;
  #abortedRunning = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs in progress. */
  get size(): number {
    return this.#runs.size;
  }

  /** True once {@link abort} stopped a run that had started. */
  get abortedRunning(): boolean {
    return this.#abortedRunning;
  }

  /** Registers a new run, in phase "locking". */
  begin(): ActiveRun {
    const run: ActiveRun = { controller: new AbortController(), phase: "locking" };
    this.#runs.add(run);
    return run;
  }

  /** Removes `run`; true when no run is left. */
  end(run: ActiveRun): boolean {
    this.#runs.delete(run);
    return this.#runs.size === 0;
  }

  /** Wakes every {@link idleWithin} waiting (call when {@link end} left none). */
  notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Aborts the runs still waiting for a slot or the lock with `reason`. */
  cancelLocking(reason: unknown): void {
    for (const run of this.#runs) {
      if (run.phase === "locking") run.controller.abort(reason);
    }
  }

  /** Aborts every run with `reason`. */
  abort(reason: unknown): void {
    for (const run of this.#runs) {
      if (run.phase === "running") this.#abortedRunning = true;
      run.controller.abort(reason);
    }
  }

  /** True when no run is active within `ms` on the clock. */
  async idleWithin(ms: number): Promise<boolean> {
    if (this.#runs.size === 0) return true;
    const timer = new AbortController();
    const idle = new Promise<boolean>((resolve) => this.#idleWaiters.push(() => resolve(true)));
    const timeout = this.#clock.sleep(ms, timer.signal).then(() => false, () => false);
    const result = await Promise.race([idle, timeout]);
    timer.abort();
    return result;
  }
}
