/**
 * What one sync run is asked to do and what it reports.
 * @module
 */
import { ExitCode } from "../errors.ts";
import type { WindowReason } from "./catch_up.ts";

/** How a run was started. */
export type RunTrigger = "schedule" | "manual";

/** What a run is doing, in order: the steps before the downloads, then the downloads. */
export type SyncPhase = "authenticating" | "asking-db" | "listing" | "downloading" | "placing";

/** Progress callbacks of a run, for an interactive display. All are optional. */
export interface SyncProgress {
  /** The run entered `phase` ("downloading" comes with {@link planned}). */
  phase?(phase: SyncPhase): void;
  /** Items of the folder listed so far. */
  listed?(items: number): void;
  /** The download plan: how many files and bytes will be fetched. */
  planned?(files: number, bytes: number): void;
  /** An attempt at `name` (`size` bytes) starts. */
  fileStarted?(name: string, size: number): void;
  /** The last attempt at `name` failed; the next starts after `delayMs`. */
  fileRetrying?(name: string, delayMs: number): void;
  /** `name` is downloaded and being verified and moved into place. */
  filePlacing?(name: string): void;
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
  /**
   * True when `since`/`lookbackMs` came from the operator: the window is exactly that. False when
   * `lookbackMs` is only the schedule's default: the run may widen it to catch up from the last
   * successful run. Default: true when `since` or `lookbackMs` is given.
   */
  explicitWindow?: boolean;
  /** Compute the plan, download nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  trigger: RunTrigger;
  /** Progress callbacks (interactive `trigger`). */
  progress?: SyncProgress;
  /**
   * List the folder in full, ignoring the saved delta link (`--full`; also implied by `--since`
   * and `--lookback`), then save a fresh link.
   */
  fullListing?: boolean;
  /**
   * Ignore the ledger of content this job placed for this run (`--ignore-ledger`): files the
   * watcher lost are fetched again when the DB service does not list them. Implies a full listing.
   */
  ignoreLedger?: boolean;
  /**
   * A forced trigger running while another process holds the run lock: that run's temporary
   * files are in the staging folder too, so this run removes no leftovers.
   */
  overlapping?: boolean;
}

/** A file that could not be placed, and why. */
export interface FailedFile {
  name: string;
  reason: string;
  /** Set when the host OS cannot store the name: nothing was downloaded, no retry will help. */
  refused_name?: true;
  /** With `include_subfolders` and `subfolder_layout = "flatten"`: the relative path. */
  path?: string;
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
  /** Skipped: this job already placed this very content (a column edit; see placed_ledger.ts). */
  unchanged_content: number;
  /** Held: empty files inside `empty_file_grace_minutes` of their arrival; offered again later. */
  held_empty: number;
  /** Candidates selected because a delta page reported them although their dates are old. */
  arrived: number;
  /**
   * The names of those candidates (selection reason `arrived`; every other candidate was selected
   * as `in_window`); absent when none.
   */
  arrived_files?: string[];
  /**
   * Names placed in `ingestion_dir` (in a dry run: the names that would be). With
   * `include_subfolders` these are relative paths with `/` (mirror) or flattened names.
   */
  downloaded: string[];
  /**
   * With `subfolder_layout = "flatten"`: the relative path of each name in {@link downloaded}
   * that differs from it.
   */
  relative_paths?: Record<string, string>;
  failed: FailedFile[];
  /**
   * Files placed although their bytes differ from the listed size/hash, because SharePoint
   * rewrites their type (`rewritten_extensions`); each was logged with a warning.
   */
  skipped_verification: number;
  /**
   * File items the listing skipped because they lack a name, size or modification time (each
   * logged with a warning; listed again next run).
   */
  skipped_malformed: number;
  /**
   * Files SharePoint flagged as malware: not downloaded (logged as an error when first found;
   * offered again only once they change).
   */
  malware: number;
  bytes: number;
  duration_ms: number;
  /** Why the window is what it is (set by `SyncJob.run`). */
  window?: WindowReport;
  /** How the folder was listed: `children`, `folder_delta` or `root_delta`. */
  listing: string;
  /**
   * Graph requests of the run (token and DB calls aside, downloads counted apart). With
   * overlapping runs of one process (allow_overlap, trigger --force) each run counts them all.
   */
  graph_requests: number;
  /** SharePoint resource units of those requests: delta with a token 1, other pages 2, others 1. */
  graph_resource_units: number;
  /** `GET …/content` calls (one per download attempt). */
  graph_download_requests: number;
}

/** How a run's window was chosen, for `--json`, logs and the summary. */
export interface WindowReport {
  reason: WindowReason;
  /** One phrase: "default window of 2 h", "catching up after a gap of 3 h: window of 4 h". */
  description: string;
  /** Hours since the end of the last successful run, when one is recorded. */
  gap_hours?: number;
  /** Seconds the window reaches back beyond the default lookback. */
  catch_up_seconds: number;
  /** What a capped catch-up left out, and the command that covers it. */
  uncovered?: { since: string; until: string; command: string };
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
