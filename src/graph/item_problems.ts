/**
 * What makes a listed file item unusable (real-sharepoint-quirks.md §12): business delta has
 * returned file items without `size` (OneDrive/onedrive-api-docs#966) and items without `name`
 * that are not tombstones (#580); sizes have come back negative (#375, #617, #926). Such an item
 * is skipped for the run, never a reason to fail the whole listing.
 * @module
 */
import type { ListedItem } from "./wire_types.ts";

/** Why `item` (a file item) cannot be used as a file, or undefined when it can. */
export function fileProblem(item: ListedItem): string | undefined {
  if (item.invalid !== undefined) return item.invalid;
  const missing: string[] = [];
  if (!item.name) missing.push("no name");
  if (item.size === undefined) missing.push("no size");
  else if (!Number.isSafeInteger(item.size) || item.size < 0) {
    return `its size ${item.size} is not a byte count`;
  }
  if (Number.isNaN(Date.parse(item.lastModifiedDateTime ?? ""))) {
    missing.push("no lastModifiedDateTime");
  }
  return missing.length === 0 ? undefined : `it has ${missing.join(", ")}`;
}
