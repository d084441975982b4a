/**
 * Resumable downloads across attempts and runs.
 *
 * Task Scheduler ends an overrunning task with TerminateProcess (no signal, no cleanup), so a
 * large file killed at 90 % would start over every run. Large files are therefore written to
 * `<job>.<digest>.partial` in staging_dir, and the job's state store lists each one (item id,
 * eTag, file name) before its first byte is written, so even a hard kill leaves it known. The
 * bytes already written are the partial's length (the download fdatasyncs it in slices); the
 * next attempt continues it with a Range request when the item's eTag is unchanged. Small files
 * keep using throw-away `.part` files and cost no state write.
 * @module
 */
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { JobStateStore } from "../state/job_state.ts";
import type { JobState, PartialEntry } from "../state/state_wire.ts";
import type { StagingArea } from "./placement.ts";

const log = getLogger(["ingest", "sync"]);

/** Files at least this big (listed size) are downloaded resumably. */
export const RESUMABLE_MIN_BYTES = 4 * 1024 * 1024;

/** A partial not written to for this long is abandoned. */
export const PARTIAL_MAX_AGE_MS = 7 * 86_400_000;

/** Partials being written by this process: two runs of one job never share one. */
const inUse = new Set<string>();

/** Options of {@link ResumablePartials}. */
export interface ResumablePartialsOptions {
  state: JobStateStore;
  staging: StagingArea;
  now: () => number;
  minBytes?: number;
  maxAgeMs?: number;
}

/** The names of the partials `state` lists: the startup cleanup keeps them. */
export function listedPartials(state: JobState): Set<string> {
  return new Set((state.partials ?? []).map((entry) => entry.file));
}

function sameItem(entry: PartialEntry, file: { id: string; driveId: string }): boolean {
  return entry.id === file.id && entry.drive_id === file.driveId;
}

/** Decides which downloads resume, and keeps the state's `partials` section in step. */
export class ResumablePartials {
  #state: JobStateStore;
  #staging: StagingArea;
  #now: () => number;
  #minBytes: number;
  #maxAgeMs: number;

  constructor(options: ResumablePartialsOptions) {
    this.#state = options.state;
    this.#staging = options.staging;
    this.#now = options.now;
    this.#minBytes = options.minBytes ?? RESUMABLE_MIN_BYTES;
    this.#maxAgeMs = options.maxAgeMs ?? PARTIAL_MAX_AGE_MS;
  }

  /**
   * Forgets entries whose partial is gone, and removes partials not written to for
   * {@link PARTIAL_MAX_AGE_MS} (the item was deleted, renamed away or ingested elsewhere).
   * Returns the item names abandoned. Never throws: a failure is logged.
   */
  async removeStale(): Promise<string[]> {
    const entries = (await this.#state.current()).partials ?? [];
    const dropped: PartialEntry[] = [];
    for (const entry of entries) {
      const path = join(this.#staging.stagingDir, entry.file);
      let modified: number | undefined;
      try {
        modified = (await Deno.stat(path)).mtime?.getTime();
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) dropped.push(entry);
        continue;
      }
      if (modified === undefined || this.#now() - modified < this.#maxAgeMs) continue;
      await Deno.remove(path).catch(() => {});
      log.info("Removed the partial download of {file}: not resumed for {days} days", {
        file: entry.name,
        days: Math.floor((this.#now() - modified) / 86_400_000),
      });
      dropped.push(entry);
    }
    if (dropped.length > 0) await this.#forget(dropped);
    return dropped.map((entry) => entry.name);
  }

  /**
   * The partial to download `file` into, or undefined for a throw-away temporary file (small
   * file, no eTag, already being written by another run, or the state cannot be written).
   * A listed partial of the same eTag is resumed; otherwise any old bytes are dropped and the
   * new entry is recorded before the download starts.
   */
  async begin(file: RemoteFile): Promise<string | undefined> {
    if (file.size < this.#minBytes || !file.eTag) return undefined;
    const name = this.#staging.partialName(file.driveId, file.id);
    const path = join(this.#staging.stagingDir, name);
    if (inUse.has(path)) return undefined;
    inUse.add(path);
    const entry = (await this.#state.current()).partials?.find((e) => sameItem(e, file));
    if (entry?.etag === file.eTag && entry.file === name) return this.#staging.partialPath(name);
    if (entry !== undefined) {
      log.info("Starting {file} over: it changed since its partial download began", {
        file: file.name,
      });
    }
    try {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
      const record: PartialEntry = {
        id: file.id,
        drive_id: file.driveId,
        etag: file.eTag,
        file: name,
        name: file.name,
        started_at: new Date(this.#now()).toISOString(),
      };
      await this.#state.update((state) => {
        state.partials = [...(state.partials ?? []).filter((e) => !sameItem(e, file)), record];
      });
    } catch (error) {
      inUse.delete(path);
      log.warn("Cannot keep a resumable download of {file}: {error}", {
        file: file.name,
        error: (error as Error).message,
      });
      return undefined;
    }
    return this.#staging.partialPath(name);
  }

  /**
   * Ends the download of `file` into `path`. With `keep` the partial and its entry stay for
   * the next attempt; otherwise (placed, gone, given up) both are removed.
   */
  async end(file: RemoteFile, path: string, keep: boolean): Promise<void> {
    inUse.delete(path);
    if (keep) return;
    await Deno.remove(path).catch(() => {});
    const entries = (await this.#state.current()).partials ?? [];
    const entry = entries.find((e) => sameItem(e, file));
    if (entry !== undefined) await this.#forget([entry]);
  }

  async #forget(entries: PartialEntry[]): Promise<void> {
    try {
      await this.#state.update((state) => {
        const rest = (state.partials ?? []).filter((e) =>
          !entries.some((d) => d.id === e.id && d.drive_id === e.drive_id)
        );
        if (rest.length > 0) state.partials = rest;
        else delete state.partials;
      });
    } catch (error) {
      log.warn("Cannot update the state file: {error}", { error: (error as Error).message });
    }
  }
}
