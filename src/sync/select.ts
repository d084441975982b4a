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
  /** Ids of the files modified at or after `since` (in the window or later). */
  evaluated: string[];
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
  const evaluated: string[] = [];
  for await (const file of files) {
    counts.listed++;
    if (file.lastModified.getTime() >= options.window.since.getTime()) evaluated.push(file.id);
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
  return { counts, candidates: [...candidates.values()], held, evaluated };
}
