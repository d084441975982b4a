/**
 * The {@link SyncResult} of a run: built from its plan, filled in from the transfer's outcomes,
 * and logged once at the end.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { TimeWindow } from "../db/db_service_client.ts";
import { usageSince } from "../graph/graph_api.ts";
import type { RemoteFile, SharePointClient } from "../graph/sharepoint_client.ts";
import type { RunPlan } from "./run_plan.ts";
import type { TransferOutcomes } from "./run_transfer.ts";
import type { SyncResult, SyncRunOptions } from "./sync_result.ts";

const log = getLogger(["ingest", "sync"]);

/** The result of a planned run before anything is transferred. */
export function plannedResult(
  plan: RunPlan,
  run: { runId: string; window: TimeWindow; options: SyncRunOptions },
): SyncResult {
  const { runId, window, options } = run;
  return {
    run_id: runId,
    trigger: options.trigger,
    dry_run: options.dryRun ?? false,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    ...plan.counts,
    skipped_pending: plan.pending.length,
    downloaded: [],
    failed: [...plan.unsafe],
    skipped_verification: 0,
    skipped_malformed: plan.listing.skippedMalformed(),
    malware: plan.knownMalware,
    bytes: 0,
    duration_ms: 0,
    listing: plan.listing.mode,
    ...arrivedFiles(plan.selection.candidates, plan.selection.reasons),
    graph_requests: 0,
    graph_resource_units: 0,
    graph_download_requests: 0,
  };
}

/**
 * Adds the transfer's outcomes of `plan.toDownload` to `result`, with the relative paths of the
 * placed names and the Graph calls made since planning began.
 */
export function addTransfer(
  result: SyncResult,
  plan: RunPlan,
  run: { outcomes: TransferOutcomes; sharepoint: SharePointClient },
): void {
  plan.toDownload.forEach((file, i) => addOutcome(result, file.name, run.outcomes[i]));
  addRelativePaths(result, plan.toDownload);
  const used = usageSince(plan.usageBefore, run.sharepoint.usage());
  result.graph_requests = used.requests;
  result.graph_resource_units = used.resourceUnits;
  result.graph_download_requests = used.downloads;
}

/** The versions placed: the listed one, or the one a restarted Range download fetched. */
export function placedVersions(files: RemoteFile[], outcomes: TransferOutcomes): RemoteFile[] {
  const placed: RemoteFile[] = [];
  files.forEach((file, i) => {
    const outcome = outcomes[i];
    if (outcome?.kind === "placed") placed.push(outcome.current ?? file);
  });
  return placed;
}

/** Logs the end of a run: what it placed (or would place) and what it skipped. */
export function logFinished(result: SyncResult): void {
  const properties = {
    ...result,
    downloaded_count: result.downloaded.length,
    failed_count: result.failed.length,
  };
  if (result.dry_run) {
    log.info(
      "Dry run finished {run_id}: would download {downloaded_count} file(s), {bytes} bytes " +
        "(listed sizes); {skipped_ingested} already ingested, {skipped_pending} pending, " +
        "{skipped_filtered} filtered, {in_window} of {listed} listed in the window",
      properties,
    );
    return;
  }
  const message = "Sync finished {run_id}: {downloaded_count} downloaded, {failed_count} failed, " +
    "{skipped_ingested} already ingested, {skipped_pending} pending, {skipped_filtered} filtered, " +
    "{unchanged_content} unchanged content, {held_empty} empty held, {arrived} arrived, " +
    "{in_window} of {listed} listed in the window, {bytes} bytes in {duration_ms} ms, " +
    "{graph_requests} Graph requests ({graph_resource_units} resource units, {listing})";
  if (result.failed.length > 0) log.warn(message, properties);
  else log.info(message, properties);
}

/** Flattened names: records the relative path of each placed (or planned) name. */
function addRelativePaths(result: SyncResult, files: readonly RemoteFile[]): void {
  const placed = new Set(result.downloaded);
  for (const file of files) {
    if (file.path === undefined || file.path === file.name || !placed.has(file.name)) continue;
    (result.relative_paths ??= {})[file.name] = file.path;
  }
}

/** `arrived_files` of the result: candidates selected as arrivals, when any. */
function arrivedFiles(
  candidates: RemoteFile[],
  reasons: ReadonlyMap<string, string>,
): { arrived_files?: string[] } {
  const names = candidates.filter((f) => reasons.get(f.id) === "arrived").map((f) => f.name);
  return names.length > 0 ? { arrived_files: names } : {};
}

function addOutcome(
  result: SyncResult,
  name: string,
  outcome: TransferOutcomes[number],
): void {
  if (outcome === undefined) return;
  if (outcome.kind === "placed") {
    result.downloaded.push(name);
    result.bytes += outcome.bytes;
    if (outcome.verification?.kind === "rewritten") result.skipped_verification++;
  } else if (outcome.kind === "exists") result.skipped_pending++;
  else if (outcome.kind === "malware") result.malware++;
  else result.failed.push({ name, reason: outcome.reason });
}
