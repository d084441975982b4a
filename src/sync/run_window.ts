/**
 * A sync run's window from its options, the settings and the job state, and how it is reported
 * (log lines, `--json`, metrics). The maths are in `catch_up.ts`.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Settings } from "../config/settings.ts";
import { describeError, ExitCode } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import type { JobStateStore } from "../state/job_state.ts";
import type { JobState } from "../state/state_wire.ts";
import {
  coverCommand,
  describeWindow,
  formatSpan,
  type PlannedWindow,
  planWindow,
} from "./catch_up.ts";
import { addInterval, applySuccessfulRun, totalMs, uncoveredIntervals } from "./catch_up_state.ts";
import { recordUncovered, recordWindow } from "./sync_metrics.ts";
import { chooseLookbackMs } from "./window.ts";
import {
  exitCodeForResult,
  type SyncResult,
  type SyncRunOptions,
  type WindowReport,
} from "./sync_result.ts";

const log = getLogger(["ingest", "sync"]);

const HOUR_MS = 3_600_000;

/** The settings that shape a window. */
export type WindowSettings = Pick<
  Settings,
  "lookback_minutes" | "max_catch_up_hours" | "initial_lookback_hours" | "config_path" | "job"
>;

/**
 * The window of a run: the operator's `since`/`lookbackMs` when explicit, else the catch-up window
 * from the last successful run recorded in `state`.
 * @throws {UsageError} for a `since` not before `reference` or a lookback that is not positive.
 */
export function planRunWindow(options: {
  run: SyncRunOptions;
  settings: WindowSettings;
  state: JobState;
  /** The schedule's default lookback, used when the run gives none and the settings neither. */
  defaultLookbackMs: number;
}): PlannedWindow {
  const { run, settings } = options;
  const explicit = run.explicitWindow ?? (run.since !== undefined || run.lookbackMs !== undefined);
  const lastUntil = options.state.last_success?.until;
  return planWindow({
    now: run.reference,
    since: explicit ? run.since : undefined,
    lookbackMs: explicit ? run.lookbackMs : undefined,
    defaultLookbackMs: chooseLookbackMs({
      runMs: explicit ? undefined : run.lookbackMs,
      settingsMinutes: settings.lookback_minutes,
      scheduleDefaultMs: () => options.defaultLookbackMs,
    }),
    maxCatchUpMs: settings.max_catch_up_hours * HOUR_MS,
    initialLookbackMs: settings.initial_lookback_hours === undefined
      ? undefined
      : settings.initial_lookback_hours * HOUR_MS,
    lastSuccessUntil: lastUntil === undefined ? undefined : new Date(lastUntil),
  });
}

/** The `window` part of a run's result. */
export function windowReport(window: PlannedWindow, settings: WindowSettings): WindowReport {
  const report: WindowReport = {
    reason: window.reason,
    description: describeWindow(window, {
      initialLookback: settings.initial_lookback_hours !== undefined,
    }),
    catch_up_seconds: Math.round(window.catchUpMs / 1000),
  };
  if (window.gapMs !== undefined) report.gap_hours = Math.round(window.gapMs / 36_000) / 100;
  if (window.uncovered !== undefined) {
    report.uncovered = {
      since: window.uncovered.since.toISOString(),
      until: window.uncovered.until.toISOString(),
      command: coverCommand(window.uncovered.since, {
        configPath: settings.config_path,
        job: settings.job,
      }),
    };
  }
  return report;
}

/** Logs the warnings a window calls for: a capped catch-up, or a clock that moved backwards. */
export function warnAboutWindow(
  runId: string,
  window: PlannedWindow,
  report: WindowReport,
  lastSuccessUntil: string | undefined,
): void {
  if (report.uncovered !== undefined) {
    log.warn(
      "Cannot catch up fully after a gap of {gap}: max_catch_up_hours leaves " +
        "{uncovered_since} .. {uncovered_until} uncovered; run {command} to cover it",
      {
        run_id: runId,
        gap: formatSpan(window.gapMs ?? 0),
        gap_hours: report.gap_hours,
        uncovered_since: report.uncovered.since,
        uncovered_until: report.uncovered.until,
        command: report.uncovered.command,
      },
    );
  }
  if (window.reason === "clock_moved_back") {
    log.warn(
      "Cannot catch up from the last successful run: it ended at {last_success_until}, after " +
        "now ({until}); the clock moved backwards, so this run uses the default window",
      { run_id: runId, last_success_until: lastSuccessUntil, until: window.until.toISOString() },
    );
  }
}

/**
 * Sets the window gauges at the start of a run; the uncovered gauge counts the state's intervals
 * and the one this run's capped window leaves out.
 */
export function recordWindowMetrics(
  metrics: Metrics,
  window: PlannedWindow,
  state: JobState,
): void {
  recordWindow(metrics, window);
  let uncovered = uncoveredIntervals(state);
  if (window.uncovered !== undefined) uncovered = addInterval(uncovered, window.uncovered);
  recordUncovered(metrics, totalMs(uncovered));
}

/**
 * Records a run that finished with exit 0 or 3 as the job's last success (see
 * `applySuccessfulRun`); exit 1 leaves the state as it was. A state that cannot be written is
 * logged: the run's result stands, and the next run catches up from the older success.
 */
export async function recordSuccessfulRun(options: {
  store: JobStateStore;
  metrics: Metrics;
  runId: string;
  result: SyncResult;
  window: PlannedWindow;
  finishedAt: Date;
}): Promise<void> {
  const { store, window, finishedAt } = options;
  const exitCode = exitCodeForResult(options.result);
  if (exitCode !== ExitCode.Ok && exitCode !== ExitCode.Partial) return;
  try {
    const state = await store.update((s) =>
      applySuccessfulRun(s, { window, exitCode, finishedAt })
    );
    recordUncovered(options.metrics, totalMs(uncoveredIntervals(state)));
  } catch (error) {
    log.warn("Cannot save the last successful run to {state_file}: {error}", {
      run_id: options.runId,
      state_file: store.path,
      error: describeError(error),
    });
  }
}
