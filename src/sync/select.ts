/**
 * The listing pass of a run: counts every listed file and keeps only the candidates (in the
 * window, passing the filters, not ingested), so memory grows with new files, not the folder.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { TimeWindow } from "../db/db_service_client.ts";
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import { classifyFile, type Reported, type RuleContext, type SelectionReason } from "./arrival.ts";
import type { FileFilter } from "./filters.ts";

const log = getLogger(["ingest", "sync"]);

/** Counts of the listing pass, named as in `SyncResult`. */
export interface SelectionCounts {
  listed: number;
  in_window: number;
  skipped_filtered: number;
  skipped_ingested: number;
  /** Skipped: this job already placed this very content (the ledger; a column edit). */
  unchanged_content: number;
  /** Held: an empty file inside `empty_file_grace_minutes` of its arrival. */
  held_empty: number;
  /** Candidates selected because a delta page reported them although their dates are old. */
  arrived: number;
}

/** A file a later run may still place although this one does not. */
export interface HeldFile {
  file: RemoteFile;
  /**
   * `min_age`: too young for `min_age_seconds`; `future`: modified at or after `until`;
   * `empty`: a 0-byte file inside `empty_file_grace_minutes` of its arrival.
   */
  reason: "min_age" | "future" | "empty";
  /** The file's arrival time (ms since epoch), kept so a later run counts from it. */
  arrival?: number;
}

/** What the listing pass keeps. */
export interface Selection {
  counts: SelectionCounts;
  /** Files to consider for download, in listing order, one per name. */
  candidates: RemoteFile[];
  /** Files held back by the minimum age or a modification time at or after `until`. */
  held: HeldFile[];
  /** Why each candidate was selected, by item id. */
  reasons: Map<string, SelectionReason>;
  /** Each candidate's arrival time (ms since epoch), by item id. */
  arrivals: Map<string, number>;
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
  /** Set for a file an incremental delta page (or the retry list) reported; see `arrival.ts`. */
  reported?: (file: RemoteFile) => Reported | undefined;
  /** True when this job already placed this very content (the ledger). */
  placedBefore?: (file: RemoteFile) => boolean;
  /** `empty_file_grace_minutes` in ms; default 0 (empty files are ordinary). */
  emptyGraceMs?: number;
}

/** The rule context of `options`. */
function ruleContext(options: SelectOptions): RuleContext {
  return {
    window: options.window,
    now: options.now,
    filter: (file, now) => options.filter.verdict(file, now),
    ingested: options.ingested,
    ...(options.placedBefore ? { placedBefore: options.placedBefore } : {}),
    emptyGraceMs: options.emptyGraceMs ?? 0,
  };
}

/**
 * Streams `files` once through the rules of `arrival.ts` (`classifyFile`): a file counts as
 * `in_window` when the later of its created and modified times lies in `[since, until)` or a delta
 * page reported it; of those, the filters' rejects count as `skipped_filtered`, exact DB matches
 * as `skipped_ingested`, content this job already placed as `unchanged_content`; the rest are
 * candidates. A name listed twice keeps its last entry.
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
    unchanged_content: 0,
    held_empty: 0,
    arrived: 0,
  };
  const candidates = new Map<string, RemoteFile>();
  const reasons = new Map<string, SelectionReason>();
  const arrivals = new Map<string, number>();
  const held: HeldFile[] = [];
  const context = ruleContext(options);
  const skipped = (file: RemoteFile, why: string) =>
    log.debug("Skipped {file}: {verdict}", {
      run_id: options.runId,
      file: file.name,
      verdict: why,
    });
  for await (const file of files) {
    counts.listed++;
    const verdict = classifyFile(file, options.reported?.(file), context);
    if (verdict.kind === "before") continue;
    if (verdict.kind === "held" && verdict.reason === "future") {
      held.push({ file, reason: "future", arrival: verdict.arrival });
      continue;
    }
    counts.in_window++;
    if (verdict.kind === "filtered" || (verdict.kind === "held" && verdict.reason === "min_age")) {
      counts.skipped_filtered++;
      if (verdict.kind === "held") held.push({ file, reason: "min_age", arrival: verdict.arrival });
      skipped(file, verdict.kind === "held" ? "too_new" : verdict.verdict);
    } else if (verdict.kind === "held") {
      counts.held_empty++;
      held.push({ file, reason: "empty", arrival: verdict.arrival });
      log.info("Held {file}: it is empty; waiting for its content (empty_file_grace_minutes)", {
        run_id: options.runId,
        file: file.name,
      });
    } else if (verdict.kind === "ingested") {
      counts.skipped_ingested++;
      skipped(file, "already ingested");
    } else if (verdict.kind === "unchanged_content") {
      counts.unchanged_content++;
      log.info("Skipped {file}: this job already placed this content (unchanged_content)", {
        run_id: options.runId,
        file: file.name,
      });
    } else {
      const previous = candidates.get(file.name);
      if (previous !== undefined) {
        reasons.delete(previous.id);
        arrivals.delete(previous.id);
      }
      candidates.delete(file.name);
      candidates.set(file.name, file);
      reasons.set(file.id, verdict.reason);
      arrivals.set(file.id, verdict.arrival);
    }
  }
  for (const reason of reasons.values()) if (reason === "arrived") counts.arrived++;
  logSelected(candidates, reasons, options.runId);
  return { counts, candidates: [...candidates.values()], held, reasons, arrivals };
}

function logSelected(
  candidates: Map<string, RemoteFile>,
  reasons: Map<string, SelectionReason>,
  runId: string,
): void {
  for (const file of candidates.values()) {
    const reason = reasons.get(file.id);
    const properties = { run_id: runId, file: file.name, reason };
    if (reason === "arrived") {
      log.info(
        "Selected {file}: {reason} (a delta page reported it; its dates lie before the window)",
        properties,
      );
    } else log.debug("Selected {file}: {reason}", properties);
  }
}

/**
 * The rule of {@link selectCandidates} for "already ingested" as a predicate, for a listing that
 * wants to keep only a marker for such files: true when the file (not reported by a delta page)
 * is in the window, passes the filters at `options.now` and its name was reported ingested. The
 * minimum age only grows with time, so a file that passes here also passes in a selection made
 * later.
 */
export function ingestedRule(options: SelectOptions): (file: RemoteFile) => boolean {
  const context = ruleContext(options);
  return (file) => {
    if (classifyFile(file, undefined, context).kind !== "ingested") return false;
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
