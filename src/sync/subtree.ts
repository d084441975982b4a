/**
 * Listing a folder and everything below it (`include_subfolders`).
 *
 * - Delta ({@link SubtreeFeed}): folder delta already returns the whole subtree, so this costs no
 *   extra request. Paths are built from parent ids, never from `parentReference.path`, which
 *   Graph does not promise in delta (graph-delta.md §2). Delta sends the folders above every
 *   changed item (real-sharepoint-quirks.md §16), usually before it, so most files are named as
 *   they arrive; the others wait for the end of the feed. Folder items never become files.
 * - Children ({@link walkSubtree}): one listing per folder, breadth first; every page is a Graph
 *   request the client meters, so the run's request and resource-unit totals include them all.
 *
 * A renamed or moved folder changes the relative path of every file below it: those files are
 * listed under their new paths, which the DB service has not seen (see docs/configuration.md).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { GraphError } from "../errors.ts";
import type {
  FolderChange,
  MalformedItem,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "../graph/sharepoint_client.ts";
import { type SubfolderNaming, withRelativePath } from "./relative_path.ts";

const log = getLogger(["ingest", "sync"]);

/** What a {@link SubtreeFeed} hands on: named files and ids that are not (or no longer) files. */
export interface FeedTarget {
  add(change: { kind: "file"; file: RemoteFile } | { kind: "gone"; id: string }): void;
  /**
   * False when the target keeps nothing of `file` but its id (a first enumeration's file modified
   * before the window): such a file is handed on without its relative path, which saves building
   * one for nearly every item of a large library. Default: every file is kept.
   */
  keeps?(file: RemoteFile): boolean;
}

/** Where a parent id leads: the folder names down from the watched folder, or why not. */
type Placement = string[] | "outside" | "unknown";

/**
 * Turns the entries of one subtree delta feed into named files for `target`. A file whose
 * folders lead to the drive root without passing the watched folder lies elsewhere (root delta)
 * and is `gone`; one whose folders the feed never named is counted by {@link finish}.
 */
export class SubtreeFeed {
  #rootId: string;
  #naming: SubfolderNaming;
  #target: FeedTarget;
  #folders = new Map<string, { name: string; parentId: string | undefined }>();
  #held = new Map<string, { file: RemoteFile; parentId: string | undefined }>();
  /** Folders that some entry of the feed (file or folder) names as its parent. */
  #parents = new Set<string>();

  constructor(options: { rootId: string; naming: SubfolderNaming; target: FeedTarget }) {
    this.#rootId = options.rootId;
    this.#naming = options.naming;
    this.#target = options.target;
  }

  /** Forgets everything (the feed restarted from scratch). */
  reset(): void {
    this.#folders.clear();
    this.#held.clear();
    this.#parents.clear();
  }

  /** Takes one entry of the feed (`restart` and `folder_gone` are the lister's). */
  add(change: FolderChange): void {
    if (change.kind === "subfolder") {
      if (change.folder.parentId !== undefined) this.#parents.add(change.folder.parentId);
      this.#folders.set(change.folder.id, {
        name: change.folder.name,
        parentId: change.folder.parentId,
      });
    } else if (change.kind === "gone") {
      this.#folders.delete(change.id);
      this.#held.delete(change.id);
      this.#target.add(change);
    } else if (change.kind === "file") {
      if (change.parentId !== undefined) this.#parents.add(change.parentId);
      const placement = this.#placement(change.parentId);
      if (Array.isArray(placement)) {
        this.#held.delete(change.file.id);
        const kept = this.#target.keeps?.(change.file) ?? true;
        this.#target.add({
          kind: "file",
          file: kept ? this.#named(change.file, placement) : change.file,
        });
      } else this.#held.set(change.file.id, { file: change.file, parentId: change.parentId });
    }
  }

  /**
   * Names the files that waited for their folders, now that the feed is complete; those below
   * another folder are `gone`. Returns how many files had a folder the feed never named.
   */
  finish(): number {
    let unknown = 0;
    for (const { file, parentId } of this.#held.values()) {
      const placement = this.#placement(parentId);
      if (Array.isArray(placement)) {
        this.#target.add({ kind: "file", file: this.#named(file, placement) });
        continue;
      }
      if (placement === "unknown") unknown++;
      this.#target.add({ kind: "gone", id: file.id });
    }
    this.#held.clear();
    return unknown;
  }

  /**
   * After {@link finish} of a feed read from a saved link: the folders below the watched one that
   * the feed names without any entry inside them (folders above a change always have one). A
   * renamed or moved folder comes this way when Graph reports the folder but not the items it
   * carries along (unconfirmed on SharePoint, graph-delta.md "UNCONFIRMED"): their paths changed,
   * so the lister lists these folders. Topmost only: a listing covers the folders below.
   */
  loneFolders(): { id: string; segments: string[] }[] {
    const lone = new Map<string, string[]>();
    for (const id of this.#folders.keys()) {
      if (this.#parents.has(id)) continue;
      const placement = this.#placement(id);
      if (Array.isArray(placement)) lone.set(id, placement);
    }
    const topmost: { id: string; segments: string[] }[] = [];
    for (const [id, segments] of lone) {
      const chain: string[] = [];
      this.#placement(this.#folders.get(id)?.parentId, chain);
      if (!chain.some((above) => lone.has(above))) topmost.push({ id, segments });
    }
    return topmost;
  }

  #named(file: RemoteFile, folders: string[]): RemoteFile {
    return withRelativePath(file, [...folders, file.name], this.#naming);
  }

  /** Where `parentId` leads; the folder ids passed on the way are pushed to `chain`. */
  #placement(parentId: string | undefined, chain: string[] = []): Placement {
    const names: string[] = [];
    let id = parentId;
    // Each step moves to a parent; more steps than folders means a cycle in a broken feed.
    for (let steps = 0; steps <= this.#folders.size; steps++) {
      if (id === this.#rootId) return names.reverse();
      if (id === undefined) return "outside";
      const folder = this.#folders.get(id);
      if (folder === undefined) return "unknown";
      chain.push(id);
      names.push(folder.name);
      id = folder.parentId;
    }
    return "outside";
  }
}

/** A link-based subtree feed named files below folders it never sent: list in full instead. */
export class SubtreeIncomplete extends Error {
  override name = "SubtreeIncomplete";
  constructor(readonly files: number) {
    super(`${files} changed file(s) lie below folders the delta feed did not name`);
  }
}

/** Options of {@link walkSubtree}. */
export interface WalkOptions {
  sharepoint: SharePointClient;
  naming: SubfolderNaming;
  /** For log lines: the configured folder. */
  folderLabel: string;
  runId?: string;
  signal?: AbortSignal;
  /** Walk only this folder below `folder` (its id and path segments); default all of `folder`. */
  start?: { id: string; segments: string[] };
  /** Receives the file items that lack what a file needs (skipped, looked at again next run). */
  onMalformed?: (item: MalformedItem) => void;
}

/**
 * Yields every file of `folder` and of its subfolders at any depth, named by their relative
 * path. A subfolder that vanishes while the walk runs (404) is logged and skipped; a 404 of the
 * folder itself is thrown, as for a flat listing.
 */
export async function* walkSubtree(
  folder: RemoteFolder,
  options: WalkOptions,
): AsyncIterable<RemoteFile> {
  const start = options.start ?? { id: folder.itemId, segments: [] };
  const queue: { id: string; segments: string[] }[] = [start];
  const seen = new Set<string>([start.id]);
  let folders = 0;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    folders++;
    try {
      for await (
        const entry of options.sharepoint.listChildren(
          folder,
          next.id,
          options.signal,
          options.onMalformed,
        )
      ) {
        if (entry.kind === "file") {
          yield withRelativePath(entry.file, [...next.segments, entry.file.name], options.naming);
        } else if (!seen.has(entry.folder.id)) {
          seen.add(entry.folder.id);
          queue.push({ id: entry.folder.id, segments: [...next.segments, entry.folder.name] });
        }
      }
    } catch (error) {
      const vanished = error instanceof GraphError && error.status === 404 &&
        next.id !== folder.itemId;
      if (!vanished) throw error;
      log.warn(
        "Skipped subfolder {subfolder} of {folder}: it was deleted or moved during the run",
        {
          run_id: options.runId,
          folder: options.folderLabel,
          subfolder: next.segments.join("/"),
        },
      );
    }
  }
  log.debug("Listed {folders} folders of {folder}", {
    run_id: options.runId,
    folders,
    folder: options.folderLabel,
  });
}
