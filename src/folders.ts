/**
 * The folders the settings name (`ingestion_dir`, `staging_dir`, the folders of `lock_file`,
 * `log_file` and `metrics_file`): what `check` reports about them without writing anything, and
 * how a run creates them. A run creates a missing folder only when its parent exists, so a
 * mistyped or unmounted share path is one error naming the key, never a new local folder chain.
 * @module
 */
import { dirname } from "node:path";
import { ConfigError, IngestError, runtimeRefusal } from "./errors.ts";

/** What is at a folder path, as `check` reports it (read-only). */
export type FolderState =
  | { kind: "folder"; writable: boolean | undefined }
  | { kind: "would-create"; parent: string }
  | { kind: "missing-parent"; parent: string }
  | { kind: "not-folder" }
  | { kind: "unsupported"; reason: string }
  | { kind: "unreadable"; reason: string };

/** Plain words for a file-system error: "permission denied", "it is not a folder", … */
export function fsReason(error: unknown): string {
  const unsupported = runtimeRefusal(error);
  if (unsupported) return unsupported;
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (give the account running ingest write access)";
  }
  if (error instanceof Deno.errors.NotFound) return "it does not exist";
  if (error instanceof Deno.errors.NotADirectory) return "a file stands where a folder should be";
  if (error instanceof Deno.errors.AlreadyExists) return "a file of that name exists";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\)/, "").replace(/:? ?(mkdir|open|stat) '.*'$/, "");
}

function ownerWritable(info: Deno.FileInfo): boolean | undefined {
  if (info.mode === null || Deno.build.os === "windows") return undefined;
  const uid = processId(() => Deno.uid?.());
  if (uid === null || uid === undefined) return undefined;
  if (uid === 0) return true;
  if (info.uid === uid) return (info.mode & 0o200) !== 0;
  if ((info.mode & 0o002) !== 0) return true;
  // Group membership beyond the primary group is unknown here: do not guess "no".
  const gid = processId(() => Deno.gid?.());
  return gid !== null && gid !== undefined && info.gid === gid
    ? (info.mode & 0o020) !== 0
    : undefined;
}

/** A user or group id of this process; undefined when the runtime may not read it. */
function processId(read: () => number | null | undefined): number | null | undefined {
  try {
    return read();
  } catch {
    // Without --allow-sys=uid,gid: unknown, and the first placement tells instead.
    return undefined;
  }
}

/** What is at `path` and whether a run could create it; reads only. */
export function folderState(path: string): FolderState {
  try {
    const info = Deno.statSync(path);
    return info.isDirectory ? { kind: "folder", writable: ownerWritable(info) } : {
      kind: "not-folder",
    };
  } catch (error) {
    const unsupported = runtimeRefusal(error);
    if (unsupported) return { kind: "unsupported", reason: unsupported };
    if (!(error instanceof Deno.errors.NotFound)) {
      if (error instanceof Deno.errors.NotADirectory) return { kind: "not-folder" };
      return { kind: "unreadable", reason: fsReason(error) };
    }
  }
  const parent = dirname(path);
  try {
    return Deno.statSync(parent).isDirectory
      ? { kind: "would-create", parent }
      : { kind: "missing-parent", parent };
  } catch {
    return { kind: "missing-parent", parent };
  }
}

/** One line about `state` for `check` and for errors: "…: its parent folder X does not exist". */
export function describeFolderState(state: FolderState): string {
  switch (state.kind) {
    case "folder":
      return state.writable === false ? "the account running ingest cannot write to it" : "exists";
    case "would-create":
      return "does not exist yet; a run creates it";
    case "missing-parent":
      return `its parent folder ${state.parent} does not exist (a mistyped path or an ` +
        "unmounted share?); create it, or correct the setting";
    case "not-folder":
      return "a file stands where a folder of this path should be";
    case "unsupported":
    case "unreadable":
      return state.reason;
  }
}

/**
 * Makes sure the folder `path` of settings key `key` exists, creating it (one level) when its
 * parent exists.
 * @throws {ConfigError} naming `key` and `path` when the parent is missing, a file stands in the
 *   way, or the location is not supported
 * @throws {IngestError} naming `key` when the folder cannot be created (permissions)
 */
export async function ensureFolder(path: string, key: string): Promise<void> {
  const state = folderState(path);
  if (state.kind === "folder") return;
  if (state.kind !== "would-create") {
    throw new ConfigError(`Cannot use ${key} ${path}: ${describeFolderState(state)}`);
  }
  try {
    await Deno.mkdir(path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists && folderState(path).kind === "folder") return;
    const unsupported = runtimeRefusal(error);
    if (unsupported) throw new ConfigError(`Cannot use ${key} ${path}: ${unsupported}`);
    throw new IngestError(`Cannot create ${key} ${path}: ${fsReason(error)}`);
  }
}
