/**
 * Children paging: `$top` (Graph default 200, at most 1000) and an opaque `$skiptoken` that,
 * like SharePoint's (`Paged=TRUE&p_SortBehavior=…&p_FileLeafRef=…&p_ID=…`, Base64), remembers
 * the last item's sort key. Resuming by key rather than by index keeps paging sane while items
 * are added or removed.
 * @module
 */
import { nameKey } from "./names.ts";
import { compareKeys, type SimItem } from "./state.ts";

/** Graph's documented maximum page size for children. */
export const MAX_PAGE_SIZE = 1000;

/** Where the previous page ended. */
export interface PageCursor {
  folder: boolean;
  key: string;
}

/** The `$skiptoken` that resumes after `item`, the `ordinal`-th item listed. */
export function encodeSkipToken(item: SimItem, ordinal: number): string {
  const text = `Paged=TRUE&p_SortBehavior=${item.folder ? 1 : 0}&p_FileLeafRef=${
    encodeURIComponent(item.name)
  }&p_ID=${ordinal}`;
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The cursor inside a `$skiptoken`, or undefined when it is not one of ours. */
export function decodeSkipToken(token: string): PageCursor | undefined {
  try {
    const binary = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
    const text = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const params = new URLSearchParams(text);
    const name = params.get("p_FileLeafRef");
    const behavior = params.get("p_SortBehavior");
    if (params.get("Paged") !== "TRUE" || name === null || (behavior !== "0" && behavior !== "1")) {
      return undefined;
    }
    return { folder: behavior === "1", key: nameKey(name) };
  } catch {
    return undefined;
  }
}

/** Parses `$top`: undefined when absent, NaN when invalid, else capped at {@link MAX_PAGE_SIZE}. */
export function parseTop(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) return NaN;
  return Math.min(Number(value), MAX_PAGE_SIZE);
}

/** One page of `children` (in listing order) after `cursor`. */
export function pageOf(
  children: readonly SimItem[],
  size: number,
  cursor: PageCursor | undefined,
): { items: SimItem[]; start: number; more: boolean } {
  let start = 0;
  if (cursor !== undefined) {
    let high = children.length;
    while (start < high) {
      const mid = (start + high) >>> 1;
      const child = children[mid]!;
      const order = compareKeys(child.folder !== undefined, child.key, cursor.folder, cursor.key);
      if (order <= 0) start = mid + 1;
      else high = mid;
    }
  }
  const items = children.slice(start, start + size);
  return { items, start, more: start + items.length < children.length };
}
