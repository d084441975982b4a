/**
 * One file's way from SharePoint into `ingestion_dir`: download into staging, verify, place;
 * retried with exponential backoff on any failure but an abort.
 * @module
 */
import type { SyncProgress } from "./sync_result.ts";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { AbortedError, describeError, GraphError } from "../errors.ts";
import type { DownloadResult, RemoteFile, SharePointClient } from "../graph/sharepoint_client.ts";
import { isMalware, malwareFacetError } from "../graph/malware.ts";
import type { ResumablePartials } from "./partials.ts";
import { IngestionDirError, type StagingArea } from "./placement.ts";
import type { TransferSlots } from "./transfer_slots.ts";
import { setSpanAttributes, spanEvent } from "../telemetry/span_scope.ts";

const log = getLogger(["ingest", "sync"]);

/** Longest wait between two attempts, whatever `retry_delay_seconds` and the attempt number. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/** How a placed file compared with the listing. */
export type PlacedVerification = DownloadResult["verification"];

/** How one file ended. */
export type FileOutcome =
  | {
    kind: "placed";
    bytes: number;
    verification?: PlacedVerification;
    resumedFrom?: number;
    /** The version placed, when the item changed since the listing (see `same_version.ts`). */
    current?: RemoteFile;
  }
  /** A file of that name appeared in `ingestion_dir` meanwhile (a racing run): nothing replaced. */
  | { kind: "exists" }
  /** SharePoint flagged the file as malware: not downloaded, not retried (logged as ERROR). */
  | { kind: "malware"; reason: string }
  | { kind: "failed"; reason: string };

/** What {@link downloadWithRetries} works with. */
export interface FileDownloadContext {
  sharepoint: SharePointClient;
  staging: StagingArea;
  clock: Clock;
  runId: string;
  verifyHash: boolean;
  /** `rewritten_extensions`, normalised: mismatches of these file types are placed with a warning. */
  rewrittenExtensions?: readonly string[];
  /** Resumable downloads of large files; without it every attempt starts from scratch. */
  partials?: ResumablePartials | undefined;
  /** Retries after the first attempt (`max_retries`). */
  maxRetries: number;
  /** First backoff delay (`retry_delay_seconds` × 1000); doubles with every further attempt. */
  retryDelayMs: number;
  signal?: AbortSignal | undefined;
  progress?: SyncProgress | undefined;
  /**
   * The `download_concurrency` slots, held for a file's transfer only (released once its body is
   * written, before its fdatasync and placement). Without them the caller's pool is the limit.
   */
  slots?: TransferSlots | undefined;
  /**
   * Shared by the files of one run: once a file meets an error that ends the run (423 Locked),
   * it is kept here and every later file throws it instead of sending a request.
   */
  halt?: { reason?: GraphError } | undefined;
}

/** Delay before attempt `attempt + 1`: `retryDelayMs × 2^(attempt − 1)`, capped at one hour. */
export function backoffDelay(retryDelayMs: number, attempt: number): number {
  return Math.min(retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

/**
 * Downloads `file` into staging and places it, retrying failures up to `maxRetries` times.
 * Small files use a fresh temporary file per attempt that never outlives the call. Large ones
 * (see `partials.ts`) continue one partial across attempts, and a partial that failed for a
 * reason a later run may overcome, or was aborted, is kept for the next run. Errors that
 * retrying cannot fix (the item is gone: 404/410) end the attempts early.
 * @throws {AbortedError} when `signal` aborts; every other failure becomes `{kind: "failed"}`.
 */
export async function downloadWithRetries(
  file: RemoteFile,
  context: FileDownloadContext,
): Promise<FileOutcome> {
  if (context.halt?.reason !== undefined) throw context.halt.reason;
  if (file.malware) return flaggedAsMalware(file, context, malwareFacetError(file.name));
  const partial = await context.partials?.begin(file);
  let keep = false;
  try {
    const outcome = await retrying(file, context, partial);
    keep = outcome.kind === "failed" && outcome.resumable === true;
    return outcome.kind === "failed" ? { kind: "failed", reason: outcome.reason } : outcome;
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    if (partial !== undefined) await context.partials!.end(file, partial, keep);
  }
}

/** An attempt that did not throw. */
type Landed = Exclude<FileOutcome, { kind: "failed" }>;

type AttemptsOutcome = Landed | { kind: "failed"; reason: string; resumable: boolean };

async function retrying(
  file: RemoteFile,
  context: FileDownloadContext,
  partial: string | undefined,
): Promise<AttemptsOutcome> {
  const attempts = context.maxRetries + 1;
  let current = file;
  const onFreshUrl = (url: string) => current = { ...current, downloadUrl: url };
  for (let attempt = 1;; attempt++) {
    const started = context.clock.now();
    setSpanAttributes({ "ingest.file.attempts": attempt });
    try {
      const outcome = await attemptOnce(current, context, partial, onFreshUrl);
      logOutcome(file, context, outcome, context.clock.now() - started, attempt);
      return outcome;
    } catch (error) {
      if (context.signal?.aborted || error instanceof AbortedError) {
        throw error instanceof AbortedError
          ? error
          : new AbortedError(`Cannot download ${file.name}: the run was aborted`, { cause: error });
      }
      // A folder that cannot take files fails the whole run at once.
      if (error instanceof IngestionDirError) throw error;
      if (isMalware(error)) return flaggedAsMalware(file, context, error);
      if (isSiteLocked(error)) {
        // Every further request would meet the same lock: the run ends with this one line.
        if (context.halt) context.halt.reason ??= error as GraphError;
        throw error;
      }
      const reason = describeError(error);
      if (attempt >= attempts || isPermanent(error)) {
        log.error("Cannot download {file}: {reason} (attempt {attempt} of {attempts})", {
          run_id: context.runId,
          file: file.name,
          reason,
          attempt,
          attempts,
        });
        const resumable = partial !== undefined && !isPermanent(error) && hasBytes(partial);
        return { kind: "failed", reason, resumable };
      }
      const delayMs = backoffDelay(context.retryDelayMs, attempt);
      log.warn(
        "Cannot download {file}: {reason}; retrying in {delay_ms} ms (attempt {attempt} of {attempts})",
        {
          run_id: context.runId,
          file: file.name,
          reason,
          attempt,
          attempts,
          delay_ms: delayMs,
        },
      );
      context.progress?.fileRetrying?.(file.name, delayMs);
      spanEvent("ingest.retry", {
        "ingest.attempt": attempt,
        "ingest.wait_ms": delayMs,
        "ingest.reason": reason,
      });
      await context.clock.sleep(delayMs, context.signal);
    }
  }
}

async function attemptOnce(
  file: RemoteFile,
  context: FileDownloadContext,
  partial: string | undefined,
  onFreshUrl: (url: string) => void,
): Promise<Landed> {
  const release = await context.slots?.acquire(context.signal);
  const target = partial ?? context.staging.tempPath();
  context.progress?.fileStarted?.(file.name, file.size);
  try {
    const result = await context.sharepoint.downloadFile(file, target, {
      verifyHash: context.verifyHash,
      rewrittenExtensions: context.rewrittenExtensions ?? [],
      resume: partial !== undefined,
      onFreshUrl,
      ...(release ? { onBodyWritten: release } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.progress?.fileBytes
        ? { onProgress: (bytes: number) => context.progress?.fileBytes?.(file.name, bytes) }
        : {}),
    });
    context.progress?.filePlacing?.(file.name);
    const placed = await context.staging.place(target, file.name, file.lastModified);
    return placed === "placed"
      ? {
        kind: "placed",
        bytes: result.bytes,
        verification: result.verification,
        resumedFrom: result.resumedFrom,
        ...(result.current ? { current: result.current } : {}),
      }
      : { kind: "exists" };
  } finally {
    release?.();
    if (partial === undefined) context.staging.discard(target);
  }
}

function hasBytes(path: string): boolean {
  try {
    return Deno.statSync(path).size > 0;
  } catch {
    return false;
  }
}

/**
 * Errors that retrying within the run cannot fix: the item is gone (404/410), or access stays
 * denied after a fresh download URL (403, real-sharepoint-quirks.md §14; a first 403 of the
 * download host is renewed in `download.ts` before it gets here).
 */
function isPermanent(error: unknown): boolean {
  return error instanceof GraphError &&
    (error.status === 404 || error.status === 410 || error.status === 403);
}

/** 423 Locked: an administrator locked or blocked the site (real-sharepoint-quirks.md §23). */
function isSiteLocked(error: unknown): boolean {
  return error instanceof GraphError && error.status === 423;
}

/** The one ERROR line of a flagged file, and its outcome. */
function flaggedAsMalware(
  file: RemoteFile,
  context: FileDownloadContext,
  error: unknown,
): { kind: "malware"; reason: string } {
  const reason = describeError(error);
  log.error("{reason}; it is not downloaded again until it changes", {
    run_id: context.runId,
    file: file.name,
    reason,
  });
  return { kind: "malware", reason };
}

function logOutcome(
  file: RemoteFile,
  context: FileDownloadContext,
  outcome: FileOutcome,
  durationMs: number,
  attempt: number,
): void {
  if (outcome.kind === "placed") {
    logVerification(file, context, outcome.verification);
    log.info(placedMessage(file), {
      run_id: context.runId,
      file: file.name,
      ...(file.path !== undefined && file.path !== file.name ? { path: file.path } : {}),
      bytes: outcome.bytes,
      duration_ms: durationMs,
      attempt,
      ...(outcome.resumedFrom ? { resumed_from: outcome.resumedFrom } : {}),
    });
  } else if (outcome.kind === "exists") {
    log.info("Skipped {file}: a file of that name appeared in ingestion_dir meanwhile", {
      run_id: context.runId,
      file: file.name,
    });
  }
}

/** A flattened name (include_subfolders) also shows the relative path it came from. */
function placedMessage(file: RemoteFile): string {
  return file.path !== undefined && file.path !== file.name
    ? "Placed {file} from {path} ({bytes} bytes) in {duration_ms} ms"
    : "Placed {file} ({bytes} bytes) in {duration_ms} ms";
}

function logVerification(
  file: RemoteFile,
  context: FileDownloadContext,
  verification: PlacedVerification | undefined,
): void {
  if (verification?.kind === "rewritten") {
    log.warn(
      "Placed {file} without content verification: SharePoint rewrites this file type, and it " +
        "served {received_size} bytes (QuickXorHash {received_hash}) where the listing announced " +
        "{listed_size} bytes (QuickXorHash {listed_hash}); see rewritten_extensions",
      {
        run_id: context.runId,
        file: file.name,
        listed_size: verification.listedSize,
        received_size: verification.receivedSize,
        listed_hash: verification.listedHash ?? "none",
        received_hash: verification.receivedHash,
      },
    );
  } else if (verification?.kind === "verified" && verification.why === "no hash listed") {
    log.debug("Verified {file} by size only: Graph announced no QuickXorHash", {
      run_id: context.runId,
      file: file.name,
    });
  }
}
