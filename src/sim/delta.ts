/**
 * `GET …/delta` of the simulated drive, read from the state's change log (graph-delta.md §2–4):
 * opaque state tokens that freeze `$select` and `$top`; `nextLink` pages and a final `deltaLink`;
 * `token=latest` (no items, a link for "from now on") and timestamp tokens; ancestors before the
 * changed items; tombstones with a `deleted` facet and no name; the last item of a page repeated
 * on the next; about 7 tombstones per page; links that expire (HTTP 410 with a `Location`).
 * @module
 */
import type { SimChange, SimItem, SimState } from "./state.ts";
import type { SimDeltaQuirks } from "./types.ts";

/** The token of a `Location` that answers 500 (`SimDeltaQuirks.brokenLocation`). */
export const BROKEN_LOCATION_TOKEN = "broken-location";

/** What a delta state token carries (Base64url JSON, opaque to clients). */
export interface DeltaToken {
  /** Link generation: tokens of an earlier generation are expired. */
  e: number;
  /** Drive id and scope item id (null: the drive root). */
  d: string;
  r: string | null;
  /** Changes after this sequence number are reported. */
  s: number;
  /** Upper bound of the enumeration in progress (a nextLink), else null (a deltaLink). */
  u: number | null;
  /** Last sequence number already reported in this enumeration (nextLinks). */
  c: number;
  /** The frozen `$select` and `$top`. */
  sel: string | null;
  top: number | null;
  /** When the enumeration started (simulator clock). */
  at: number;
  /** A counter that makes each looping nextLink a fresh one (`SimDeltaQuirks.loop`). */
  n?: number;
}

/** Switches of the simulated delta API that tests turn. */
export class DeltaControl {
  /** Link generation; {@link DeltaControl.expireLinks} makes every earlier link answer 410. */
  epoch = 0;
  /** False: folder-scoped delta answers 501 `notSupported`, as SharePoint did before 2021. */
  folderDelta = true;
  /** Links older than this answer 410 (Graph publishes no lifetime; about 30 days was seen). */
  lifetimeMs: number;
  /** Hostile behaviours (real-sharepoint-quirks.md §10, §11), all off by default. */
  quirks: SimDeltaQuirks = {};

  constructor(lifetimeMs = 30 * 86_400_000) {
    this.lifetimeMs = lifetimeMs;
  }

  expireLinks(): void {
    this.epoch++;
  }
}

/** Tombstones per page at most, like SharePoint's short pages of deleted items. */
export const TOMBSTONES_PER_PAGE = 7;

/** Encodes a token for a link. */
export function encodeDeltaToken(token: DeltaToken): string {
  return btoa(JSON.stringify(token)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes a token, or undefined when it is not one of ours. */
export function decodeDeltaToken(text: string): DeltaToken | undefined {
  try {
    const json = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/")));
    if (typeof json !== "object" || json === null) return undefined;
    if (typeof json.e !== "number" || typeof json.d !== "string" || typeof json.s !== "number") {
      return undefined;
    }
    return json as DeltaToken;
  } catch {
    return undefined;
  }
}

/** One delta page: entries to render, and where the feed continues. */
export interface DeltaPageOut {
  entries: ({ item: SimItem } | { tombstone: SimChange })[];
  /** The next page's cursor, or undefined when this is the last page. */
  next: number | undefined;
}

/** Index of the first change with `seq > after` (the log is in sequence order). */
function firstAfter(changes: readonly SimChange[], after: number): number {
  let low = 0;
  let high = changes.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (changes[mid]!.seq <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The sequence number a timestamp token stands for: the last change at or before `at`. */
export function seqAt(state: SimState, at: number): number {
  let seq = 0;
  for (const change of state.changes) {
    if (change.at > at) break;
    seq = change.seq;
  }
  return seq;
}

/**
 * The page of `scope` (undefined: the drive root) after `token.c`, up to `upTo`, of at most
 * `size` items. A full enumeration (`token.s` 0) lists the live items only; a later one also
 * lists what left the scope, as tombstones.
 */
export function deltaPage(
  state: SimState,
  scope: SimItem,
  token: DeltaToken,
  upTo: number,
  size: number,
): DeltaPageOut {
  const changes = state.changes;
  const entries: DeltaPageOut["entries"] = [];
  const seen = new Set<string>();
  const incremental = token.s > 0;
  const inScope = (item: SimItem) =>
    item.driveId === scope.driveId && (item === scope || state.isBelow(item, scope.id));
  const push = (item: SimItem) => {
    if (incremental) {
      for (const ancestor of ancestorsOf(item)) {
        if (!seen.has(ancestor.id)) {
          seen.add(ancestor.id);
          entries.push({ item: ancestor });
        }
      }
    }
    seen.add(item.id);
    entries.push({ item });
  };
  if (token.c > token.s) {
    // The same item may appear more than once: repeat the previous page's last item.
    const previous = current(state, changes[firstAfter(changes, token.c - 1)]);
    if (previous !== undefined && inScope(previous)) push(previous);
  }
  let count = 0;
  let tombstones = 0;
  let index = firstAfter(changes, Math.max(token.s, token.c));
  for (; index < changes.length && count < size; index++) {
    const change = changes[index]!;
    if (change.seq > upTo) break;
    if (change.tombstone !== undefined) {
      if (!incremental || change.tombstone.driveId !== scope.driveId) continue;
      const wasInScope = scope.parent === undefined ||
        change.tombstone.ancestors.includes(scope.id);
      const live = state.item(change.tombstone.driveId, change.id);
      if (!wasInScope || (live !== undefined && inScope(live))) continue;
      entries.push({ tombstone: change });
      count++;
      if (++tombstones >= TOMBSTONES_PER_PAGE) {
        index++;
        break;
      }
      continue;
    }
    const item = current(state, change);
    if (item === undefined || !inScope(item)) continue;
    push(item);
    count++;
  }
  const more = index < changes.length && changes[index]!.seq <= upTo;
  return { entries, next: more ? changes[index - 1]?.seq ?? token.c : undefined };
}

/** The item a change names while that change is its latest. */
function current(state: SimState, change: SimChange | undefined): SimItem | undefined {
  if (change === undefined || change.tombstone !== undefined) return undefined;
  for (const drive of state.drives) {
    const item = state.item(drive.id, change.id);
    if (item !== undefined) return item.changed === change.seq ? item : undefined;
  }
  return undefined;
}

/** The folders above `item`, the drive root first. */
function ancestorsOf(item: SimItem): SimItem[] {
  const chain: SimItem[] = [];
  for (let p = item.parent; p; p = p.parent) chain.unshift(p);
  return chain;
}
