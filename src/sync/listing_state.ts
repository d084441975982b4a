/**
 * The listing's part of the job state: the retry list (files offered again, held placeholders)
 * and the resolved folder, converted between the state file's entries and the client's types.
 * @module
 */
import type { RemoteFile, RemoteFolder } from "../graph/sharepoint_client.ts";
import type { ResolvedIds, RetryEntry } from "../state/state_wire.ts";
import type { Reported } from "./arrival.ts";
import type { HeldFile } from "./select.ts";

/** What a run did with the files it was given, for the state. */
export interface ListingOutcome {
  /** Files that failed (download error or unusable name). */
  failed: RemoteFile[];
  /** Files skipped because a file of that name still waits in `ingestion_dir`. */
  pending: RemoteFile[];
  held: HeldFile[];
  /** Arrival times of the files above, by item id (see `arrival.ts`), kept in the retry list. */
  arrivals?: ReadonlyMap<string, number>;
}

/** The retry list's held placeholders (children mode offers them again), by id. */
export function heldEmpty(entries: readonly RetryEntry[] | undefined): Map<string, Reported> {
  const held = new Map<string, Reported>();
  for (const entry of entries ?? []) {
    if (entry.reason !== "empty") continue;
    const firstSeen = entry.arrived_at === undefined ? undefined : Date.parse(entry.arrived_at);
    held.set(entry.id, { firstSeen });
  }
  return held;
}

/** The retry list of a run: held, pending and failed files, one entry per id. */
export function retryEntries(outcome: ListingOutcome): RetryEntry[] {
  const entries = new Map<string, RetryEntry>();
  const add = (file: RemoteFile, reason: RetryEntry["reason"], arrival?: number) => {
    const entry = entryFromFile(file, reason);
    if (arrival !== undefined) entry.arrived_at = new Date(arrival).toISOString();
    entries.set(file.id, entry);
  };
  for (const { file, reason, arrival } of outcome.held) add(file, reason, arrival);
  for (const file of outcome.pending) add(file, "pending", outcome.arrivals?.get(file.id));
  for (const file of outcome.failed) add(file, "failed", outcome.arrivals?.get(file.id));
  return [...entries.values()];
}

function entryFromFile(file: RemoteFile, reason: RetryEntry["reason"]): RetryEntry {
  const entry: RetryEntry = {
    id: file.id,
    name: file.name,
    reason,
    last_modified: file.lastModified.toISOString(),
    size: file.size,
    created: file.created.toISOString(),
    drive_id: file.driveId,
  };
  if (file.quickXorHash !== undefined) entry.quick_xor_hash = file.quickXorHash;
  if (file.eTag !== undefined) entry.etag = file.eTag;
  if (file.path !== undefined) entry.path = file.path;
  return entry;
}

/** A saved entry as a file to fetch through `/content` (no download URL is kept). */
export function fileFromEntry(entry: RetryEntry, folder: RemoteFolder): RemoteFile {
  const lastModified = new Date(entry.last_modified);
  return {
    id: entry.id,
    driveId: entry.drive_id ?? folder.driveId,
    name: entry.name,
    size: entry.size ?? 0,
    lastModified,
    created: entry.created === undefined ? lastModified : new Date(entry.created),
    quickXorHash: entry.quick_xor_hash,
    downloadUrl: undefined,
    eTag: entry.etag,
    cTag: undefined,
    ...(entry.path === undefined ? {} : { path: entry.path }),
  };
}

/** The resolved folder saved in the state, when there is one. */
export function folderFromState(resolved: ResolvedIds | undefined): RemoteFolder | undefined {
  if (resolved === undefined) return undefined;
  return {
    siteId: resolved.site_id,
    driveId: resolved.drive_id,
    itemId: resolved.folder_id,
    driveName: resolved.drive_name ?? "",
    driveUrlSegment: resolved.drive_url_segment ?? "",
    pathInDrive: resolved.path_in_drive ?? "",
    webUrl: resolved.web_url ?? "",
  };
}

/** The state's resolved ids for `folder` (the saved ones, with their date, when unchanged). */
export function resolvedFrom(
  folder: RemoteFolder,
  previous: ResolvedIds | undefined,
  now: number,
): ResolvedIds {
  if (
    previous?.folder_id === folder.itemId && previous.drive_id === folder.driveId &&
    previous.site_id === folder.siteId
  ) return previous;
  return {
    site_id: folder.siteId,
    drive_id: folder.driveId,
    folder_id: folder.itemId,
    resolved_at: new Date(now).toISOString(),
    drive_name: folder.driveName,
    drive_url_segment: folder.driveUrlSegment,
    path_in_drive: folder.pathInDrive,
    web_url: folder.webUrl,
  };
}
