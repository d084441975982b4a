/**
 * What the scheduler reports for one requested run, with the process exit code it maps to.
 * @module
 */
import { ExitCode, exitCodeOf } from "../errors.ts";
import { exitCodeForResult, type SyncProgress, type SyncResult } from "../sync/sync_result.ts";

/** Why a requested run did not start. */
export type SkipReason =
  /** A run of this process was in progress (`allow_overlap = false`). */
  | "overlap"
  /** Another process holds the run lock (`overlap_policy = "skip"`). */
  | "locked"
  /** The scheduler was stopping. */
  | "stopped"
  /** The job is paused (`enabled = false`) and the request was not a forced trigger: exit 0. */
  | "disabled";

/** The end of one requested run. */
export type RunOutcome =
  | { status: "completed"; result: SyncResult; exitCode: ExitCode }
  | { status: "skipped"; reason: SkipReason; error?: unknown; exitCode: ExitCode }
  | { status: "failed"; error: unknown; exitCode: ExitCode }
  | { status: "aborted"; error: unknown; exitCode: ExitCode };

/** Options of one run requested from the scheduler. */
export interface RunRequest {
  /** Explicit window start (`--since`); wins over `lookbackMs`. */
  since?: Date;
  /** Explicit lookback (`--lookback`); default: `lookback_minutes` or the schedule's default. */
  lookbackMs?: number;
  /** Plan only, download nothing. */
  dryRun?: boolean;
  /** Aborts this run (the scheduler's own stop/abort also does). */
  signal?: AbortSignal;
  /** Progress callbacks passed to the job (interactive `trigger`). */
  progress?: SyncProgress;
  /** Ignore the saved delta link for this run (`--full`, `--since`, `--lookback`). */
  fullListing?: boolean;
  /** Ignore the ledger of content this job placed, for this run (`--ignore-ledger`). */
  ignoreLedger?: boolean;
}

/** Options of a manual trigger. */
export interface TriggerRequest extends RunRequest {
  /**
   * Run a disabled job (`enabled = false`), and run even while another run is in progress, in
   * this process or in another one: the forced run then overlaps it without the lock, with a
   * warning (see `execute_run.ts`).
   */
  force?: boolean;
}

/** A completed run; exit 0, 3 (some files failed) or 1 (all failed). */
export function completed(result: SyncResult): RunOutcome {
  return { status: "completed", result, exitCode: exitCodeForResult(result) };
}

/**
 * A run that did not start; exit 4 (another run is in progress or holds the lock), or 0 for a
 * disabled job (nothing is wrong: the operator paused it).
 */
export function skipped(reason: SkipReason, error?: unknown): RunOutcome {
  const exitCode = reason === "disabled" ? ExitCode.Ok : ExitCode.Locked;
  return error === undefined
    ? { status: "skipped", reason, exitCode }
    : { status: "skipped", reason, error, exitCode };
}

/** A run that threw; the exit code comes from the error. */
export function failed(error: unknown): RunOutcome {
  return { status: "failed", error, exitCode: exitCodeOf(error) };
}

/** A run ended by an abort (shutdown); exit 130 unless the caller maps the signal. */
export function aborted(error: unknown): RunOutcome {
  return { status: "aborted", error, exitCode: ExitCode.Interrupted };
}
