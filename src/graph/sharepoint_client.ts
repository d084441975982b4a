/**
 * The `SharePointClient` contract the sync job depends on. `GraphSharePointClient` implements it
 * over Microsoft Graph; tests use the same implementation against the simulator.
 * @module
 */

import type { GraphUsage } from "./graph_api.ts";
import type { Verification } from "./verification.ts";

/** The configured folder, resolved once per run to ids (paging by id avoids Graph's path-nextLink bug). */
export interface RemoteFolder {
  siteId: string;
  driveId: string;
  /** The library's display name (may be localized, e.g. "Dokumente"). */
  driveName: string;
  /** The library's URL segment, e.g. "Shared Documents". */
  driveUrlSegment: string;
  itemId: string;
  /** Path of the folder inside the drive, "" for the drive root. */
  pathInDrive: string;
  webUrl: string;
}

/** A file (an item with a `file` facet) directly inside the folder, or below it. */
export interface RemoteFile {
  id: string;
  driveId: string;
  /**
   * The name the run compares with the DB service's answer and places in `ingestion_dir`: the
   * item's name, or with `include_subfolders` the relative path with `/` (mirror) or the
   * flattened name (see `src/sync/relative_path.ts`).
   */
  name: string;
  /**
   * With `include_subfolders`: the path below the configured folder with `/` separators
   * (`2026/12/x.csv`), which include/exclude match. Undefined otherwise.
   */
  path?: string;
  size: number;
  /**
   * `lastModifiedDateTime`. On SharePoint it is the same field as `fileSystemInfo`'s, which sync
   * clients and uploads may back-date; moves and copies keep it (real-sharepoint-quirks.md §1).
   */
  lastModified: Date;
  created: Date;
  /** Base64 QuickXorHash, when Graph announced one. */
  quickXorHash: string | undefined;
  /** Pre-authenticated URL from the listing, short-lived; may be absent. */
  downloadUrl: string | undefined;
  eTag: string | undefined;
  cTag: string | undefined;
  /** The item carries Graph's `malware` facet: Defender flagged it (never downloaded). */
  malware?: boolean;
}

/**
 * A listed file item that lacks what a file needs (a `size`, a `name`, a modification time):
 * business delta has sent such items (real-sharepoint-quirks.md §12). It is skipped, not fatal.
 */
export interface MalformedItem {
  id: string;
  /** The item's name, when it has one. */
  name: string | undefined;
  /** What is missing or wrong, e.g. "it has no size". */
  reason: string;
}

/** Where a delta enumeration runs: the folder itself, or the drive root (folder delta refused). */
export type DeltaScope = "folder" | "root";

/**
 * One entry of a delta feed, reduced to what a run needs. Delta reports the latest state of each
 * item (the same id may come more than once: the last entry wins).
 * - `file`: a file directly inside the folder.
 * - `gone`: the id is not (or no longer) a file directly inside the folder: deleted, moved out,
 *   a folder, a package, or a file elsewhere in the drive.
 * - `restart`: the link was dead (HTTP 410) and the feed starts again from scratch; everything
 *   before this entry is void.
 * - `folder_gone`: the folder itself was deleted; its saved id is no longer valid.
 * - `subfolder` (only with {@link ListChangesOptions.subtree}): a folder of the feed, any depth,
 *   so file paths can be built from parent ids; a `file` then names its `parentId` and may lie
 *   anywhere in the drive (the lister keeps those below the folder).
 * - `malformed`: a file (directly inside the folder, or with `subtree` anywhere in the feed) that
 *   lacks what a file needs (skip it, and look at it again next run).
 */
export type FolderChange =
  | { kind: "file"; file: RemoteFile; parentId?: string }
  | { kind: "subfolder"; folder: SubfolderEntry }
  | { kind: "gone"; id: string }
  | { kind: "restart"; reason: string }
  | { kind: "folder_gone" }
  | ({ kind: "malformed" } & MalformedItem);

/** A folder item of a delta feed or a children page (include_subfolders). */
export interface SubfolderEntry {
  id: string;
  name: string;
  /** The parent folder's id; undefined for a drive root. */
  parentId: string | undefined;
}

/** One entry of {@link SharePointClient.listChildren}: a file or a sub-folder. */
export type ChildEntry =
  | { kind: "file"; file: RemoteFile }
  | { kind: "subfolder"; folder: SubfolderEntry };

/** Options of {@link SharePointClient.listChanges}. */
export interface ListChangesOptions {
  scope: DeltaScope;
  /**
   * Report files at any depth with their parent id, and folders as `subfolder` entries
   * (`include_subfolders`); default only files directly inside the folder.
   */
  subtree?: boolean;
  /** A saved `@odata.deltaLink`; undefined enumerates from scratch. */
  link: string | undefined;
  signal?: AbortSignal;
}

/** Options of {@link SharePointClient.downloadFile}. */
export interface DownloadOptions {
  /** Compare the streamed QuickXorHash with the announced one (size is always checked). */
  verifyHash: boolean;
  /**
   * Extensions (lower-case, no dot) of files SharePoint rewrites: a complete transfer that
   * differs from the listing is accepted as `rewritten`. Default none (every mismatch fails).
   */
  rewrittenExtensions?: readonly string[];
  /**
   * `destination` is a resumable partial: bytes it already holds are continued with a
   * `Range: bytes=N-` request (started over when the server answers 200 or 416), and a failed,
   * timed-out or aborted transfer keeps what it wrote. A content mismatch still removes it.
   */
  resume?: boolean;
  signal?: AbortSignal;
  /** Called with the number of bytes the file holds so far (progress display). */
  onProgress?: (bytes: number) => void;
  /** Called with a fresh download URL after the listed one was rejected (reuse it next attempt). */
  onFreshUrl?: (url: string) => void;
  /**
   * Called once when the whole body is in the file, before the final fdatasync and the checks:
   * the transfer no longer needs its connection (a download slot can go to the next file).
   */
  onBodyWritten?: () => void;
}

/** What a completed download wrote. */
export interface DownloadResult {
  /** Bytes of the file. */
  bytes: number;
  /** QuickXorHash of the bytes written (Base64). */
  quickXorHash: string;
  /** How the content compared with the listing (never `mismatch`: that throws). */
  verification: Exclude<Verification, { kind: "mismatch" }>;
  /** Bytes kept from an earlier attempt and continued with a Range request (0 = from scratch). */
  resumedFrom: number;
  /**
   * The version downloaded, when a Range continuation found the item changed since the listing
   * and started over (see `same_version.ts`); undefined when it is the listed one.
   */
  current?: RemoteFile;
}

/** Reads one SharePoint folder through Microsoft Graph. */
export interface SharePointClient {
  /** Obtains (or reuses) an app-only token. Throws `AuthError`. */
  authenticate(signal?: AbortSignal): Promise<void>;
  /** Resolves `sharepoint_site_url` + `sharepoint_folder` to ids. Throws `GraphError` naming what exists. */
  resolveFolder(signal?: AbortSignal): Promise<RemoteFolder>;
  /**
   * Yields the files directly inside `folder`, page by page (sub-folders are not descended).
   * File items that lack a name, size or time are skipped and handed to `onMalformed`.
   */
  listFiles(
    folder: RemoteFolder,
    signal?: AbortSignal,
    onMalformed?: (item: MalformedItem) => void,
  ): AsyncIterable<RemoteFile>;
  /**
   * The current state of one item as a change of `folder` (`getItem`): a `gone` for a 404.
   * Used to look again at items a run skipped as malformed. Optional for test doubles.
   */
  itemChange?(folder: RemoteFolder, itemId: string, signal?: AbortSignal): Promise<FolderChange>;
  /**
   * Yields the files and sub-folders directly inside the folder `itemId` of `folder`'s drive,
   * page by page (`include_subfolders` in children mode walks the tree with it).
   */
  listChildren(
    folder: RemoteFolder,
    itemId: string,
    signal?: AbortSignal,
    onMalformed?: (item: MalformedItem) => void,
  ): AsyncIterable<ChildEntry>;
  /**
   * Yields the changes of `folder` since `options.link` (everything when undefined), page by
   * page, and returns the new delta link once the feed is complete. Throws `GraphError`: a 501
   * `notSupported` when folder delta is refused, a 404 when the folder id is gone.
   */
  listChanges(
    folder: RemoteFolder,
    options: ListChangesOptions,
  ): AsyncGenerator<FolderChange, string, undefined>;
  /** Graph calls made by this client so far (read before and after a run). */
  usage(): GraphUsage;
  /**
   * Streams `file` into `destination` with constant memory, checks that every announced byte
   * arrived (Content-Length / Content-Range; without either, a body that ends cleanly), verifies
   * the content against the listing (see `verification.ts`) and that it is the file
   * (`body_check.ts`), and fsyncs before returning. Without `options.resume`, `destination` must
   * not exist yet and is removed on any failure or abort; with it, a kept prefix is continued and
   * kept on failure (removed on a content mismatch). Throws `GraphError`, `ThrottledError`,
   * `TimeoutError`, `IntegrityError`, `MalwareError` (flagged by SharePoint: never retry) or
   * `AbortedError`.
   */
  downloadFile(
    file: RemoteFile,
    destination: string,
    options: DownloadOptions,
  ): Promise<DownloadResult>;
}
