/**
 * The listing pass of a run: counts every listed file and keeps only the candidates (in the
 * window, passing the filters, not ingested), so memory grows with new files, not the folder.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { TimeWindow } from "../db/db_service_client.ts";
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { FileFilter } from "./filters.ts";
import { inWindow } from "./window.ts";

const log = getLogger(["ingest", "sync"]);

/** Counts of the listing pass, named as in `SyncResult`. */
export interface SelectionCounts {
  listed: number;
  in_window: number;
  skipped_filtered: number;
  skipped_ingested: number;
}

/** A file a later run may still place although this one does not. */
export interface HeldFile {
  file: RemoteFile;
  /** `min_age`: too young for `min_age_seconds`; `future`: modified at or after `until`. */
  reason: "min_age" | "future";
}

/** What the listing pass keeps. */
export interface Selection {
  counts: SelectionCounts;
  /** Files to consider for download, in listing order, one per name. */
  candidates: RemoteFile[];
  /** Files held back by the minimum age or a modification time at or after `until`. */
  held: HeldFile[];
}

/** Inputs of {@link selectCandidates}. */
export interface SelectOptions {
  window: TimeWindow;
  filter: FileFilter;
  /** Names the DB service reported ingested; matched exactly. */
  ingested: ReadonlySet<string>;
  /** Current time for the minimum-age check (ms since epoch). */
  now: number;
  runId: string;
}

/**
 * Streams `files` once: a file counts as `in_window` when its server-side `lastModified` lies in
 * `[since, until)`; of those, the filters' rejects count as `skipped_filtered`, then exact DB
 * matches as `skipped_ingested`; the rest are candidates. A name listed twice keeps its last entry.
 */
export async function selectCandidates(
  files: AsyncIterable<RemoteFile>,
  options: SelectOptions,
): Promise<Selection> {
  const counts: SelectionCounts = {
    listed: 0,
    in_window: 0,
    skipped_filtered: 0,
    skipped_ingested: 0,
  };
  const candidates = new Map<string, RemoteFile>();
  const held: HeldFile[] = [];
  for await (const file of files) {
    counts.listed++;
    if (!inWindow(file.lastModified, options.window)) {
      if (file.lastModified.getTime() >= options.window.until.getTime()) {
        held.push({ file, reason: "future" });
      }
      continue;
    }
    counts.in_window++;
    const verdict = options.filter.verdict(file, options.now);
    if (verdict !== undefined) {
      counts.skipped_filtered++;
      if (verdict === "too_new") held.push({ file, reason: "min_age" });
      log.debug("Skipped {file}: {verdict}", { run_id: options.runId, file: file.name, verdict });
      continue;
    }
    if (options.ingested.has(file.name)) {
      counts.skipped_ingested++;
      log.debug("Skipped {file}: already ingested", { run_id: options.runId, file: file.name });
      continue;
    }
    candidates.delete(file.name);
    candidates.set(file.name, file);
  }
  return { counts, candidates: [...candidates.values()], held };
}

/**
 * The rule of {@link selectCandidates} for "already ingested" as a predicate, for a listing that
 * wants to keep only a marker for such files: true when `file` is in the window, passes the
 * filters at `options.now` and its name was reported ingested. The minimum age only grows with
 * time, so a file that passes here also passes in a selection made later.
 */
export function ingestedRule(options: SelectOptions): (file: RemoteFile) => boolean {
  return (file) => {
    if (!inWindow(file.lastModified, options.window)) return false;
    if (options.filter.verdict(file, options.now) !== undefined) return false;
    if (!options.ingested.has(file.name)) return false;
    log.debug("Skipped {file}: already ingested", { run_id: options.runId, file: file.name });
    return true;
  };
}

/** Files a listing counted without handing them to {@link selectCandidates}. */
export interface ListingCounts {
  /** Modified before the window. */
  before: number;
  /** Matched by the {@link ingestedRule}. */
  ingested: number;
}

/** Adds what the listing kept back to the counts of {@link selectCandidates}. */
export function addListingCounts(counts: SelectionCounts, listing: ListingCounts): void {
  counts.listed += listing.before + listing.ingested;
  counts.in_window += listing.ingested;
  counts.skipped_ingested += listing.ingested;
}
