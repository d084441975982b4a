/**
 * A Range continuation must prove the item is the version its prefix was taken from.
 *
 * Post-upload processing and edits change an item between two attempts (real-sharepoint-
 * quirks.md §9); continuing a kept prefix with `Range: bytes=N-` would then splice the old prefix
 * onto the new version's tail (§4, §18). Before continuing, the item's metadata is fetched again
 * (`GET /drives/{d}/items/{id}`, 1 resource unit) and compared by eTag, else cTag and size; the
 * request itself carries `If-Range` with the eTag, so a change in between answers 200 with the
 * whole new version instead of 206.
 * @module
 */
import type { GraphApi } from "./graph_api.ts";
import { toRemoteFile } from "./drive_items.ts";
import type { RemoteFile } from "./sharepoint_client.ts";

/** The item as it is now, and whether it is another version than `file`. */
export interface CurrentVersion {
  file: RemoteFile;
  changed: boolean;
}

/** True when `now` is another version than `then` (eTag, else cTag and size, else size). */
export function isOtherVersion(
  then: Pick<RemoteFile, "eTag" | "cTag" | "size" | "quickXorHash">,
  now: Pick<RemoteFile, "eTag" | "cTag" | "size" | "quickXorHash">,
): boolean {
  if (then.eTag && now.eTag) return then.eTag !== now.eTag;
  if (then.size !== now.size) return true;
  if (then.cTag && now.cTag) return then.cTag !== now.cTag;
  if (then.quickXorHash && now.quickXorHash) return then.quickXorHash !== now.quickXorHash;
  return false;
}

/** Fetches `file`'s metadata again; the name and drive stay those of the listing. */
export async function currentVersion(
  api: GraphApi,
  file: RemoteFile,
  what: string,
  signal?: AbortSignal,
): Promise<CurrentVersion> {
  const item = await api.getItem(file.driveId, file.id, what, signal);
  const fresh = toRemoteFile(item, file.driveId, what);
  const now: RemoteFile = { ...fresh, name: file.name, driveId: file.driveId };
  return { file: now, changed: isOtherVersion(file, now) };
}

/** Headers of a Range continuation of `file` from `offset`. */
export function rangeHeaders(
  file: Pick<RemoteFile, "eTag">,
  offset: number,
): Record<string, string> {
  return {
    range: `bytes=${offset}-`,
    ...(file.eTag ? { "if-range": file.eTag } : {}),
  };
}
