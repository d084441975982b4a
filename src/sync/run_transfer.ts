/**
 * The transfer step of a sync run: download the planned files `download_concurrency` at a time
 * through the staging folder and place them, or, for a dry run, say what would be placed.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { RemoteFile, SharePointClient } from "../graph/sharepoint_client.ts";
import { tracedDownload } from "../telemetry/run_spans.ts";
import { downloadWithRetries, type FileOutcome } from "./file_download.ts";
import type { ResumablePartials } from "./partials.ts";
import type { StagingArea } from "./placement.ts";
import type { SyncProgress } from "./sync_result.ts";
import { TransferSlots } from "./transfer_slots.ts";
import { runPool } from "./worker_pool.ts";

/** One outcome per planned file, by index; undefined where an abort stopped it first. */
export type TransferOutcomes = (FileOutcome | undefined)[];

/** What {@link transferFiles} works with. */
export interface TransferContext {
  sharepoint: SharePointClient;
  clock: Clock;
  staging: StagingArea;
  partials: ResumablePartials;
  runId: string;
  verifyHash: boolean;
  rewrittenExtensions: readonly string[];
  maxRetries: number;
  retryDelayMs: number;
  downloadConcurrency: number;
  signal: AbortSignal | undefined;
  progress: SyncProgress | undefined;
}

/**
 * Downloads and places `files`. Per-file failures become outcomes; an abort ends the pool, removes
 * this run's staged files and leaves the outcomes of the files placed so far.
 */
export async function transferFiles(
  files: RemoteFile[],
  context: TransferContext,
): Promise<TransferOutcomes> {
  const { staging, signal, progress, downloadConcurrency } = context;
  const outcomes: TransferOutcomes = new Array(files.length);
  const download = {
    sharepoint: context.sharepoint,
    staging,
    partials: context.partials,
    clock: context.clock,
    runId: context.runId,
    verifyHash: context.verifyHash,
    rewrittenExtensions: context.rewrittenExtensions,
    maxRetries: context.maxRetries,
    retryDelayMs: context.retryDelayMs,
    signal,
    progress,
    slots: new TransferSlots(downloadConcurrency),
    halt: {},
  };
  progress?.planned?.(files.length, files.reduce((sum, f) => sum + f.size, 0));
  try {
    // Twice as many files in flight as transfers: while `download_concurrency` bodies stream,
    // as many finished ones can be flushed to disk and placed (see transfer_slots.ts).
    await runPool(
      files,
      { concurrency: 2 * downloadConcurrency, signal },
      async (file, i) => {
        outcomes[i] = await tracedDownload(file, () => downloadWithRetries(file, download));
        progress?.fileDone?.(file.name, outcomes[i]?.kind !== "failed");
      },
    );
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    if (signal?.aborted) await staging.removeOwn();
    progress?.phase?.("placing");
    await staging.flush();
  }
  return outcomes;
}

/**
 * A dry run's transfer: every planned file would be placed at its listed size, except those
 * SharePoint flags as malware. Nothing is read or written.
 */
export function wouldTransfer(files: readonly RemoteFile[]): TransferOutcomes {
  return files.map((file): FileOutcome =>
    file.malware
      ? { kind: "malware", reason: "flagged as malware by SharePoint" }
      : { kind: "placed", bytes: file.size }
  );
}
