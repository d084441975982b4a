/**
 * One file's way from SharePoint into `ingestion_dir`: download into staging, verify, place;
 * retried with exponential backoff on any failure but an abort.
 * @module
 */
import type { SyncProgress } from "./sync_result.ts";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { AbortedError, describeError, GraphError } from "../errors.ts";
import type { RemoteFile, SharePointClient } from "../graph/sharepoint_client.ts";
import type { StagingArea } from "./placement.ts";

const log = getLogger(["ingest", "sync"]);

/** Longest wait between two attempts, whatever `retry_delay_seconds` and the attempt number. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/** How one file ended. */
export type FileOutcome =
  | { kind: "placed"; bytes: number }
  /** A file of that name appeared in `ingestion_dir` meanwhile (a racing run): nothing replaced. */
  | { kind: "exists" }
  | { kind: "failed"; reason: string };

/** What {@link downloadWithRetries} works with. */
export interface FileDownloadContext {
  sharepoint: SharePointClient;
  staging: StagingArea;
  clock: Clock;
  runId: string;
  verifyHash: boolean;
  /** Retries after the first attempt (`max_retries`). */
  maxRetries: number;
  /** First backoff delay (`retry_delay_seconds` × 1000); doubles with every further attempt. */
  retryDelayMs: number;
  signal?: AbortSignal | undefined;
  progress?: SyncProgress | undefined;
}

/** Delay before attempt `attempt + 1`: `retryDelayMs × 2^(attempt − 1)`, capped at one hour. */
export function backoffDelay(retryDelayMs: number, attempt: number): number {
  return Math.min(retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

/**
 * Downloads `file` into a fresh temporary file and places it, retrying failures up to
 * `maxRetries` times. A temporary file never outlives the call. Errors that retrying cannot
 * fix (the item is gone: 404/410) end the attempts early.
 * @throws {AbortedError} when `signal` aborts; every other failure becomes `{kind: "failed"}`.
 */
export async function downloadWithRetries(
  file: RemoteFile,
  context: FileDownloadContext,
): Promise<FileOutcome> {
  const attempts = context.maxRetries + 1;
  for (let attempt = 1;; attempt++) {
    const started = context.clock.now();
    try {
      const outcome = await attemptOnce(file, context);
      logOutcome(file, context, outcome, context.clock.now() - started, attempt);
      return outcome;
    } catch (error) {
      if (context.signal?.aborted || error instanceof AbortedError) {
        throw error instanceof AbortedError
          ? error
          : new AbortedError(`Cannot download ${file.name}: the run was aborted`, { cause: error });
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
        return { kind: "failed", reason };
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
      await context.clock.sleep(delayMs, context.signal);
    }
  }
}

async function attemptOnce(file: RemoteFile, context: FileDownloadContext): Promise<FileOutcome> {
  const temp = context.staging.tempPath();
  context.progress?.fileStarted?.(file.name, file.size);
  try {
    const result = await context.sharepoint.downloadFile(file, temp, {
      verifyHash: context.verifyHash,
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.progress?.fileBytes
        ? { onProgress: (bytes: number) => context.progress?.fileBytes?.(file.name, bytes) }
        : {}),
    });
    context.progress?.filePlacing?.(file.name);
    const placed = await context.staging.place(temp, file.name, file.lastModified);
    return placed === "placed" ? { kind: "placed", bytes: result.bytes } : { kind: "exists" };
  } finally {
    context.staging.discard(temp);
  }
}

function isPermanent(error: unknown): boolean {
  return error instanceof GraphError && (error.status === 404 || error.status === 410);
}

function logOutcome(
  file: RemoteFile,
  context: FileDownloadContext,
  outcome: FileOutcome,
  durationMs: number,
  attempt: number,
): void {
  if (outcome.kind === "placed") {
    log.info("Placed {file} ({bytes} bytes) in {duration_ms} ms", {
      run_id: context.runId,
      file: file.name,
      bytes: outcome.bytes,
      duration_ms: durationMs,
      attempt,
    });
  } else if (outcome.kind === "exists") {
    log.info("Skipped {file}: a file of that name appeared in ingestion_dir meanwhile", {
      run_id: context.runId,
      file: file.name,
    });
  }
}
