/**
 * The metrics file after each run: counters kept cumulative across processes, and the two
 * timestamps a batch job is alerted on.
 *
 * Under `run-once` (Task Scheduler, cron, systemd timers, Kubernetes CronJobs) every run is a
 * new process, so in-process counters would restart at 0 each run and Prometheus `rate()` /
 * `increase()` would mean nothing. After each run the counters' increase in this process is
 * added to the totals in the job's state store (a merge under the store's lock, so a forced
 * trigger overlapping a scheduled run loses nothing), and the registry takes the merged
 * totals before the file is written. Deleting the state file resets the counters, which
 * Prometheus handles as a counter reset.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { describeError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import type { JobStateStore } from "../state/job_state.ts";
import type { MetricsState } from "../state/state_wire.ts";
import type { RunOutcome } from "./run_outcome.ts";

const log = getLogger(["ingest", "scheduler"]);

/** Gauge: when the last run ended (`ingest_last_run_timestamp_seconds{job}`). */
export const LAST_RUN_TIMESTAMP = "last_run_timestamp_seconds";
/** Gauge: when the last run with exit 0 or 3 ended (`ingest_last_success_timestamp_seconds{job}`). */
export const LAST_SUCCESS_TIMESTAMP = "last_success_timestamp_seconds";

/** Options of {@link RunMetrics}. */
export interface RunMetricsOptions {
  /** The job's view of the registry. */
  metrics: Metrics;
  /** `metrics_file`; nothing is kept or written without it. */
  path: string | undefined;
  /** The job's state store; without it counters are per process. */
  store?: JobStateStore | undefined;
  now: () => number;
}

function succeeded(outcome: RunOutcome | undefined): boolean {
  return outcome?.status === "completed" && (outcome.exitCode === 0 || outcome.exitCode === 3);
}

/** Keeps the job's counters cumulative across processes and writes the metrics file. */
export class RunMetrics {
  #options: RunMetricsOptions;
  /** Counter values last merged into the state: the increase since then is this process's. */
  #merged = new Map<string, number>();

  constructor(options: RunMetricsOptions) {
    this.#options = options;
    this.#prime();
  }

  /**
   * Starts the job's counters at the totals kept in the state, before any run of this process:
   * jobs sharing one metrics file write each other's series, so a series must never show the
   * process's own count alone (Prometheus would read that as a counter reset).
   */
  #prime(): void {
    const { store, path, metrics } = this.#options;
    if (!store || !path) return;
    const kept = store.loadSync().state.metrics;
    if (!kept) return;
    const own = metrics.counters();
    for (const [name, total] of Object.entries(kept.counters)) {
      metrics.restore(name, total + (own.get(name) ?? 0));
      this.#merged.set(name, total);
    }
    this.#setGauges(kept);
  }

  /**
   * After a run (`outcome`) or a skipped tick (undefined): merges the counters, sets the
   * timestamps and writes the metrics file. Never throws: a failure is one warning.
   */
  async record(outcome: RunOutcome | undefined): Promise<void> {
    const { path, metrics } = this.#options;
    if (!path) return;
    try {
      const ran = outcome !== undefined && outcome.status !== "skipped";
      if (this.#options.store) await this.#merge(ran, succeeded(outcome));
      else if (ran) this.#setTimes(this.#options.now(), succeeded(outcome));
      await metrics.writeFile(path);
    } catch (error) {
      log.warn("Cannot write metrics_file {path}: {error}", { path, error: describeError(error) });
    }
  }

  async #merge(ran: boolean, success: boolean): Promise<void> {
    const { metrics, store, now } = this.#options;
    const counters = metrics.counters();
    const at = new Date(now()).toISOString();
    const state = await store!.update((s) => {
      const kept = s.metrics ?? { counters: {} };
      for (const [name, value] of counters) {
        kept.counters[name] = (kept.counters[name] ?? 0) + value - (this.#merged.get(name) ?? 0);
      }
      if (ran) kept.last_run_at = at;
      if (ran && success) kept.last_success_at = at;
      s.metrics = kept;
    });
    const kept = state.metrics!;
    // Increments made while the update was written (another run of this job) stay counted.
    const after = metrics.counters();
    for (const [name, total] of Object.entries(kept.counters)) {
      metrics.restore(name, total + (after.get(name) ?? 0) - (counters.get(name) ?? 0));
      this.#merged.set(name, total);
    }
    this.#setGauges(kept);
  }

  #setGauges(kept: MetricsState): void {
    const { metrics } = this.#options;
    const seconds = (iso: string | undefined) =>
      iso === undefined ? undefined : Math.floor(Date.parse(iso) / 1000);
    const lastRun = seconds(kept.last_run_at);
    const lastSuccess = seconds(kept.last_success_at);
    if (lastRun !== undefined) metrics.set(LAST_RUN_TIMESTAMP, lastRun, LAST_RUN_HELP);
    if (lastSuccess !== undefined) metrics.set(LAST_SUCCESS_TIMESTAMP, lastSuccess, SUCCESS_HELP);
  }

  #setTimes(now: number, success: boolean): void {
    const seconds = Math.floor(now / 1000);
    this.#options.metrics.set(LAST_RUN_TIMESTAMP, seconds, LAST_RUN_HELP);
    if (success) this.#options.metrics.set(LAST_SUCCESS_TIMESTAMP, seconds, SUCCESS_HELP);
  }
}

const LAST_RUN_HELP = "Unix time the last sync run ended, whatever its outcome";
const SUCCESS_HELP = "Unix time the last sync run that finished with exit 0 or 3 ended; " +
  "alert when time() minus this exceeds a few schedule periods";
