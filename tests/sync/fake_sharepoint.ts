/**
 * An in-memory `SharePointClient` for SyncJob tests: lists seeded files, writes real files on
 * download (create-new, removed again on any failure), and can be scripted to fail.
 * @module
 */
import type { GraphUsage } from "../../src/graph/graph_api.ts";
import type {
  ChildEntry,
  DownloadOptions,
  DownloadResult,
  FolderChange,
  ListChangesOptions,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "../../src/graph/sharepoint_client.ts";
import { AbortedError, GraphError } from "../../src/errors.ts";

/** A seeded file. */
export interface FakeFileSpec {
  name: string;
  content?: string | Uint8Array;
  lastModified: Date;
}

/** Called before a download writes anything; may throw, wait, or write `destination`'s final name. */
export type DownloadHook = (
  file: RemoteFile,
  destination: string,
  signal?: AbortSignal,
) => Promise<void>;

const FOLDER: RemoteFolder = {
  siteId: "contoso.sharepoint.com,1,2",
  driveId: "b!drive",
  driveName: "Documents",
  driveUrlSegment: "Shared Documents",
  itemId: "folder-1",
  pathInDrive: "Reports",
  webUrl: "https://contoso.sharepoint.com/sites/Finance/Shared%20Documents/Reports",
};

export class FakeSharePoint implements SharePointClient {
  #files: { remote: RemoteFile; content: Uint8Array }[] = [];
  #faults = new Map<string, Error[]>();
  /** Every call, in order: "authenticate", "resolveFolder", "listFiles", "download:<name>". */
  readonly calls: string[] = [];
  /** Thrown by `authenticate` when set. */
  authError: Error | undefined;
  /** Thrown by the listing after `listFailAfter` files when set. */
  listError: Error | undefined;
  listFailAfter = 0;
  /** Real milliseconds each download waits between its two halves (concurrency tests). */
  downloadDelayMs = 0;
  beforeDownload: DownloadHook | undefined;
  #active = 0;
  /** Highest number of downloads in progress at once. */
  peakActive = 0;

  constructor(files: FakeFileSpec[] = []) {
    for (const spec of files) this.add(spec);
  }

  /** Seeds a file; content defaults to `content of <name>`. */
  add(spec: FakeFileSpec): void {
    const content = typeof spec.content === "string"
      ? new TextEncoder().encode(spec.content)
      : spec.content ?? new TextEncoder().encode(`content of ${spec.name}`);
    this.#files.push({
      content,
      remote: {
        id: `item-${this.#files.length + 1}`,
        driveId: FOLDER.driveId,
        name: spec.name,
        size: content.length,
        lastModified: spec.lastModified,
        created: spec.lastModified,
        quickXorHash: undefined,
        downloadUrl: `https://download.example/${this.#files.length + 1}?tempauth=secret`,
        eTag: undefined,
        cTag: undefined,
      },
    });
  }

  /** The next downloads of `name` throw these errors, one per attempt, after writing half the bytes. */
  failDownload(name: string, ...errors: Error[]): void {
    this.#faults.set(name, [...(this.#faults.get(name) ?? []), ...errors]);
  }

  /** Names downloaded (one entry per attempt). */
  get downloads(): string[] {
    return this.calls.filter((c) => c.startsWith("download:")).map((c) =>
      c.slice("download:".length)
    );
  }

  authenticate(signal?: AbortSignal): Promise<void> {
    this.calls.push("authenticate");
    if (signal?.aborted) return Promise.reject(new AbortedError("Cannot authenticate: aborted"));
    return this.authError ? Promise.reject(this.authError) : Promise.resolve();
  }

  resolveFolder(_signal?: AbortSignal): Promise<RemoteFolder> {
    this.calls.push("resolveFolder");
    return Promise.resolve(FOLDER);
  }

  listFiles(_folder: RemoteFolder, signal?: AbortSignal): AsyncIterable<RemoteFile> {
    this.calls.push("listFiles");
    return this.#stream(signal);
  }

  /** The seeded files as children of the folder (the fake has no subfolders). */
  async *listChildren(
    _folder: RemoteFolder,
    _itemId: string,
    signal?: AbortSignal,
  ): AsyncIterable<ChildEntry> {
    this.calls.push("listChildren");
    for await (const file of this.#stream(signal)) yield { kind: "file", file };
  }

  /** Every seeded file as a change, then a fixed link (the fake has no change tracking). */
  async *listChanges(
    _folder: RemoteFolder,
    options: ListChangesOptions,
  ): AsyncGenerator<FolderChange, string, undefined> {
    this.calls.push("listChanges");
    for await (const file of this.#stream(options.signal)) yield { kind: "file", file };
    return "https://graph.example/v1.0/drives/b!drive/items/folder-1/delta?token=fake";
  }

  usage(): GraphUsage {
    return { requests: 0, resourceUnits: 0, downloads: 0 };
  }

  async *#stream(signal?: AbortSignal): AsyncIterable<RemoteFile> {
    let yielded = 0;
    for (const { remote } of this.#files) {
      if (this.listError && yielded >= this.listFailAfter) throw this.listError;
      if (signal?.aborted) throw new AbortedError("Cannot list: aborted");
      await Promise.resolve();
      yielded++;
      yield remote;
    }
    if (this.listError) throw this.listError;
  }

  async downloadFile(
    file: RemoteFile,
    destination: string,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    this.calls.push(`download:${file.name}`);
    this.#active++;
    this.peakActive = Math.max(this.peakActive, this.#active);
    let handle: Deno.FsFile | undefined;
    let created = false;
    try {
      await this.beforeDownload?.(file, destination, options.signal);
      const entry = this.#files.find((f) => f.remote.id === file.id);
      if (!entry) {
        throw new GraphError(`Cannot download ${file.name}: itemNotFound`, { status: 404 });
      }
      handle = await Deno.open(
        destination,
        options.resume
          ? { write: true, create: true, truncate: true }
          : { write: true, createNew: true },
      );
      created = true;
      const half = Math.floor(entry.content.length / 2);
      await writeAll(handle, entry.content.subarray(0, half));
      await delay(this.downloadDelayMs, options.signal);
      const fault = this.#faults.get(file.name)?.shift();
      if (fault) throw fault;
      await writeAll(handle, entry.content.subarray(half));
      await handle.sync();
      handle.close();
      handle = undefined;
      return {
        bytes: entry.content.length,
        quickXorHash: "fake",
        verification: { kind: "verified", hashChecked: false },
        resumedFrom: 0,
      };
    } catch (error) {
      handle?.close();
      if (created) await Deno.remove(destination).catch(() => {});
      throw error;
    } finally {
      this.#active--;
    }
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

/** Waits `ms` on a real timer, or rejects with `AbortedError` when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError("Cannot download: aborted"));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError("Cannot download: aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
