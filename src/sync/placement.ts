/**
 * The staging folder and the no-overwrite move into `ingestion_dir`.
 *
 * Files are written to `<staging_dir>/<job>.<uuid>.part` (or, for large files that can resume
 * across runs, `<job>.<digest of the item id>.partial`), verified and fsynced by the download,
 * dated with the server's modification time, then hard-linked under their final name into
 * `ingestion_dir`. Several jobs may share one staging folder: each only ever removes its own
 * `<job>.` files (job keys hold no dot, so the prefix is unambiguous). `link` fails when the name exists, so two racing runs can never both place a
 * name and an existing file is never replaced; the file watcher only ever sees complete files.
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, join, resolve, sep } from "node:path";
import { getLogger } from "@logtape/logtape";
import { syncDir } from "../fs_sync.ts";
import { ConfigError, IngestError, UnsafeNameError } from "../errors.ts";
import { ensureFolder, folderState } from "../folders.ts";
import { exceedsPortablePath, MAX_PORTABLE_PATH, unsafeNameReason } from "./safe_names.ts";

const log = getLogger(["ingest", "sync"]);

/** Suffix of temporary files in the staging folder. */
export const PART_SUFFIX = ".part";
/** Suffix of resumable partial downloads in the staging folder. */
export const PARTIAL_SUFFIX = ".partial";

/** The job whose files carry no prefix in older versions (`<uuid>.part`). */
const DEFAULT_JOB = "default";

/** Attempts of a move Windows denies before the folder counts as one that cannot take files. */
const DENIED_ATTEMPTS = 5;
const DENIED_RETRY_MS = 200;

/**
 * `ingestion_dir` (or `staging_dir`) cannot take files: a run-wide failure (exit 1), raised at
 * the first placement or before any download, never retried per file.
 */
export class IngestionDirError extends IngestError {
  override name = "IngestionDirError";
}

/** What a placement did: the file is now in `ingestion_dir`, or a file of that name already was. */
export type PlaceOutcome = "placed" | "exists";

/** Options of {@link StagingArea}. */
export interface StagingAreaOptions {
  stagingDir: string;
  ingestionDir: string;
  /** The job key: prefix of every file this area names (default "default"). */
  job?: string;
  /** New temporary names, default `crypto.randomUUID`. */
  newId?: () => string;
  /** Hard-link primitive, default `Deno.link` (injected to test the rename fallback). */
  link?: (from: string, to: string) => void | Promise<void>;
  /** `stat` used for the same-volume check, default `Deno.stat` (injected to test it). */
  stat?: (path: string) => Promise<Deno.FileInfo>;
  /** Whose file name rules apply (a `Deno.build.os` value), default this host's. */
  os?: string;
  /**
   * Names may be relative paths with `/` (`include_subfolders` with `subfolder_layout =
   * "mirror"`): each segment must be safe, folders are created as needed, and nothing is ever
   * written outside `ingestion_dir`. Default false: a name is one path component.
   */
  nested?: boolean;
}

function warnIfLong(name: string, path: string): void {
  if (!exceedsPortablePath(path)) return;
  log.warn(
    "Placed {file} under a path of {length} characters: many Windows programs, file watchers " +
      "among them, cannot open paths longer than {max}",
    { file: name, path, length: path.length, max: MAX_PORTABLE_PATH },
  );
}

/** Owns `staging_dir` and the placement of finished files into `ingestion_dir`. */
export class StagingArea {
  readonly stagingDir: string;
  readonly ingestionDir: string;
  readonly job: string;
  /** Whose file name rules apply. */
  readonly os: string;
  /** Names may hold `/` (see {@link StagingAreaOptions.nested}). */
  readonly nested: boolean;
  /** Folders below `ingestion_dir` that received names since the last {@link flush}. */
  #unsyncedDirs = new Set<string>();
  /** `ingestion_dir` with links resolved, once per run (nested placement checks against it). */
  #realRoot: Promise<string> | undefined;
  #newId: () => string;
  #link: (from: string, to: string) => void | Promise<void>;
  #stat: (path: string) => Promise<Deno.FileInfo>;
  #issued = new Set<string>();
  /**
   * Folded names in `ingestion_dir` when {@link isPending} was first asked (null: too many or
   * unreadable, ask the file system per name). Names placed later by a racing run are caught by
   * the no-overwrite link.
   */
  #present: Set<string> | null | undefined;
  /** Resumable partials handed out: removed once placed, kept by {@link removeOwn}. */
  #partials = new Set<string>();
  /** Names were placed since the last folder fsync. */
  #unsynced = false;

  constructor(options: StagingAreaOptions) {
    this.stagingDir = resolve(options.stagingDir);
    this.ingestionDir = resolve(options.ingestionDir);
    this.job = options.job ?? DEFAULT_JOB;
    this.os = options.os ?? Deno.build.os;
    this.nested = options.nested ?? false;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    // Metadata calls are synchronous: on a local disk they take microseconds, and the async
    // variants' thread-pool round trips cost more than the calls (measured: bench/README.md).
    this.#link = options.link ?? Deno.linkSync;
    this.#stat = options.stat ?? Deno.stat;
  }

  /**
   * Creates both folders (each only when its parent exists, see `folders.ts`), checks they are distinct and on one volume, and removes this job's
   * leftovers of a killed run except the resumable partials in `keep`. Returns the names removed.
   * @throws {ConfigError} when the folders are the same or on different volumes.
   * @throws {ConfigError} naming the key when a folder's parent is missing.
   * @throws {IngestError} when a folder cannot be created.
   */
  async prepare(
    options: { removeLeftovers?: boolean; keep?: ReadonlySet<string> } = {},
  ): Promise<string[]> {
    await ensureFolder(this.ingestionDir, "ingestion_dir");
    await ensureFolder(this.stagingDir, "staging_dir");
    await this.#checkLayout();
    return options.removeLeftovers === false ? [] : await this.removeLeftovers(options.keep);
  }

  /**
   * Removes the temporary files this area handed out that still exist (after an abort).
   * Resumable partials stay: the next attempt continues them.
   */
  async removeOwn(): Promise<void> {
    for (const path of this.#issued) {
      await Deno.remove(path).catch(() => {});
    }
    this.#issued.clear();
  }

  /** True when `name` (in the staging folder) is a temporary file or partial of this job. */
  isOwnLeftover(name: string): boolean {
    const prefix = `${this.job}.`;
    if (name.startsWith(prefix)) {
      const rest = name.slice(prefix.length);
      return /^[^.]+\.(part|partial)$/.test(rest);
    }
    return this.job === DEFAULT_JOB && /^[^.]+\.part$/.test(name);
  }

  /**
   * Removes this job's `<job>.*.part` and `<job>.*.partial` files (and, for the default job,
   * legacy `<uuid>.part` files) except the names in `keep`; returns the names removed. Other
   * jobs' files and anything else in the folder are left alone.
   */
  async removeLeftovers(keep: ReadonlySet<string> = new Set()): Promise<string[]> {
    const removed: string[] = [];
    for await (const entry of Deno.readDir(this.stagingDir)) {
      if (!entry.isFile || !this.isOwnLeftover(entry.name) || keep.has(entry.name)) continue;
      try {
        await Deno.remove(join(this.stagingDir, entry.name));
        removed.push(entry.name);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        log.warn("Cannot remove leftover temporary file {file}: {error}", {
          file: entry.name,
          error: (error as Error).message,
        });
      }
    }
    if (removed.length > 0) {
      log.info("Removed {count} leftover temporary files from {dir}", {
        count: removed.length,
        dir: this.stagingDir,
      });
    }
    return removed;
  }

  /** A fresh temporary path `<staging_dir>/<job>.<uuid>.part` (not created). */
  tempPath(): string {
    const path = join(this.stagingDir, `${this.job}.${this.#newId()}${PART_SUFFIX}`);
    this.#issued.add(path);
    return path;
  }

  /** The name of the resumable partial of an item: `<job>.<digest of drive and item id>.partial`. */
  partialName(driveId: string, itemId: string): string {
    const digest = createHash("sha256").update(`${driveId}/${itemId}`).digest("hex").slice(0, 32);
    return `${this.job}.${digest}${PARTIAL_SUFFIX}`;
  }

  /** The path of the partial `name` (see {@link partialName}); removed once placed. */
  partialPath(name: string): string {
    const path = join(this.stagingDir, name);
    this.#partials.add(path);
    return path;
  }

  /**
   * The path `name` gets in `ingestion_dir`.
   * @throws {UnsafeNameError} when `name` is not a safe single path component.
   */
  finalPath(name: string): string {
    if (this.nested && name.includes("/")) return this.#nestedPath(name);
    const reason = unsafeNameReason(name, this.os);
    const path = join(this.ingestionDir, name);
    if (
      reason !== undefined || resolve(path, "..") !== this.ingestionDir || basename(path) !== name
    ) {
      throw new UnsafeNameError(`Cannot place ${JSON.stringify(name)}: ${reason ?? "unsafe path"}`);
    }
    return path;
  }

  /**
   * The path of a relative name `a/b/c.csv` in `ingestion_dir`, every segment checked.
   * @throws {UnsafeNameError} when a segment is unsafe or the path would leave `ingestion_dir`.
   */
  #nestedPath(name: string): string {
    const segments = name.split("/");
    for (const segment of segments) {
      const reason = unsafeNameReason(segment, this.os);
      if (reason !== undefined) {
        throw new UnsafeNameError(
          `Cannot place ${JSON.stringify(name)}: segment ${JSON.stringify(segment)}: ${reason}`,
        );
      }
    }
    const path = join(this.ingestionDir, ...segments);
    if (!path.startsWith(this.ingestionDir + sep) || basename(path) !== segments.at(-1)) {
      throw new UnsafeNameError(`Cannot place ${JSON.stringify(name)}: unsafe path`);
    }
    return path;
  }

  /**
   * Creates the folders of a nested `final` path and checks that, links resolved, it is still
   * inside `ingestion_dir` (a folder there could be a link to elsewhere).
   * @throws {UnsafeNameError} when it is not.
   */
  async #ensureParent(name: string, final: string): Promise<void> {
    const parent = dirname(final);
    if (parent === this.ingestionDir) return;
    // Check the part that exists before creating anything, and the whole after.
    let existing = parent;
    while (existing !== this.ingestionDir && !existsFollowed(existing)) {
      existing = dirname(existing);
    }
    await this.#checkInside(name, existing);
    // The folder is there and inside: nothing to create, nothing more to check.
    if (existing === parent) {
      this.#unsyncedDirs.add(parent);
      return;
    }
    try {
      await Deno.mkdir(parent, { recursive: true });
    } catch (error) {
      throw new IngestError(
        `Cannot create the folder of ${JSON.stringify(name)} in ingestion_dir: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    await this.#checkInside(name, parent);
    this.#unsyncedDirs.add(parent);
  }

  /** @throws {UnsafeNameError} when `dir`, links resolved, is not inside `ingestion_dir`. */
  async #checkInside(name: string, dir: string): Promise<void> {
    this.#realRoot ??= Deno.realPath(this.ingestionDir);
    const [real, root] = await Promise.all([Deno.realPath(dir), this.#realRoot]);
    if (real !== root && !real.startsWith(root + sep)) {
      throw new UnsafeNameError(
        `Cannot place ${JSON.stringify(name)}: its folder leads outside ingestion_dir (${real})`,
      );
    }
  }

  /** True when something named `name` is already in `ingestion_dir` (not yet consumed). */
  isPending(name: string): boolean {
    const path = this.finalPath(name);
    if (this.nested && name.includes("/")) return existsBelow(path);
    this.#present ??= presentNames(this.ingestionDir);
    // A name missing from the snapshot cannot exist (no failing lstat, which costs an exception
    // per candidate); a hit is confirmed with the file system's own name rules.
    if (this.#present !== null && !this.#present.has(foldName(name))) return false;
    return exists(path);
  }

  /**
   * Dates `temp` with `lastModified`, then moves it to `ingestion_dir/name` without ever
   * replacing an existing entry. On "exists", `temp` is removed and nothing else changes.
   * @throws {UnsafeNameError} for an unsafe name; filesystem errors as thrown by Deno.
   */
  async place(temp: string, name: string, lastModified: Date): Promise<PlaceOutcome> {
    const final = this.finalPath(name);
    if (this.nested) await this.#ensureParent(name, final);
    Deno.utimeSync(temp, lastModified, lastModified);
    const outcome = await this.#moveGuarded(temp, final);
    if (outcome === "exists") this.discard(temp);
    else {
      this.#unsynced = true;
      warnIfLong(name, final);
    }
    this.#issued.delete(temp);
    this.#partials.delete(temp);
    return outcome;
  }

  /**
   * fsyncs `ingestion_dir` once for every name placed since the last call, so the names survive
   * a power cut (each file's bytes were already synced before it was placed). A name lost to a
   * crash before this call is downloaded again by the next run: it was never ingested.
   */
  async flush(): Promise<void> {
    if (!this.#unsynced) return;
    this.#unsynced = false;
    // Deepest first, so a created folder's own name is synced by its parent after it.
    const dirs = [...this.#unsyncedDirs].sort((a, b) => b.length - a.length);
    this.#unsyncedDirs.clear();
    for (const dir of dirs) await syncParents(dir, this.ingestionDir);
    await syncDir(this.ingestionDir);
  }

  /** Removes `temp` if it is still there (best effort); a placed file's temp is already gone. */
  discard(temp: string): void {
    if (!this.#issued.has(temp) && !this.#partials.has(temp)) return;
    this.#issued.delete(temp);
    this.#partials.delete(temp);
    try {
      Deno.removeSync(temp);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      log.warn("Cannot remove temporary file {file}: {error}", {
        file: basename(temp),
        error: (error as Error).message,
      });
    }
  }

  /**
   * {@link #moveNoOverwrite}, with a folder that cannot take files turned into one run-wide
   * {@link IngestionDirError}: retrying the download cannot fix it. On Windows, antivirus and
   * indexers briefly hold new files (windows-facts.md, "Antivirus/indexers"), so a denied move
   * is retried a few times there before it counts as the folder's.
   */
  async #moveGuarded(temp: string, final: string): Promise<PlaceOutcome> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#moveNoOverwrite(temp, final);
      } catch (error) {
        if (error instanceof Deno.errors.PermissionDenied) {
          if (this.os === "windows" && attempt < DENIED_ATTEMPTS) {
            await new Promise((resolve) => setTimeout(resolve, DENIED_RETRY_MS));
            continue;
          }
          throw new IngestionDirError(
            `Cannot place files in ingestion_dir ${this.ingestionDir}: permission denied ` +
              "(give the account running ingest write access to the folder)",
          );
        }
        if (error instanceof Deno.errors.NotFound && !exists(this.ingestionDir)) {
          throw new IngestionDirError(
            `Cannot place files in ingestion_dir ${this.ingestionDir}: the folder no longer ` +
              "exists (removed, or its share unmounted)",
          );
        }
        throw error;
      }
    }
  }

  async #moveNoOverwrite(temp: string, final: string): Promise<PlaceOutcome> {
    try {
      await this.#link(temp, final);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return "exists";
      if (!linkUnsupported(error)) throw error;
      // No hard links on this volume (FAT, some network shares): check, then rename. A racing
      // writer could slip in between; rename would then replace, so this path is a fallback only.
      if (exists(final)) return "exists";
      await Deno.rename(temp, final);
      return "placed";
    }
    this.discard(temp);
    return "placed";
  }

  async #checkLayout(): Promise<void> {
    const folders = [["ingestion_dir", this.ingestionDir], ["staging_dir", this.stagingDir]];
    for (const [key, dir] of folders as [string, string][]) {
      const state = folderState(dir);
      if (state.kind === "folder" && state.writable === false) {
        throw new IngestionDirError(
          `Cannot write to ${key} ${dir}: permission denied ` +
            "(give the account running ingest write access to the folder)",
        );
      }
    }
    const [staging, ingestion] = await Promise.all([
      Deno.realPath(this.stagingDir),
      Deno.realPath(this.ingestionDir),
    ]);
    if (staging === ingestion) {
      throw new ConfigError(
        `Cannot use staging_dir ${this.stagingDir}: it is the ingestion_dir; set staging_dir to another folder on the same drive`,
      );
    }
    if (staging.startsWith(ingestion + sep)) {
      log.warn(
        "staging_dir {staging} is inside ingestion_dir: a recursive file watcher would see partial files",
        {
          staging,
        },
      );
    }
    const [a, b] = await Promise.all([this.#stat(staging), this.#stat(ingestion)]);
    if (a.dev && b.dev && a.dev !== b.dev) {
      throw new ConfigError(
        `Cannot use staging_dir ${this.stagingDir}: it is on another volume than ingestion_dir ${this.ingestionDir}; set staging_dir to a folder on the same drive`,
      );
    }
  }
}

/** Most names {@link presentNames} keeps; a larger backlog is checked name by name. */
const MAX_PRESENT_NAMES = 100_000;

/** Case- and normalization-folded, so a case-insensitive volume's hits are never missed. */
function foldName(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/**
 * The folded names in `dir` (none when it does not exist yet, as in a dry run), or null when it
 * cannot be read or holds too many entries.
 */
function presentNames(dir: string): Set<string> | null {
  const names = new Set<string>();
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (names.size >= MAX_PRESENT_NAMES) return null;
      names.add(foldName(entry.name));
    }
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? names : null;
  }
  return names;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** True when `path` exists, links followed (a dangling link does not). */
function existsFollowed(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Like {@link exists}, but a file where a folder of the path should be means "not there". */
function existsBelow(path: string): boolean {
  try {
    return exists(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}

/** fsyncs `dir` and each folder above it, up to (not including) `root`. */
async function syncParents(dir: string, root: string): Promise<void> {
  for (let current = dir; current !== root && current.startsWith(root + sep);) {
    await syncDir(current);
    current = dirname(current);
  }
}

const LINK_UNSUPPORTED_CODES = new Set([
  "EXDEV",
  "EPERM",
  "ENOTSUP",
  "EOPNOTSUPP",
  "ENOSYS",
  "EMLINK",
]);

function linkUnsupported(error: unknown): boolean {
  if (error instanceof Deno.errors.NotSupported) return true;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && LINK_UNSUPPORTED_CODES.has(code)) return true;
  // Windows: ERROR_INVALID_FUNCTION (1) / ERROR_NOT_SUPPORTED (50) on volumes without hard links.
  return Deno.build.os === "windows" &&
    /\(os error (1|50)\)/.test(String((error as Error)?.message));
}
