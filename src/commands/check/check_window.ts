/**
 * `ingest check`'s window line: when the job last succeeded, the window its next run will use and
 * why, and any interval no run has looked at (a catch-up capped by `max_catch_up_hours`), with
 * the exact `ingest trigger --since …` that covers it.
 * @module
 */
import type { Settings } from "../../config/settings.ts";
import { effectiveLookbackMs } from "../../schedule/schedule_math.ts";
import { type LoadedState, stateStoreFor } from "../../state/job_state.ts";
import { coverCommand, formatSpan } from "../../sync/catch_up.ts";
import { addInterval, uncoveredIntervals } from "../../sync/catch_up_state.ts";
import { planRunWindow, windowReport } from "../../sync/run_window.ts";
import type { PlannedWindow } from "../../sync/catch_up.ts";
import type { CheckLine } from "./check_line.ts";
import type { CliContext } from "../context.ts";
import { lostCatchUpPoint } from "../../schedule/catch_up_point.ts";
import { readLockInfo } from "../../schedule/run_lock.ts";

/** The job's saved state and the window its next scheduled run at `now` would use. */
export async function plannedNextWindow(
  settings: Settings,
  now: Date,
): Promise<{ loaded: LoadedState; window: PlannedWindow }> {
  const loaded = await stateStoreFor(settings, () => now.getTime()).load();
  const window = planRunWindow({
    run: { reference: now, trigger: "schedule" },
    settings,
    state: loaded.state,
    defaultLookbackMs: effectiveLookbackMs(settings, now),
  });
  return { loaded, window };
}

/** The window line of `ingest check`; ✗ while some interval is uncovered. Reads, never writes. */
export async function checkWindow(
  state: { settings: Settings; ctx: CliContext },
): Promise<CheckLine> {
  const { settings } = state;
  const now = new Date(state.ctx.deps.clock.now());
  const { loaded, window } = await plannedNextWindow(settings, now);
  const report = windowReport(window, settings);
  const last = loaded.state.last_success;
  const lastText = last === undefined
    ? "no successful run recorded"
    : `last successful run covered up to ${last.until} (${
      formatSpan(Math.max(0, now.getTime() - Date.parse(last.until)))
    } ago)`;
  const next = `next run: ${window.since.toISOString()} .. now, ${report.description}`;
  const detail = `${lastText}; ${next}${loaded.warning ? ` (${loaded.warning})` : ""}`;
  let gaps = uncoveredIntervals(loaded.state);
  if (window.uncovered !== undefined) gaps = addInterval(gaps, window.uncovered);
  const first = gaps[0];
  const lost = lostCatchUpPoint(loaded.state, await readLockInfo(settings.lock_file), {
    configPath: settings.config_path,
    job: settings.job,
    lockFile: settings.lock_file,
  });
  if (first === undefined && lost) {
    return {
      ok: true,
      warning: true,
      name: "window",
      detail: `${lost.message}; ${next}`,
      hint: `if runs stopped for longer than that, run \`${lost.command}\` to cover the gap`,
    };
  }
  if (first === undefined) return { ok: true, name: "window", detail };
  const listed = gaps.map((g) => `${g.since.toISOString()} .. ${g.until.toISOString()}`);
  return {
    ok: false,
    name: "window",
    detail: `not covered by any run (max_catch_up_hours = ${settings.max_catch_up_hours}): ` +
      `${listed.join(", ")}; ${detail}`,
    hint: `run \`${
      coverCommand(first.since, { configPath: settings.config_path, job: settings.job })
    }\` to cover it`,
  };
}
