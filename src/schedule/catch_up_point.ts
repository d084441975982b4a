/**
 * A lost catch-up point: the job state holds no last successful run, yet `<lock_file>.info`
 * shows an earlier run. That happens when the state file was deleted (or was unusable): the
 * next run then falls back to the default lookback, and if runs had stopped for longer than
 * that, the gap is not covered. Said as a warning by `check` and in the run log, with the
 * `trigger --since` that covers everything since that earlier run.
 * @module
 */
import type { JobState } from "../state/job_state.ts";
import { coverCommand } from "../sync/catch_up.ts";
import type { RunLockInfo } from "./run_lock.ts";

/** The warning when the catch-up point is unknown, or undefined when it is known (or moot). */
export function lostCatchUpPoint(
  state: JobState,
  previousRun: RunLockInfo | undefined,
  where: { configPath: string | undefined; job: string; lockFile: string },
): { message: string; command: string } | undefined {
  if (state.last_success !== undefined || previousRun === undefined) return undefined;
  const since = new Date(previousRun.started_at);
  if (Number.isNaN(since.getTime())) return undefined;
  const command = coverCommand(since, { configPath: where.configPath, job: where.job });
  return {
    message: `the catch-up point is unknown: the job state records no successful run, but ` +
      `${where.lockFile}.info shows a run started ${previousRun.started_at} (was the state file ` +
      "deleted?); this run covers only the default lookback",
    command,
  };
}
