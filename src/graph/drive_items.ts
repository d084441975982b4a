/**
 * Graph's driveItems as the client's domain types: a file, a folder change of a delta feed, an
 * entry of a children page. Pure functions, shared by the client and the same-version check.
 * @module
 */
import { GraphError } from "../errors.ts";
import { fileProblem } from "./item_problems.ts";
import type { ChildEntry, FolderChange, RemoteFile, RemoteFolder } from "./sharepoint_client.ts";
import type { DriveItem } from "./wire_types.ts";

/**
 * Reduces one delta entry: a file (not deleted, not a package) whose parent is the folder is a
 * `file`; a tombstone of the folder itself is `folder_gone`; anything else is `gone`.
 */
export function toFolderChange(item: DriveItem, folder: RemoteFolder, what: string): FolderChange {
  if (item.id === folder.itemId) {
    return item.deleted ? { kind: "folder_gone" } : { kind: "gone", id: item.id };
  }
  const inFolder = item.parentReference?.id === folder.itemId;
  if (!inFolder || item.deleted || !item.file || item.folder || item.package || item.root) {
    return { kind: "gone", id: item.id };
  }
  const problem = fileProblem(item);
  if (problem !== undefined) {
    return { kind: "malformed", id: item.id, name: item.name || undefined, reason: problem };
  }
  return { kind: "file", file: toRemoteFile(item, folder.driveId, what) };
}

/**
 * Reduces one delta entry for `include_subfolders`: the folder's own tombstone is `folder_gone`,
 * any other folder (or drive root) a `subfolder` with its parent id, a file (not deleted, not a
 * package) a `file` with its parent id wherever it lies; anything else is `gone`. Which of them
 * lie below the folder is decided from the parent ids (`src/sync/subtree.ts`): delta sends the
 * folders above every changed item (graph-delta.md §2, real-sharepoint-quirks.md §16), and
 * `parentReference.path` is not relied on.
 */
export function toSubtreeChange(item: DriveItem, folder: RemoteFolder, what: string): FolderChange {
  if (item.id === folder.itemId) {
    return item.deleted ? { kind: "folder_gone" } : { kind: "gone", id: item.id };
  }
  if (item.deleted || item.package) return { kind: "gone", id: item.id };
  if (item.folder || item.root) {
    return {
      kind: "subfolder",
      folder: {
        id: item.id,
        name: item.name ?? "",
        parentId: item.root ? undefined : item.parentReference?.id,
      },
    };
  }
  if (!item.file) return { kind: "gone", id: item.id };
  const problem = fileProblem(item);
  if (problem !== undefined) {
    return { kind: "malformed", id: item.id, name: item.name || undefined, reason: problem };
  }
  return {
    kind: "file",
    file: toRemoteFile(item, folder.driveId, what),
    parentId: item.parentReference?.id,
  };
}

/** One entry of a children page: a file, a sub-folder, or undefined (a package, say). */
export function toChildEntry(
  item: DriveItem,
  driveId: string,
  what: string,
): ChildEntry | undefined {
  if (item.package) return undefined;
  if (item.folder) {
    return {
      kind: "subfolder",
      folder: { id: item.id, name: item.name ?? "", parentId: item.parentReference?.id },
    };
  }
  if (!item.file) return undefined;
  return { kind: "file", file: toRemoteFile(item, driveId, what) };
}

/** Maps a driveItem with a `file` facet; throws `GraphError` when a field a file needs is missing. */
export function toRemoteFile(item: DriveItem, driveId: string, what = "the folder"): RemoteFile {
  const { name, size, lastModifiedDateTime, createdDateTime } = item;
  const lastModified = new Date(lastModifiedDateTime ?? "");
  const created = new Date(createdDateTime ?? lastModifiedDateTime ?? "");
  if (!name || size === undefined || Number.isNaN(lastModified.getTime())) {
    throw new GraphError(
      `Cannot list ${what}: item ${item.id} lacks a name, size or lastModifiedDateTime`,
    );
  }
  return {
    id: item.id,
    driveId: item.parentReference?.driveId ?? driveId,
    name,
    size,
    lastModified,
    created: Number.isNaN(created.getTime()) ? lastModified : created,
    quickXorHash: item.file?.hashes?.quickXorHash || undefined,
    downloadUrl: item["@microsoft.graph.downloadUrl"],
    eTag: item.eTag,
    cTag: item.cTag,
    ...(item.malware ? { malware: true } : {}),
  };
}
