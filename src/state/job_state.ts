/**
 * The per-job state store: one JSON file per job, one atomic writer.
 *
 * Everything a job remembers between runs (resolved ids, the delta link, files to offer again,
 * the last successful window) lives in this one file, each feature in its own section. Writes
 * are serialized in-process and atomic on disk (temporary file, fsync, rename, folder fsync), so
 * a kill at any point leaves either the old or the new state, never a torn one.
 *
 * Reading never fails a run: a missing, unreadable, corrupt or foreign file, or one that
 * describes another site/folder/Graph endpoint (`key`), gives a fresh state and a warning.
 * @module
 */
import { basename, dirname, join } from "node:path";
import { IngestError } from "../errors.ts";
import { ensureFolder } from "../folders.ts";
import { syncDir } from "../fs_sync.ts";
import { type JobState, jobStateSchema, STATE_VERSION } from "./state_wire.ts";

export type { JobState } from "./state_wire.ts";

/** What {@link JobStateStore.load} found. */
export interface LoadedState {
  state: JobState;
  /** True when nothing usable was on disk (first run, corrupt, foreign or another key). */
  fresh: boolean;
  /** Why an existing file was not used; undefined for a first run or a good file. */
  warning?: string;
}

/** Options of {@link JobStateStore}. */
export interface JobStateStoreOptions {
  /** The state file's path. */
  path: string;
  /** Identity of the job's source; see {@link stateKey}. A file with another key is ignored. */
  key: string;
  /** Milliseconds since the epoch, for `updated_at`. */
  now: () => number;
  /** The OS, default `Deno.build.os` (folder fsync is skipped on Windows). */
  os?: typeof Deno.build.os;
}

/** The state key of a job: a change of any part means the saved state describes something else. */
export function stateKey(parts: { graphBaseUrl: string; siteUrl: string; folder: string }): string {
  const site = parts.siteUrl.replace(/\/+$/, "").toLowerCase();
  return `${parts.graphBaseUrl.replace(/\/+$/, "")} ${site} ${parts.folder}`;
}

/** The settings a job's state store is derived from. */
export interface StateSettings {
  state_file: string;
  graph_base_url: string;
  sharepoint_site_url: string;
  sharepoint_folder: string;
}

/** The state store of the job `settings` describe. */
export function stateStoreFor(settings: StateSettings, now: () => number): JobStateStore {
  return new JobStateStore({
    path: settings.state_file,
    key: stateKey({
      graphBaseUrl: settings.graph_base_url,
      siteUrl: settings.sharepoint_site_url,
      folder: settings.sharepoint_folder,
    }),
    now,
  });
}

/** Longest wait for another process's state update (each one takes milliseconds). */
const STATE_LOCK_TIMEOUT_MS = 30_000;
const STATE_LOCK_POLL_MS = 15;

/**
 * Takes the lock of `<statePath>.lock` (an OS file lock: released when the holder exits or is
 * killed, never stale), waiting for another process's update to finish. The lock file is never
 * read, written or deleted: on Windows the lock is mandatory (windows-facts.md, LockFileEx).
 */
async function lockStateFile(statePath: string): Promise<AsyncDisposable> {
  const path = `${statePath}.lock`;
  // The state file lives in staging_dir: created like it, only inside an existing folder.
  await ensureFolder(dirname(path), "staging_dir");
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    const deadline = Date.now() + STATE_LOCK_TIMEOUT_MS;
    while (!(await file.tryLock(true))) {
      if (Date.now() > deadline) {
        throw new IngestError(
          `Cannot update the state file ${statePath}: another process has held ${path} for ` +
            `over ${STATE_LOCK_TIMEOUT_MS / 1000} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, STATE_LOCK_POLL_MS));
    }
  } catch (error) {
    file.close();
    throw error;
  }
  // Closing the handle releases the lock on every OS (see run_lock.ts on Wine's UnlockFile).
  return { [Symbol.asyncDispose]: () => Promise.resolve(file.close()) };
}

/**
 * The file's identity and version as the file system reports it (modification time, size,
 * inode where there is one): a write by another process (a rename over the file) changes it.
 * Undefined when the file cannot be stat'ed.
 */
async function fileStamp(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    return `${info.mtime?.getTime() ?? "?"} ${info.size} ${info.ino ?? "?"}`;
  } catch {
    return undefined;
  }
}

/** Reads and writes one job's state file. */
export class JobStateStore {
  readonly path: string;
  #key: string;
  #now: () => number;
  #os: typeof Deno.build.os;
  #current: JobState | undefined;
  /** What the file looked like when `#current` was read or written (see {@link fileStamp}). */
  #stamp: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: JobStateStoreOptions) {
    this.path = options.path;
    this.#key = options.key;
    this.#now = options.now;
    this.#os = options.os ?? Deno.build.os;
  }

  /** A state with no sections for this store's key. */
  empty(): JobState {
    return {
      version: STATE_VERSION,
      key: this.#key,
      updated_at: new Date(this.#now()).toISOString(),
    };
  }

  /** Reads the file; never throws for what is on disk (see the module doc). */
  async load(): Promise<LoadedState> {
    // Stamped before reading: a write in between makes the stamp stale, never the state.
    const stamp = await fileStamp(this.path);
    const result = await this.#read();
    this.#current = result.state;
    this.#stamp = stamp;
    return result;
  }

  /** The state as last loaded or written; loads it first when needed. */
  async current(): Promise<JobState> {
    if (this.#current === undefined) await this.load();
    return structuredClone(this.#current!);
  }

  /**
   * Applies `change` to the state on disk and writes the result atomically. Calls are
   * serialized in the process, and across processes (a forced trigger overlapping a scheduled
   * run) they hold a short lock on `<state file>.lock` while they re-read the file, apply
   * `change` and write: two processes' updates merge, neither overwrites the other's. So
   * `change` must be a modification of what it is given, not a replacement computed earlier.
   * @throws the file-system error when the state cannot be written (the old file is kept)
   */
  update(change: (state: JobState) => void): Promise<JobState> {
    const next = this.#queue.then(async () => {
      await using _lock = await lockStateFile(this.path);
      // Re-read only when another process wrote since this store last read or wrote the file.
      const stamp = await fileStamp(this.path);
      const unchanged = this.#current !== undefined && stamp !== undefined &&
        stamp === this.#stamp;
      const state = unchanged ? structuredClone(this.#current!) : (await this.#read()).state;
      change(state);
      state.version = STATE_VERSION;
      state.key = this.#key;
      state.updated_at = new Date(this.#now()).toISOString();
      await this.#write(state);
      this.#current = state;
      // Under the lock no other writer can come between the write and this stamp.
      this.#stamp = await fileStamp(this.path);
      return structuredClone(state);
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * {@link load} without awaiting, for what a process sets up before its first run (the
   * metrics counters kept here). Never throws for what is on disk.
   */
  loadSync(): LoadedState {
    let stamp: string | undefined;
    let result: LoadedState;
    try {
      const info = Deno.statSync(this.path);
      stamp = `${info.mtime?.getTime() ?? "?"} ${info.size} ${info.ino ?? "?"}`;
      result = this.#parse(Deno.readTextFileSync(this.path));
    } catch (error) {
      result = this.#unreadable(error);
    }
    this.#current = result.state;
    this.#stamp = stamp;
    return result;
  }

  async #read(): Promise<LoadedState> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      return this.#unreadable(error);
    }
    return this.#parse(text);
  }

  #unreadable(error: unknown): LoadedState {
    if (error instanceof Deno.errors.NotFound) return { state: this.empty(), fresh: true };
    return this.#fresh(`it cannot be read (${(error as Error).message})`);
  }

  #parse(text: string): LoadedState {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.#fresh("it is not valid JSON");
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (version !== STATE_VERSION) {
      return this.#fresh(`its version ${JSON.stringify(version)} is not ${STATE_VERSION}`);
    }
    const parsed = jobStateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.#fresh(`${issue?.path.join(".") || "the file"} is invalid: ${issue?.message}`);
    }
    if (parsed.data.key !== this.#key) {
      return this.#fresh("it describes another site, folder or Graph endpoint");
    }
    return { state: parsed.data, fresh: false };
  }

  #fresh(reason: string): LoadedState {
    return {
      state: this.empty(),
      fresh: true,
      warning: `Cannot use the state file ${this.path}: ${reason}; starting from a full listing`,
    };
  }

  async #write(state: JobState): Promise<void> {
    const dir = dirname(this.path);
    await ensureFolder(dir, "staging_dir");
    const temp = join(dir, `${basename(this.path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
    try {
      const file = await Deno.open(temp, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(JSON.stringify(state, null, 2) + "\n"));
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temp, this.path);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
    await syncDir(dir, this.#os);
  }
}
