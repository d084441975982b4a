/**
 * The checks of `ingest check` that look only at this machine: the folders a run needs, the log
 * and metrics files, and the run lock. They write nothing.
 * @module
 */
import type { Settings } from "../../config/settings.ts";
import { describeHolder, probeRunLock } from "../../schedule/run_lock.ts";
import { describeFolderState, folderState } from "../../folders.ts";
import { dirname } from "node:path";
import { type CheckLine, failure } from "./check_line.ts";

/** The folders a run needs, what is there now and what a run would do; writes nothing. */
export function checkDirs(state: { settings: Settings }): Promise<CheckLine> {
  return Promise.resolve(foldersLine(state.settings));
}

function foldersLine(settings: Settings): CheckLine {
  const notes: string[] = [];
  const stats: Deno.FileInfo[] = [];
  for (const key of ["ingestion_dir", "staging_dir"] as const) {
    const folder = folderState(settings[key]);
    const usable = folder.kind === "folder" && folder.writable !== false;
    if (!usable && folder.kind !== "would-create") {
      return {
        ok: false,
        name: "folders",
        detail: `Cannot use ${key} ${settings[key]}: ${describeFolderState(folder)}`,
        hint: folder.kind === "folder"
          ? "give the account running ingest write access to the folder"
          : `correct ${key}, or create the folder (or mount the share) it lies in`,
      };
    }
    if (folder.kind === "would-create") notes.push(`${key} ${settings[key]} would be created`);
    else stats.push(Deno.statSync(settings[key]));
  }
  const [ingestion, staging] = stats;
  if (ingestion?.dev && staging?.dev && ingestion.dev !== staging.dev) {
    return {
      ok: false,
      name: "folders",
      detail:
        `staging_dir ${settings.staging_dir} is on another volume than ingestion_dir ${settings.ingestion_dir}`,
      hint: "set staging_dir to a folder on the same drive, so files move into place atomically",
    };
  }
  if (notes.length > 0) {
    return {
      ok: true,
      name: "folders",
      detail: `${notes.join("; ")} by the first run (check creates nothing)`,
    };
  }
  return {
    ok: true,
    name: "folders",
    detail:
      `ingestion_dir ${settings.ingestion_dir} and staging_dir ${settings.staging_dir} exist` +
      (ingestion?.dev && staging?.dev ? ", same volume" : ""),
  };
}

/** The folders of `log_file` and `metrics_file`, which a run creates when their parent exists. */
export function checkOutputFiles(state: { settings: Settings }): Promise<CheckLine> {
  const { settings } = state;
  const files = (["log_file", "metrics_file"] as const).filter((key) => settings[key]);
  if (files.length === 0) {
    return Promise.resolve({
      ok: true,
      name: "output files",
      detail: "no log_file, no metrics_file",
    });
  }
  const notes: string[] = [];
  for (const key of files) {
    const path = settings[key]!;
    const folder = folderState(dirname(path));
    if (folder.kind === "would-create") notes.push(`${key}: its folder would be created`);
    else if (folder.kind !== "folder" || folder.writable === false) {
      return Promise.resolve({
        ok: false,
        name: "output files",
        detail: `Cannot use ${key} ${path}: its folder ${dirname(path)} ${
          folder.kind === "folder" ? "cannot be written" : describeFolderState(folder)
        }`,
        hint: `correct ${key}, or create the folder it lies in`,
      });
    } else notes.push(`${key} ${path}`);
  }
  return Promise.resolve({ ok: true, name: "output files", detail: notes.join("; ") });
}

/** Whether another run holds the lock now; creates and writes nothing. */
export async function checkLock(state: { settings: Settings }): Promise<CheckLine> {
  const path = state.settings.lock_file;
  try {
    const probe = await probeRunLock(path);
    if (probe.kind === "missing") {
      return {
        ok: true,
        name: "lock",
        detail: `${path} does not exist yet; the first run creates it`,
      };
    }
    if (probe.kind === "free") return { ok: true, name: "lock", detail: `${path} is free` };
    return {
      ok: true,
      warning: true,
      name: "lock",
      detail: `a run holds ${path} now (${describeHolder(probe.holder)})`,
      hint: "a run started now would be skipped (exit 4) until that run ends",
    };
  } catch (error) {
    return failure("lock", error, "lock_file must be on a local disk the account can write");
  }
}
