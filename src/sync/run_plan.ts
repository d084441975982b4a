/**
 * The plan step of a sync run: authenticate, ask the DB service, list the folder, select and
 * screen the candidates, and split them into downloads, pending files and refused names. It
 * writes nothing, so a dry run and a real run plan alike.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import type { DBServiceClient, TimeWindow } from "../db/db_service_client.ts";
import { AbortedError } from "../errors.ts";
import type { GraphUsage } from "../graph/graph_api.ts";
import type { RemoteFile, SharePointClient } from "../graph/sharepoint_client.ts";
import type { LoadedState } from "../state/job_state.ts";
import { startChildSpan } from "../telemetry/span_scope.ts";
import { endListingSpan, SPAN, tracedDbQuery } from "../telemetry/run_spans.ts";
import type { FileFilter } from "./filters.ts";
import { FlattenGuard } from "./flatten_guard.ts";
import { ledgerFor } from "./ledger_store.ts";
import type { FolderLister, Listing } from "./listing.ts";
import { MalwareRegistry } from "./malware_registry.ts";
import type { StagingArea } from "./placement.ts";
import {
  comparableIngestedName,
  describeFile,
  type SubfolderNaming,
  unsafeFileReason,
} from "./relative_path.ts";
import {
  addListingCounts,
  ingestedRule,
  selectCandidates,
  type Selection,
  type SelectionCounts,
} from "./select.ts";
import type { FailedFile, SyncProgress, SyncRunOptions } from "./sync_result.ts";

const log = getLogger(["ingest", "sync"]);

/** What a run plans to do once the folder is listed. */
export interface RunPlan {
  counts: SelectionCounts;
  toDownload: RemoteFile[];
  /** Already in `ingestion_dir` at planning time. */
  pending: RemoteFile[];
  unsafe: FailedFile[];
  /** The files behind `unsafe`. */
  unsafeFiles: RemoteFile[];
  /** Files flagged as malware on an earlier run and unchanged since (skipped). */
  knownMalware: number;
  /** The listing this plan came from; committed once the run's outcome is recorded. */
  listing: Listing;
  selection: Selection;
  malware: MalwareRegistry;
  /** Graph usage before the run's first Graph call. */
  usageBefore: GraphUsage;
}

/** What {@link planRun} works with: the job's collaborators and settings. */
export interface PlanContext {
  sharepoint: SharePointClient;
  db: DBServiceClient;
  lister: FolderLister;
  filter: FileFilter;
  clock: Clock;
  /** How files below the folder are named; undefined without `include_subfolders`. */
  naming: SubfolderNaming | undefined;
  /** `empty_file_grace_minutes` in milliseconds. */
  emptyGraceMs: number;
  staging: StagingArea;
}

/** One run's inputs to {@link planRun}. */
export interface PlanRequest {
  runId: string;
  window: TimeWindow;
  saved: LoadedState;
  options: SyncRunOptions;
}

/**
 * Plans a run: authenticate → ask the DB service for the window (any failure ends the run before
 * anything is listed) → list the folder → keep files modified in the window that pass
 * include/exclude/min age, are not ingested and not flagged as malware before → split off unsafe
 * names and files still waiting in `ingestion_dir`.
 * @throws {AbortedError} when `options.signal` aborted while listing.
 */
export async function planRun(context: PlanContext, request: PlanRequest): Promise<RunPlan> {
  const { sharepoint, clock, naming, filter } = context;
  const { runId, window, saved, options } = request;
  const { signal } = options;
  options.progress?.phase?.("authenticating");
  await sharepoint.authenticate(signal);
  const usageBefore = sharepoint.usage();
  options.progress?.phase?.("asking-db");
  const ingested = new Set(
    (await tracedDbQuery(() => context.db.listIngested(window, signal))).map((name) =>
      comparableIngestedName(name, naming)
    ),
  );
  options.progress?.phase?.("listing");
  const ledger = ledgerFor(saved.state, options.ignoreLedger ?? false, runId);
  const listingSpan = startChildSpan(SPAN.listing);
  const listing = await context.lister.list({
    saved: saved.state,
    // Ignoring the ledger lists in full: a lost file is not in the changes since the link.
    full: (options.fullListing ?? false) || (options.ignoreLedger ?? false),
    window,
    runId,
    signal,
    ingested: ingestedRule({ window, filter, ingested, now: clock.now(), runId }),
  });
  const guard = naming?.layout === "flatten" ? new FlattenGuard({ window, runId }) : undefined;
  const listed = guard?.filter(listing.files) ?? listing.files;
  const selection = await selectCandidates(countListed(listed, options.progress), {
    window,
    filter,
    ingested,
    now: clock.now(),
    runId,
    reported: (file) => listing.reported(file),
    ...(ledger ? { placedBefore: (file: RemoteFile) => ledger.matches(file) } : {}),
    emptyGraceMs: context.emptyGraceMs,
  });
  addListingCounts(selection.counts, listing.counted());
  endListingSpan(listingSpan, listing.mode, usageBefore, sharepoint.usage(), selection);
  throwIfAborted(signal);
  const malware = new MalwareRegistry(saved.state.malware, () => clock.now());
  const screened = malware.screen(selection.candidates, runId);
  const plan: RunPlan = {
    counts: selection.counts,
    toDownload: [],
    pending: [],
    unsafe: [],
    unsafeFiles: [],
    knownMalware: screened.known.length,
    listing,
    selection,
    malware,
    usageBefore,
  };
  splitCandidates(plan, screened.keep, context.staging, runId);
  for (const { file, failure } of guard?.failed ?? []) {
    // Held back before the selection: listed and in the window all the same.
    plan.counts.listed++;
    plan.counts.in_window++;
    plan.unsafe.push(failure);
    plan.unsafeFiles.push(file);
  }
  return plan;
}

/** Splits candidates into unsafe names (failed), files already waiting in `ingestion_dir`, and downloads. */
function splitCandidates(
  plan: RunPlan,
  candidates: RemoteFile[],
  staging: StagingArea,
  runId: string,
): void {
  for (const file of candidates) {
    const reason = unsafeFileReason(file, staging.os);
    if (reason !== undefined) {
      log.error("Cannot download {file}: {reason}", {
        run_id: runId,
        file: describeFile(file),
        reason,
      });
      plan.unsafe.push({
        name: file.name,
        reason: `Cannot write this name: ${reason}`,
        refused_name: true,
        ...(file.path !== undefined && file.path !== file.name ? { path: file.path } : {}),
      });
      plan.unsafeFiles.push(file);
    } else if (staging.isPending(file.name)) {
      log.info("Skipped {file}: still in ingestion_dir, not yet consumed", {
        run_id: runId,
        file: file.name,
      });
      plan.pending.push(file);
    } else plan.toDownload.push(file);
  }
}

/** `items`, reporting how many were listed so far to `progress` (when it listens). */
function countListed<T>(items: AsyncIterable<T>, progress: SyncProgress | undefined) {
  if (!progress?.listed) return items;
  return (async function* () {
    let count = 0;
    for await (const item of items) {
      progress.listed?.(++count);
      yield item;
    }
  })();
}

/** Throws the run's `AbortedError` when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new AbortedError("Cannot finish the sync run: the run was aborted", {
      cause: signal.reason,
    });
  }
}
