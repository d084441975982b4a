/**
 * What one sync run is asked to do and what it reports.
 * @module
 */
import { ExitCode } from "../errors.ts";

/** How a run was started. */
export type RunTrigger = "schedule" | "manual";

/** Progress callbacks of a run, for an interactive display. All are optional. */
export interface SyncProgress {
  /** The download plan: how many files and bytes will be fetched. */
  planned?(files: number, bytes: number): void;
  /** Bytes of `name` written so far in the current attempt. */
  fileBytes?(name: string, bytes: number): void;
  /** `name` is finished: placed (`ok`) or given up. */
  fileDone?(name: string, ok: boolean): void;
}

/** Options of one `SyncJob.run`. */
export interface SyncRunOptions {
  /** The run's reference time: the window's `until`. */
  reference: Date;
  /** Explicit window start (`--since`); wins over `lookbackMs`. */
  since?: Date;
  /** Explicit lookback (`--lookback`), else the settings' derived lookback. */
  lookbackMs?: number;
  /** Compute the plan, download nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  trigger: RunTrigger;
  /** Progress callbacks (interactive `trigger`). */
  progress?: SyncProgress;
}

/** A file that could not be placed, and why. */
export interface FailedFile {
  name: string;
  reason: string;
  /** Set when the host OS cannot store the name: nothing was downloaded, no retry will help. */
  refused_name?: true;
}

/** The result of one run, logged as one record and printed by `--json`. */
export interface SyncResult {
  run_id: string;
  trigger: RunTrigger;
  dry_run: boolean;
  since: string;
  until: string;
  listed: number;
  in_window: number;
  skipped_ingested: number;
  skipped_pending: number;
  skipped_filtered: number;
  /** Names placed in `ingestion_dir` (in a dry run: the names that would be). */
  downloaded: string[];
  failed: FailedFile[];
  bytes: number;
  duration_ms: number;
}

/** Runs one sync; what the scheduler drives. */
export interface SyncRunner {
  run(options: SyncRunOptions): Promise<SyncResult>;
}

/**
 * Exit code of a finished run: 0 when nothing failed; 1 when downloads failed and none was placed;
 * else 3 (some failed). A name the host cannot store is a per-file failure (3), never a run-wide 1.
 */
export function exitCodeForResult(result: SyncResult): ExitCode {
  if (result.failed.length === 0) return ExitCode.Ok;
  if (result.downloaded.length > 0) return ExitCode.Partial;
  return result.failed.every((f) => f.refused_name) ? ExitCode.Partial : ExitCode.Failed;
}
