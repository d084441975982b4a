/**
 * What counts as new: the selection rules of one listed file, as a pure function.
 *
 * SharePoint keeps an old `lastModifiedDateTime` (and, for a native move, an old
 * `createdDateTime`) on files that arrive in a folder today: OneDrive sync and rclone uploads
 * write `fileSystemInfo`, "Move to" / "Copy to" and migrations preserve both dates
 * (real-sharepoint-quirks.md §1). So a file is new when
 * - the later of its created and modified times lies in the run's window (`in_window`), or
 * - an incremental delta page reported it, whatever its dates (`arrived`): moved in, copied in,
 *   uploaded back-dated, or changed.
 *
 * Every file then passes the same rules, in this order: a time at or after the window's end is
 * held (`future`, §26); include/exclude; the minimum age counted from the arrival time (not a
 * possibly back-dated modification); the DB service's names; the job's own ledger of content it
 * placed (`unchanged_content`: a column edit gives a new eTag and Modified time but keeps cTag and
 * content, §9); an empty file is held for `empty_file_grace_minutes` after its arrival (a 0-byte
 * placeholder later filled in under the same id, §7).
 * @module
 */
import type { TimeWindow } from "../db/db_service_client.ts";
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { FilterVerdict } from "./filters.ts";

/** Why a file was selected. */
export type SelectionReason = "in_window" | "arrived";

/** How the listing saw a file that a delta page (or the retry list) reported. */
export interface Reported {
  /**
   * When this job first saw this version (ms since epoch); undefined = now. Used as the arrival
   * time when the file's own dates lie before the window (back-dated).
   */
  firstSeen?: number | undefined;
}

/** The file facts the rules read. */
export type RuleFile = Pick<RemoteFile, "name" | "size" | "lastModified" | "created">;

/** The context of {@link classifyFile}. */
export interface RuleContext {
  window: TimeWindow;
  /** Current time, ms since epoch. */
  now: number;
  /** The include/exclude/min-age filter: called with `lastModified` = the arrival time. */
  filter: (
    file: Pick<RemoteFile, "name" | "lastModified" | "path">,
    now: number,
  ) => FilterVerdict | undefined;
  /** Names the DB service reported ingested. */
  ingested: ReadonlySet<string>;
  /** True when this job already placed this very content (the ledger); default never. */
  placedBefore?: (file: RemoteFile) => boolean;
  /** How long an empty file waits after its arrival before it is placed as empty. */
  emptyGraceMs: number;
}

/** What the rules decided for one file. */
export type FileVerdict =
  /** Not new: its later date lies before the window and no delta page reported it. */
  | { kind: "before" }
  /** A later run may still place it. */
  | { kind: "held"; reason: "future" | "min_age" | "empty"; arrival: number }
  | { kind: "filtered"; verdict: FilterVerdict; arrival: number }
  | { kind: "ingested"; arrival: number }
  | { kind: "unchanged_content"; arrival: number }
  | { kind: "candidate"; reason: SelectionReason; arrival: number };

/** The later of a file's created and modified times (ms since epoch). */
export function latestTime(file: Pick<RemoteFile, "lastModified" | "created">): number {
  return Math.max(file.lastModified.getTime(), file.created.getTime());
}

/**
 * The arrival time of `file`: the later of created and modified, or, for a reported file whose
 * dates lie before the window, when this job first saw it (`now` unless the retry list kept it).
 */
export function arrivalTime(
  file: Pick<RemoteFile, "lastModified" | "created">,
  window: TimeWindow,
  now: number,
  reported: Reported | undefined,
): number {
  const latest = latestTime(file);
  if (reported === undefined || latest >= window.since.getTime()) return latest;
  return reported.firstSeen ?? now;
}

/** Applies the rules of the module doc to one file; `reported` is set for delta-reported files. */
export function classifyFile(
  file: RemoteFile,
  reported: Reported | undefined,
  context: RuleContext,
): FileVerdict {
  const latest = latestTime(file);
  const since = context.window.since.getTime();
  if (reported === undefined && latest < since) return { kind: "before" };
  const arrival = arrivalTime(file, context.window, context.now, reported);
  if (latest >= context.window.until.getTime()) return { kind: "held", reason: "future", arrival };
  const verdict = context.filter(
    { name: file.name, path: file.path, lastModified: new Date(arrival) },
    context.now,
  );
  if (verdict === "too_new") return { kind: "held", reason: "min_age", arrival };
  if (verdict !== undefined) return { kind: "filtered", verdict, arrival };
  if (context.ingested.has(file.name)) return { kind: "ingested", arrival };
  if (context.placedBefore?.(file)) return { kind: "unchanged_content", arrival };
  if (file.size === 0 && context.now - arrival < context.emptyGraceMs) {
    return { kind: "held", reason: "empty", arrival };
  }
  return { kind: "candidate", reason: latest >= since ? "in_window" : "arrived", arrival };
}
