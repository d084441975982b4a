/**
 * The cross-process run lock: one run of the job per host at a time, whether it was started by
 * the `run` daemon, `run-once` from Task Scheduler/cron, or an operator's `trigger`.
 *
 * The lock is an OS file lock (`FsFile.tryLock(true)`: `flock` on Linux/macOS, `LockFileEx` on
 * Windows) on a dedicated file that is kept open for the whole run. The OS drops it when the
 * holder exits or is killed (`kill -9`, Task Scheduler "End"), so there is never a stale lock to
 * clean up by hand. The lock file is never deleted, truncated, read or written: on Windows the
 * lock is mandatory, so another process could not read it anyway. Who holds the lock is written
 * to a separate `<lock_file>.info` JSON file after the lock is taken.
 *
 * Locks are per open file, so a second `acquire` in the same process fails like one from another
 * process; the scheduler shares one held lock between its concurrent runs.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { dirname } from "node:path";
import { type Clock, systemClock } from "../clock.ts";
import { AbortedError, IngestError, LockedError } from "../errors.ts";
import { ensureFolder, fsReason } from "../folders.ts";
import { lockInfoSchema } from "./lock_wire.ts";

const log = getLogger(["ingest", "scheduler"]);

/** Who holds the lock, as written to `<lock_file>.info`. */
export interface RunLockInfo {
  pid: number;
  /** ISO 8601 UTC instant the lock was taken. */
  started_at: string;
  hostname: string;
  /** The command holding it: "run", "run-once", "trigger". */
  command: string;
}

/** A held run lock. Release it (or `await using` it) when the run ends. */
export interface RunLock extends AsyncDisposable {
  /** The lock file. */
  readonly path: string;
  /** The holder information written for this lock. */
  readonly info: RunLockInfo;
  /** Closes the lock file, which releases the lock; safe to call twice. */
  release(): Promise<void>;
}

/** How one acquisition behaves when another holder has the lock. */
export interface LockRequest {
  /** true: poll until the lock is free (or `signal` aborts); false: throw {@link LockedError}. */
  wait: boolean;
  signal?: AbortSignal | undefined;
}

/** Takes the run lock; the scheduler's seam for tests. */
export type LockFactory = (request: LockRequest) => Promise<RunLock>;

/** Options of {@link acquireRunLock} and {@link fileLockFactory}. */
export interface RunLockOptions {
  /** The lock file; its folder is created when the folder's parent exists. */
  path: string;
  /** The settings key that names the lock's folder, for messages. Default "lock_file". */
  key?: string;
  /** Recorded in the holder info, e.g. "run-once". */
  command: string;
  clock?: Clock;
  /** Poll period while waiting. Default 250 ms. */
  pollMs?: number;
  /** Holder pid recorded in the info file. Default `Deno.pid`. */
  pid?: number;
  /** Holder host recorded in the info file. Default `Deno.hostname()`. */
  hostname?: string;
}

/** Path of the holder-info file next to a lock file. */
export function lockInfoPath(lockPath: string): string {
  return `${lockPath}.info`;
}

function localHostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Reads `<lock_file>.info`; undefined when missing or unreadable. */
export async function readLockInfo(lockPath: string): Promise<RunLockInfo | undefined> {
  try {
    const parsed = lockInfoSchema.safeParse(
      JSON.parse(await Deno.readTextFile(lockInfoPath(lockPath))),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** "pid 1234 since 2026-11-26T10:00:00Z, run-once" (with " on <host>" when it is another host). */
export function describeHolder(info: RunLockInfo | undefined): string {
  if (!info) return "holder unknown";
  const host = info.hostname !== localHostname() ? ` on ${info.hostname}` : "";
  return `pid ${info.pid}${host} since ${info.started_at}, ${info.command}`;
}

async function lockedError(path: string, cause?: unknown): Promise<LockedError> {
  const holder = describeHolder(await readLockInfo(path));
  return new LockedError(`Cannot start run: another run holds ${path} (${holder})`, { cause });
}

async function writeInfo(path: string, info: RunLockInfo): Promise<void> {
  const target = lockInfoPath(path);
  const temp = `${target}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, JSON.stringify(info) + "\n");
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    log.warn("Cannot write lock holder info {path}: {error}", { path: target, error });
  }
}

class HeldLock implements RunLock {
  readonly path: string;
  readonly info: RunLockInfo;
  #file: Deno.FsFile | undefined;

  constructor(path: string, info: RunLockInfo, file: Deno.FsFile) {
    this.path = path;
    this.info = info;
    this.#file = file;
  }

  /**
   * Closing the file releases the lock on every OS (`flock` and `LockFileEx` locks end with the
   * handle). No `unlock()` first: it adds nothing, and Wine's `UnlockFile` reports a spurious
   * error 33 after a successful unlock.
   */
  release(): Promise<void> {
    const file = this.#file;
    if (!file) return Promise.resolve();
    this.#file = undefined;
    file.close();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

async function waitForLock(
  file: Deno.FsFile,
  options: RunLockOptions & LockRequest,
): Promise<void> {
  const clock = options.clock ?? systemClock;
  log.info("Waiting for the run lock {path}: another run holds it ({holder})", {
    path: options.path,
    holder: describeHolder(await readLockInfo(options.path)),
  });
  do {
    await clock.sleep(options.pollMs ?? 250, options.signal);
  } while (!(await file.tryLock(true)));
}

/**
 * Takes the run lock on `options.path` without blocking the event loop.
 * @throws {LockedError} when another run holds it and `wait` is false; the message names the
 *   holder's pid, start time and command
 * @throws {AbortedError} when `signal` aborts while waiting
 */
export async function acquireRunLock(options: RunLockOptions & LockRequest): Promise<RunLock> {
  if (options.signal?.aborted) {
    throw new AbortedError("Cannot take the run lock: the run was aborted", {
      cause: options.signal.reason,
    });
  }
  const key = options.key ?? "lock_file";
  await ensureFolder(dirname(options.path), key);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(options.path, { read: true, write: true, create: true });
  } catch (error) {
    throw new IngestError(`Cannot take the run lock ${options.path} (${key}): ${fsReason(error)}`);
  }
  try {
    if (!(await file.tryLock(true))) {
      if (!options.wait) throw await lockedError(options.path);
      await waitForLock(file, options);
    }
  } catch (error) {
    file.close();
    throw error;
  }
  const info: RunLockInfo = {
    pid: options.pid ?? Deno.pid,
    started_at: new Date((options.clock ?? systemClock).now()).toISOString().replace(
      /\.\d{3}Z$/,
      "Z",
    ),
    hostname: options.hostname ?? localHostname(),
    command: options.command,
  };
  await writeInfo(options.path, info);
  return new HeldLock(options.path, info, file);
}

/** What {@link probeRunLock} found. */
export type LockProbe =
  | { kind: "missing" }
  | { kind: "free" }
  | { kind: "held"; holder: RunLockInfo | undefined };

/**
 * Whether a run holds the lock now, for `check`: opens an existing lock file read-only, tries
 * the lock and lets it go; creates, writes and deletes nothing.
 */
export async function probeRunLock(path: string): Promise<LockProbe> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    // A missing folder (or a file in its place) is the folders check's to report.
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return { kind: "missing" };
    }
    throw new IngestError(`Cannot open the run lock ${path}: ${fsReason(error)}`);
  }
  try {
    if (await file.tryLock(true)) return { kind: "free" };
    return { kind: "held", holder: await readLockInfo(path) };
  } finally {
    file.close();
  }
}

/** A {@link LockFactory} on a lock file. */
export function fileLockFactory(options: RunLockOptions): LockFactory {
  return (request) => acquireRunLock({ ...options, ...request });
}
