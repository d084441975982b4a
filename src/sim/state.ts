/**
 * The simulated SharePoint site: document libraries (drives) holding folders and files, with
 * the identifiers and versions Graph exposes. Path lookups are case-insensitive like SharePoint;
 * ids are case-sensitive and opaque.
 * @module
 */
import { type ContentSource, hashSource, rewrittenSource } from "./content.ts";
import { encodePath, formatSignature, mimeTypeOf, nameKey, splitPath } from "./names.ts";
import { hashString, mixSeed, SeededRandom } from "./prng.ts";
import type { SimFileQuirks, SimFileSpec, SimLibrary } from "./types.ts";

/** File facet of an item. */
export interface SimFileData {
  /** The uploaded bytes: what the listing's size and hash describe. */
  source: ContentSource;
  /** What the download origin serves when SharePoint rewrote the file; default `source`. */
  served?: ContentSource;
  size: number;
  mimeType: string;
  /** False when the spec asked Graph to announce no hash. */
  hashed: boolean;
  /** Base64 QuickXorHash once computed (see {@link fileHash}). */
  hash?: string;
  /** How the file misbehaves in listings and downloads. */
  quirks?: SimFileQuirks;
}

/** Files at least this big are hashed when added, so no Graph answer waits for them. */
const EAGER_HASH_BYTES = 1024 * 1024;

/**
 * The QuickXorHash Graph announces for `file`, or undefined when it has none. Small files are
 * hashed on first use, which keeps seeding 100,000 of them cheap.
 */
export function fileHash(file: SimFileData): string | undefined {
  if (!file.hashed) return undefined;
  return file.hash ??= hashSource(file.source);
}

/** Folder facet of an item. */
export interface SimFolderData {
  /** Children by case-folded name. */
  children: Map<string, SimItem>;
  /** Children in listing order, rebuilt after a change. */
  sorted: SimItem[] | undefined;
}

/** A drive item: the root, a folder or a file. */
export interface SimItem {
  readonly id: string;
  readonly driveId: string;
  name: string;
  /** Case-folded name ({@link nameKey}): children are looked up and sorted by it. */
  key: string;
  parent: SimItem | undefined;
  /** SharePoint's UniqueId (GUID), used in eTag/cTag and download URLs. */
  readonly uniqueId: string;
  version: number;
  /**
   * Version of the content, used in the cTag: a column (metadata) edit, a move or a rename bumps
   * `version` (eTag) but not this (real-sharepoint-quirks.md §9).
   */
  contentVersion: number;
  /** Sequence number of the item's last change (see {@link SimState.changes}). */
  changed: number;
  /** Milliseconds since the epoch, whole seconds. */
  created: number;
  modified: number;
  file?: SimFileData;
  folder?: SimFolderData;
}

/** A document library. */
export interface SimDrive {
  readonly id: string;
  readonly name: string;
  readonly urlSegment: string;
  readonly isDefault: boolean;
  readonly root: SimItem;
  readonly created: number;
}

/** The one simulated site. */
export interface SimSite {
  readonly id: string;
  readonly hostname: string;
  /** Server-relative path, e.g. "/sites/Finance". */
  readonly path: string;
  readonly name: string;
  readonly webUrl: string;
  readonly created: number;
}

function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** Listing order: folders first, then by case-folded name. */
export function compareItems(a: SimItem, b: SimItem): number {
  return compareKeys(a.folder !== undefined, a.key, b.folder !== undefined, b.key);
}

/** Compares (isFolder, key) pairs in listing order. */
export function compareKeys(
  aFolder: boolean,
  aKey: string,
  bFolder: boolean,
  bKey: string,
): number {
  if (aFolder !== bFolder) return aFolder ? -1 : 1;
  return aKey < bKey ? -1 : aKey > bKey ? 1 : 0;
}

/**
 * An item that left a place: deleted (with everything below it), or moved or renamed away.
 * `ancestors` are the ids of the folders above it at that moment, nearest first.
 */
export interface SimTombstone {
  id: string;
  driveId: string;
  ancestors: string[];
  /** True when the item still exists elsewhere (moved), false when deleted. */
  moved: boolean;
}

/** One entry of the change log: the item changed at `seq` (current while `item.changed === seq`). */
export interface SimChange {
  seq: number;
  /** Simulator clock when the change happened. */
  at: number;
  id: string;
  tombstone?: SimTombstone;
}

/** Options of {@link SimState}. */
export interface SimStateOptions {
  hostname: string;
  sitePath: string;
  libraries: SimLibrary[];
  now: () => number;
  seed: number;
}

/** Sites, drives and items, mutated by seeding and by test hooks. */
export class SimState {
  readonly site: SimSite;
  readonly drives: readonly SimDrive[];
  #items = new Map<string, SimItem>();
  #changes: SimChange[] = [];
  #seq = 0;
  #random: SeededRandom;
  #now: () => number;
  /**
   * True: moving or renaming a folder records a change of every item below it, so delta reports
   * them under their new paths; false: only the folder changes (graph-delta.md "UNCONFIRMED").
   */
  movesReportDescendants = true;

  constructor(options: SimStateOptions) {
    this.#random = new SeededRandom(mixSeed(options.seed, 0x5157));
    this.#now = options.now;
    const created = wholeSeconds(options.now()) - 400 * 86_400_000;
    const path = `/${splitPath(options.sitePath).join("/")}`;
    const name = splitPath(path).at(-1) ?? "root";
    this.site = {
      id: `${options.hostname},${this.#random.guid()},${this.#random.guid()}`,
      hostname: options.hostname,
      path,
      name,
      webUrl: `https://${options.hostname}${path === "/" ? "" : encodePath(splitPath(path))}`,
      created,
    };
    const libraries = options.libraries.length > 0
      ? options.libraries
      : [{ name: "Documents", urlSegment: "Shared Documents", isDefault: true }];
    const hasDefault = libraries.some((library) => library.isDefault);
    this.drives = libraries.map((library, index) => {
      const id = this.#random.driveId();
      const root = this.#newItem({ driveId: id, name: "root", parent: undefined, time: created });
      root.folder = { children: new Map(), sorted: undefined };
      return {
        id,
        name: library.name,
        urlSegment: library.urlSegment,
        isDefault: library.isDefault ?? (!hasDefault && index === 0),
        root,
        created,
      };
    });
  }

  /** The change log in sequence order (the delta feed is read from it). */
  get changes(): readonly SimChange[] {
    return this.#changes;
  }

  /** The sequence number of the latest change. */
  get seq(): number {
    return this.#seq;
  }

  /** Records a change of `item` (and of everything below it when `deep`). */
  touch(item: SimItem, deep = false): void {
    item.changed = ++this.#seq;
    this.#changes.push({ seq: item.changed, at: this.#now(), id: item.id });
    if (deep) { for (const child of item.folder?.children.values() ?? []) this.touch(child, true); }
  }

  #leave(item: SimItem, moved: boolean): void {
    const ancestors: string[] = [];
    for (let p = item.parent; p; p = p.parent) ancestors.push(p.id);
    const tombstone = { id: item.id, driveId: item.driveId, ancestors, moved };
    this.#changes.push({ seq: ++this.#seq, at: this.#now(), id: item.id, tombstone });
    if (!moved) {
      for (const child of item.folder?.children.values() ?? []) this.#leave(child, false);
    }
  }

  /** True when `ancestorId` is a folder above `item`. */
  isBelow(item: SimItem, ancestorId: string): boolean {
    for (let p = item.parent; p; p = p.parent) if (p.id === ancestorId) return true;
    return false;
  }

  /** Moves and/or renames the item at `from` to `to` (paths in the library); returns its id. */
  moveItem(from: string, to: string, library?: string): string {
    const drive = this.driveBySegment(library);
    const item = this.resolve(drive.root, splitPath(from));
    if (item === undefined || item.parent === undefined) {
      throw new RangeError(`Cannot move "${from}": it does not exist`);
    }
    const segments = splitPath(to);
    const name = segments.pop();
    if (name === undefined) throw new RangeError(`Cannot move "${from}": the target path is empty`);
    const parent = this.#ensureFolder(drive, segments);
    if (parent === item || this.isBelow(parent, item.id)) {
      throw new RangeError(`Cannot move "${from}" into itself`);
    }
    if (parent.folder!.children.has(nameKey(name))) {
      throw new RangeError(`Cannot move "${from}" to "${to}": that name is taken`);
    }
    this.#leave(item, true);
    const old = item.parent.folder!;
    old.children.delete(item.key);
    old.sorted = undefined;
    item.parent = parent;
    item.name = name;
    item.key = nameKey(name);
    item.version++;
    // A native move keeps createdDateTime and lastModifiedDateTime (quirks §1, pnp/pnpjs#2382).
    this.#attach(parent, item);
    this.touch(item, this.movesReportDescendants);
    return item.id;
  }

  /**
   * Copies the file at `from` to `to` ("Copy to"): a new item with the same content that keeps the
   * source's `createdDateTime` and `lastModifiedDateTime` (quirks §1, pnp/pnpcore#959).
   */
  copyItem(from: string, to: string, library?: string): string {
    const drive = this.driveBySegment(library);
    const item = this.resolve(drive.root, splitPath(from));
    if (item?.file === undefined) throw new RangeError(`Cannot copy "${from}": it is not a file`);
    const segments = splitPath(to);
    const name = segments.pop();
    if (name === undefined) throw new RangeError(`Cannot copy "${from}": the target path is empty`);
    const parent = this.#ensureFolder(drive, segments);
    if (parent.folder!.children.has(nameKey(name))) {
      throw new RangeError(`Cannot copy "${from}" to "${to}": that name is taken`);
    }
    const copy = this.#newItem({ driveId: drive.id, name, parent, time: item.created });
    copy.modified = item.modified;
    copy.file = { ...item.file };
    this.#attach(parent, copy);
    return copy.id;
  }

  /**
   * Edits a column (metadata) of the item at `path`: a new eTag and Modified time, the same cTag,
   * size, hash and bytes (quirks §9).
   */
  editMetadata(path: string, library?: string): string {
    const item = this.resolve(this.driveBySegment(library).root, splitPath(path));
    if (item?.parent === undefined) {
      throw new RangeError(`Cannot edit "${path}": it does not exist`);
    }
    item.version++;
    item.modified = wholeSeconds(this.#now());
    this.touch(item);
    return item.id;
  }

  /** The site's default library (answers `/sites/{id}/drive`). */
  get defaultDrive(): SimDrive {
    return this.drives.find((drive) => drive.isDefault) ?? this.drives[0]!;
  }

  /** The drive with this id (case-sensitive), if any. */
  driveById(id: string): SimDrive | undefined {
    return this.drives.find((drive) => drive.id === id);
  }

  /** The drive whose URL segment is `segment` (case-insensitive), or the default one. */
  driveBySegment(segment: string | undefined): SimDrive {
    if (segment === undefined) return this.defaultDrive;
    const drive = this.drives.find((d) => nameKey(d.urlSegment) === nameKey(segment));
    if (drive === undefined) {
      const known = this.drives.map((d) => `"${d.urlSegment}"`).join(", ");
      throw new RangeError(`Cannot find library "${segment}": the site has ${known}`);
    }
    return drive;
  }

  /** The item with this id in `driveId`, if any. */
  item(driveId: string, itemId: string): SimItem | undefined {
    const item = this.#items.get(itemId);
    return item?.driveId === driveId ? item : undefined;
  }

  /** Follows `segments` (already decoded) from `from`, case-insensitively. */
  resolve(from: SimItem, segments: readonly string[]): SimItem | undefined {
    let current: SimItem | undefined = from;
    for (const segment of segments) {
      current = current?.folder?.children.get(nameKey(segment));
      if (current === undefined) return undefined;
    }
    return current;
  }

  /** Names from the drive root to `item` (empty for the root). */
  pathOf(item: SimItem): string[] {
    const names: string[] = [];
    for (let current: SimItem | undefined = item; current?.parent; current = current.parent) {
      names.unshift(current.name);
    }
    return names;
  }

  /** Children of `folder` in listing order. */
  children(folder: SimItem): readonly SimItem[] {
    const data = folder.folder;
    if (data === undefined) return [];
    data.sorted ??= [...data.children.values()].sort(compareItems);
    return data.sorted;
  }

  /** Total size of the files under `item` (folders report it like SharePoint does). */
  sizeOf(item: SimItem): number {
    if (item.file) return item.file.size;
    let total = 0;
    for (const child of item.folder?.children.values() ?? []) total += this.sizeOf(child);
    return total;
  }

  /** Sets or clears the quirks of the file at `path` in place (no change is recorded). */
  setFileQuirks(path: string, quirks: SimFileQuirks | undefined, library?: string): void {
    const drive = this.driveBySegment(library);
    const item = this.resolve(drive.root, splitPath(path));
    if (item?.file === undefined) throw new RangeError(`Cannot find file "${path}"`);
    if (quirks === undefined) delete item.file.quirks;
    else item.file.quirks = quirks;
  }

  /** Adds or replaces a file (replacing keeps its id and bumps its version); returns the id. */
  addFile(spec: SimFileSpec): string {
    const drive = this.driveBySegment(spec.library);
    const segments = splitPath(spec.path);
    const name = segments.pop();
    if (name === undefined) {
      throw new RangeError(`Cannot add file "${spec.path}": the path is empty`);
    }
    const parent = this.#ensureFolder(drive, segments);
    const source = contentOf(spec);
    const growBy = spec.rewrite?.growBy ?? 12;
    if (!Number.isSafeInteger(growBy) || growBy < 0) {
      throw new RangeError(
        `Cannot add file "${spec.path}": rewrite.growBy must be a whole number >= 0`,
      );
    }
    const now = wholeSeconds(this.#now());
    const modified = spec.lastModified ? wholeSeconds(spec.lastModified.getTime()) : now;
    const file: SimFileData = {
      source,
      size: source.kind === "bytes" ? source.bytes.length : source.size,
      mimeType: mimeTypeOf(name),
      hashed: !spec.noHash,
      ...(spec.rewrite ? { served: rewrittenSource(source, growBy) } : {}),
      ...(spec.quirks ? { quirks: spec.quirks } : {}),
    };
    if (file.size >= EAGER_HASH_BYTES) fileHash(file);
    const existing = parent.folder!.children.get(nameKey(name));
    if (existing?.folder) {
      throw new RangeError(`Cannot add file "${spec.path}": a folder has that name`);
    }
    if (existing) {
      existing.file = file;
      existing.version++;
      existing.contentVersion++;
      existing.modified = modified;
      if (spec.created) existing.created = wholeSeconds(spec.created.getTime());
      this.touch(existing);
      return existing.id;
    }
    const created = spec.created ? wholeSeconds(spec.created.getTime()) : modified;
    const item = this.#newItem({ driveId: drive.id, name, parent, time: created });
    item.modified = modified;
    item.file = file;
    this.#attach(parent, item);
    return item.id;
  }

  /** Adds a folder and its missing parents; returns the folder's id. */
  addFolder(path: string, library?: string): string {
    return this.#ensureFolder(this.driveBySegment(library), splitPath(path)).id;
  }

  /** Deletes the item at `path` (and everything below it); false when absent. */
  removeItem(path: string, library?: string): boolean {
    const drive = this.driveBySegment(library);
    const item = this.resolve(drive.root, splitPath(path));
    if (item === undefined || item.parent === undefined) return false;
    const siblings = item.parent.folder!;
    siblings.children.delete(item.key);
    siblings.sorted = undefined;
    this.#leave(item, false);
    this.#forget(item);
    return true;
  }

  #forget(item: SimItem): void {
    this.#items.delete(item.id);
    for (const child of item.folder?.children.values() ?? []) this.#forget(child);
  }

  #ensureFolder(drive: SimDrive, segments: readonly string[]): SimItem {
    let current = drive.root;
    for (const segment of segments) {
      const existing = current.folder!.children.get(nameKey(segment));
      if (existing?.file) {
        throw new RangeError(`Cannot add folder "${segment}": a file has that name`);
      }
      if (existing) {
        current = existing;
        continue;
      }
      const folder = this.#newItem({
        driveId: drive.id,
        name: segment,
        parent: current,
        time: wholeSeconds(this.#now()),
      });
      folder.folder = { children: new Map(), sorted: undefined };
      this.#attach(current, folder);
      current = folder;
    }
    return current;
  }

  #attach(parent: SimItem, item: SimItem): void {
    parent.folder!.children.set(item.key, item);
    parent.folder!.sorted = undefined;
  }

  #newItem(
    init: { driveId: string; name: string; parent: SimItem | undefined; time: number },
  ): SimItem {
    const item: SimItem = {
      id: this.#random.itemId(),
      driveId: init.driveId,
      name: init.name,
      key: nameKey(init.name),
      parent: init.parent,
      uniqueId: this.#random.guid(),
      version: 1,
      contentVersion: 1,
      changed: 0,
      created: init.time,
      modified: init.time,
    };
    this.#items.set(item.id, item);
    this.touch(item);
    return item;
  }
}

function contentOf(spec: SimFileSpec): ContentSource {
  if (spec.sourcePath !== undefined) {
    return { kind: "file", path: spec.sourcePath, size: Deno.statSync(spec.sourcePath).size };
  }
  if (spec.content !== undefined) return { kind: "bytes", bytes: spec.content };
  const size = spec.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`Cannot add file "${spec.path}": size must be a whole number >= 0`);
  }
  const head = formatSignature(spec.path);
  return {
    kind: "generated",
    seed: spec.seed ?? hashString(spec.path),
    size,
    ...(head === undefined ? {} : { head }),
  };
}
