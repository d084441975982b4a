/**
 * The listing step of a run: where the folder's files come from (children paging, or Graph delta
 * from the saved link), and, once the run has recorded its outcome, what the job remembers for
 * the next run: the resolved ids, the delta link and the files to offer again.
 *
 * Correctness does not depend on the link: every file a run yields goes through the same window,
 * filter, DB, ledger and pending rules (`arrival.ts`). The one difference: a file an incremental
 * delta page reports is an arrival whatever its dates (a native move or copy, a back-dated
 * upload; real-sharepoint-quirks.md §1), which children paging cannot tell. A delta run yields what changed since the link plus the files the
 * last run could not place ({@link RetryEntry}); whenever the link cannot stand for "every file
 * that could be a candidate was already seen" (no link, `--full`, catch-up, other globs, a window
 * starting before the last one, a dead link) the folder is enumerated in full.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Settings } from "../config/settings.ts";
import type { TimeWindow } from "../db/db_service_client.ts";
import { GraphError } from "../errors.ts";
import type {
  DeltaScope,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "../graph/sharepoint_client.ts";
import type { JobState, JobStateStore } from "../state/job_state.ts";
import type { ListingState, ResolvedIds, RetryEntry } from "../state/state_wire.ts";
import { arrivalTime, latestTime, type Reported } from "./arrival.ts";
import { IdHashSet } from "./id_hash_set.ts";
import type { HeldFile, ListingCounts } from "./select.ts";

const log = getLogger(["ingest", "sync"]);

/** How a run listed the folder. */
export type ListingMode = ListingState["mode"];

/** Options of {@link FolderLister}. */
export interface FolderListerOptions {
  settings: Pick<Settings, "listing" | "sharepoint_folder" | "include" | "exclude">;
  sharepoint: SharePointClient;
  state: JobStateStore;
  now: () => number;
}

/** One run's request to list. */
export interface ListRequest {
  /** The state loaded at the start of the run. */
  saved: JobState;
  /** Ignore the saved link (`--full`, `--since`, `--lookback`). */
  full: boolean;
  window: TimeWindow;
  runId: string;
  signal?: AbortSignal;
  /**
   * True for a file the selection would skip as already ingested whatever else it holds; a delta
   * run keeps only a marker for it (see {@link ingestedRule}).
   */
  ingested?: (file: RemoteFile) => boolean;
}

/** What a run did with the files it was given, for the state. */
export interface ListingOutcome {
  /** Files that failed (download error or unusable name). */
  failed: RemoteFile[];
  /** Files skipped because a file of that name still waits in `ingestion_dir`. */
  pending: RemoteFile[];
  held: HeldFile[];
  /** Arrival times of the files above, by item id (see `arrival.ts`), kept in the retry list. */
  arrivals?: ReadonlyMap<string, number>;
}

/** The files of one run and how to remember the run. */
export interface Listing {
  mode: ListingMode;
  /** The files to select from; a delta run's are deduplicated by id. */
  files: AsyncIterable<RemoteFile>;
  /**
   * Files listed but not in {@link files} (delta only): modified before the window, or matched by
   * the request's `ingested` rule. Complete once {@link files} has been read.
   */
  counted(): ListingCounts;
  /**
   * Saves the resolved ids, the new link and the files to offer again. Call only after the run
   * has recorded its outcome, never for a dry run or an aborted run.
   */
  commit(outcome: ListingOutcome): Promise<void>;
  /**
   * Set for a file an incremental delta page reported, or the retry list offered again: such a
   * file is a candidate whatever its dates (see `arrival.ts`). Undefined for a first enumeration.
   */
  reported(file: RemoteFile): Reported | undefined;
}

/** Why a delta run lists in full, or undefined when the saved link can be used. */
export function fullListingReason(
  listing: ListingState | undefined,
  request: { full: boolean; window: TimeWindow; filterKey: string; mode: ListingMode },
): string | undefined {
  if (request.full) return "a full listing was asked for (--full, --since or --lookback)";
  if (listing?.delta_link === undefined) return "there is no saved delta link";
  if (listing.mode !== request.mode) return `the saved link is of another mode (${listing.mode})`;
  if (listing.filter_key !== request.filterKey) return "include/exclude changed";
  const since = listing.window_since === undefined ? NaN : Date.parse(listing.window_since);
  if (!(request.window.since.getTime() >= since)) {
    return "the window starts before the last run's window";
  }
  return undefined;
}

/** Lists the configured folder the way `settings.listing` asks, remembering between runs. */
export class FolderLister {
  #settings: FolderListerOptions["settings"];
  #sharepoint: SharePointClient;
  #state: JobStateStore;
  #now: () => number;

  constructor(options: FolderListerOptions) {
    this.#settings = options.settings;
    this.#sharepoint = options.sharepoint;
    this.#state = options.state;
    this.#now = options.now;
  }

  /** Resolves the folder (or reuses the saved ids) and lists it. */
  async list(request: ListRequest): Promise<Listing> {
    const cached = folderFromState(request.saved.resolved);
    const folder = cached ?? await this.#sharepoint.resolveFolder(request.signal);
    if (this.#settings.listing === "children") return this.#children(folder, cached, request);
    return await this.#delta(folder, cached !== undefined, request);
  }

  #children(folder: RemoteFolder, cached: RemoteFolder | undefined, request: ListRequest): Listing {
    const session = { folder };
    const files = this.#childrenFiles(session, cached !== undefined, request);
    const waiting = heldEmpty(request.saved.retry);
    return {
      mode: "children",
      files,
      counted: () => ({ before: 0, ingested: 0 }),
      reported: (file) => waiting.get(file.id),
      commit: (outcome) =>
        this.#commit((state) => {
          state.resolved = resolvedFrom(session.folder, state.resolved, this.#now());
          state.listing = { mode: "children" };
          // Children mode lists every file each run; only held placeholders are kept, so one
          // whose dates leave the window is still offered again.
          const retry = retryEntries(outcome).filter((entry) => entry.reason === "empty");
          if (retry.length > 0) state.retry = retry;
          else delete state.retry;
        }),
    };
  }

  async *#childrenFiles(
    session: { folder: RemoteFolder },
    cached: boolean,
    request: ListRequest,
  ): AsyncIterable<RemoteFile> {
    let yielded = 0;
    try {
      for await (const file of this.#sharepoint.listFiles(session.folder, request.signal)) {
        yielded++;
        yield file;
      }
    } catch (error) {
      if (!cached || yielded > 0 || !isNotFound(error)) throw error;
      session.folder = await this.#resolveAgain(session.folder, request);
      yield* this.#sharepoint.listFiles(session.folder, request.signal);
    }
  }

  async #delta(folder: RemoteFolder, cached: boolean, request: ListRequest): Promise<Listing> {
    const saved = request.saved.listing;
    let mode: ListingMode = saved?.mode === "root_delta" ? "root_delta" : "folder_delta";
    const filterKey = globKey(this.#settings);
    const reason = fullListingReason(saved, { ...request, filterKey, mode });
    let link = reason === undefined ? saved?.delta_link : undefined;
    this.#logStart(request, mode, reason, saved?.link_saved_at);
    const feed = new DeltaFeed(request.window, request.ingested);
    let deltaLink: string;
    for (let attempt = 0;; attempt++) {
      try {
        feed.incremental = link !== undefined;
        deltaLink = await this.#readFeed(feed, folder, mode, link, request);
        break;
      } catch (error) {
        if (attempt >= 2) throw error;
        if (mode === "folder_delta" && error instanceof GraphError && error.status === 501) {
          log.warn(
            "Graph refused delta on folder {folder} ({error}); listing the changes of the " +
              "library root, filtered to the folder, from now on",
            {
              run_id: request.runId,
              folder: this.#settings.sharepoint_folder,
              error: error.message,
            },
          );
          mode = "root_delta";
        } else if (cached && (isNotFound(error) || error instanceof FolderGone)) {
          folder = await this.#resolveAgain(folder, request);
          cached = false;
        } else if (error instanceof FolderGone) {
          throw new GraphError(
            `Cannot list the changes of "${this.#settings.sharepoint_folder}": the folder was deleted`,
            { status: 404, code: "itemNotFound" },
          );
        } else throw error;
        link = undefined;
        feed.reset();
      }
    }
    if (link !== undefined && !feed.restarted) feed.offer(request.saved.retry ?? [], folder);
    const resolved = folder;
    const finalMode = mode;
    return {
      mode,
      files: feed.files(),
      counted: () => feed.counted(),
      reported: (file) => feed.reported(file),
      commit: (outcome) =>
        this.#commit((state) => {
          state.resolved = resolvedFrom(resolved, state.resolved, this.#now());
          state.listing = {
            mode: finalMode,
            delta_link: deltaLink,
            link_saved_at: new Date(this.#now()).toISOString(),
            filter_key: filterKey,
            window_since: request.window.since.toISOString(),
          };
          const retry = retryEntries(outcome);
          if (retry.length > 0) state.retry = retry;
          else delete state.retry;
        }),
    };
  }

  async #readFeed(
    feed: DeltaFeed,
    folder: RemoteFolder,
    mode: ListingMode,
    link: string | undefined,
    request: ListRequest,
  ): Promise<string> {
    const scope: DeltaScope = mode === "root_delta" ? "root" : "folder";
    const changes = this.#sharepoint.listChanges(folder, {
      scope,
      link,
      signal: request.signal,
    });
    for (;;) {
      const next = await changes.next();
      if (next.done) return next.value;
      const change = next.value;
      if (change.kind === "restart") {
        log.warn(
          "The saved delta link of {folder} is no longer valid ({reason}); listing the folder " +
            "in full this run",
          {
            run_id: request.runId,
            folder: this.#settings.sharepoint_folder,
            reason: change.reason,
          },
        );
        feed.reset();
        feed.restarted = true;
        feed.incremental = false;
      } else if (change.kind === "folder_gone") {
        await changes.return("");
        throw new FolderGone();
      } else feed.add(change);
    }
  }

  async #resolveAgain(folder: RemoteFolder, request: ListRequest): Promise<RemoteFolder> {
    log.warn(
      "Cannot find folder {folder} by its saved id {item_id}: it was deleted or re-created; " +
        "resolving it again and listing it in full",
      { run_id: request.runId, folder: this.#settings.sharepoint_folder, item_id: folder.itemId },
    );
    return await this.#sharepoint.resolveFolder(request.signal);
  }

  #logStart(
    request: ListRequest,
    mode: ListingMode,
    reason: string | undefined,
    savedAt: string | undefined,
  ): void {
    const properties = {
      run_id: request.runId,
      folder: this.#settings.sharepoint_folder,
      mode,
      reason,
      link_saved_at: savedAt,
    };
    if (reason === undefined) {
      log.info("Listing changes of {folder} ({mode}) since {link_saved_at}", properties);
    } else log.info("Listing {folder} in full ({mode}): {reason}", properties);
  }

  async #commit(change: (state: JobState) => void): Promise<void> {
    try {
      await this.#state.update(change);
    } catch (error) {
      log.warn("Cannot write the state file {state_file}: {error}; the next run lists again", {
        state_file: this.#state.path,
        error: (error as Error).message,
      });
    }
  }
}

/** The folder itself appeared deleted in a root delta feed. */
class FolderGone extends Error {
  override name = "FolderGone";
}

/**
 * The files of one delta feed, deduplicated by id (the last entry wins). Whole entries are held
 * only for the files that can still be candidates: a file the `ingested` rule matches leaves a
 * marker under its id, a file whose created and modified times both lie before the window only an
 * 8-byte hash of its id, so a full enumeration holds memory in proportion to the window, not the
 * folder. An incremental feed (read from a saved link) keeps every file it reports: each is an
 * arrival, whatever its dates (a back-dated upload, a native move or copy; quirks §1).
 */
class DeltaFeed {
  #window: TimeWindow;
  #ingested: (file: RemoteFile) => boolean;
  #entries = new Map<string, RemoteFile | Marker>();
  #before = new IdHashSet();
  /** Files the retry list offers again, by id, with their saved arrival time. */
  #offered = new Map<string, number | undefined>();
  restarted = false;
  /** True while the pages come from a saved link: every file reported is an arrival. */
  incremental = false;

  constructor(window: TimeWindow, ingested: (file: RemoteFile) => boolean = () => false) {
    this.#window = window;
    this.#ingested = ingested;
  }

  reset(): void {
    this.#entries.clear();
    this.#before.clear();
    this.#offered.clear();
  }

  add(change: { kind: "file"; file: RemoteFile } | { kind: "gone"; id: string }): void {
    const id = change.kind === "gone" ? change.id : change.file.id;
    this.#entries.delete(id);
    if (change.kind === "gone") {
      this.#before.delete(id);
      this.#entries.set(id, "gone");
    } else if (this.incremental) {
      this.#before.delete(id);
      this.#entries.set(id, change.file);
    } else if (latestTime(change.file) < this.#window.since.getTime()) {
      this.#before.add(id);
    } else {
      this.#before.delete(id);
      this.#entries.set(id, this.#ingested(change.file) ? "ingested" : change.file);
    }
  }

  /**
   * Set when `file` came from an incremental feed (see {@link Listing.reported}). A file only the
   * retry list offers again is offered until its arrival time leaves the window.
   */
  reported(file: RemoteFile): Reported | undefined {
    if (!this.incremental) return undefined;
    if (!this.#offered.has(file.id)) return {};
    const reported = { firstSeen: this.#offered.get(file.id) };
    const arrival = arrivalTime(file, this.#window, reported.firstSeen ?? 0, reported);
    return arrival >= this.#window.since.getTime() ? reported : undefined;
  }

  /** Adds the saved files to offer again that this feed did not mention. */
  offer(entries: readonly RetryEntry[], folder: RemoteFolder): void {
    for (const entry of entries) {
      if (this.#entries.has(entry.id) || this.#before.has(entry.id)) continue;
      const arrived = entry.arrived_at === undefined ? undefined : Date.parse(entry.arrived_at);
      this.#offered.set(entry.id, arrived);
      this.add({ kind: "file", file: fileFromEntry(entry, folder) });
    }
  }

  counted(): ListingCounts {
    let ingested = 0;
    for (const value of this.#entries.values()) if (value === "ingested") ingested++;
    return { before: this.#before.size, ingested };
  }

  async *files(): AsyncIterable<RemoteFile> {
    for (const value of this.#entries.values()) {
      if (typeof value !== "string") yield value;
    }
  }
}

/** The retry list's held placeholders (children mode offers them again), by id. */
function heldEmpty(entries: readonly RetryEntry[] | undefined): Map<string, Reported> {
  const held = new Map<string, Reported>();
  for (const entry of entries ?? []) {
    if (entry.reason !== "empty") continue;
    const firstSeen = entry.arrived_at === undefined ? undefined : Date.parse(entry.arrived_at);
    held.set(entry.id, { firstSeen });
  }
  return held;
}

/** What a delta feed remembers of an id it will not hand over. */
type Marker = "gone" | "ingested";

function retryEntries(outcome: ListingOutcome): RetryEntry[] {
  const entries = new Map<string, RetryEntry>();
  const add = (file: RemoteFile, reason: RetryEntry["reason"], arrival?: number) => {
    const entry = entryFromFile(file, reason);
    if (arrival !== undefined) entry.arrived_at = new Date(arrival).toISOString();
    entries.set(file.id, entry);
  };
  for (const { file, reason, arrival } of outcome.held) add(file, reason, arrival);
  for (const file of outcome.pending) add(file, "pending", outcome.arrivals?.get(file.id));
  for (const file of outcome.failed) add(file, "failed", outcome.arrivals?.get(file.id));
  return [...entries.values()];
}

function entryFromFile(file: RemoteFile, reason: RetryEntry["reason"]): RetryEntry {
  const entry: RetryEntry = {
    id: file.id,
    name: file.name,
    reason,
    last_modified: file.lastModified.toISOString(),
    size: file.size,
    created: file.created.toISOString(),
    drive_id: file.driveId,
  };
  if (file.quickXorHash !== undefined) entry.quick_xor_hash = file.quickXorHash;
  if (file.eTag !== undefined) entry.etag = file.eTag;
  return entry;
}

/** A saved entry as a file to fetch through `/content` (no download URL is kept). */
function fileFromEntry(entry: RetryEntry, folder: RemoteFolder): RemoteFile {
  const lastModified = new Date(entry.last_modified);
  return {
    id: entry.id,
    driveId: entry.drive_id ?? folder.driveId,
    name: entry.name,
    size: entry.size ?? 0,
    lastModified,
    created: entry.created === undefined ? lastModified : new Date(entry.created),
    quickXorHash: entry.quick_xor_hash,
    downloadUrl: undefined,
    eTag: entry.etag,
    cTag: undefined,
  };
}

function folderFromState(resolved: ResolvedIds | undefined): RemoteFolder | undefined {
  if (resolved === undefined) return undefined;
  return {
    siteId: resolved.site_id,
    driveId: resolved.drive_id,
    itemId: resolved.folder_id,
    driveName: resolved.drive_name ?? "",
    driveUrlSegment: resolved.drive_url_segment ?? "",
    pathInDrive: resolved.path_in_drive ?? "",
    webUrl: resolved.web_url ?? "",
  };
}

function resolvedFrom(
  folder: RemoteFolder,
  previous: ResolvedIds | undefined,
  now: number,
): ResolvedIds {
  if (
    previous?.folder_id === folder.itemId && previous.drive_id === folder.driveId &&
    previous.site_id === folder.siteId
  ) return previous;
  return {
    site_id: folder.siteId,
    drive_id: folder.driveId,
    folder_id: folder.itemId,
    resolved_at: new Date(now).toISOString(),
    drive_name: folder.driveName,
    drive_url_segment: folder.driveUrlSegment,
    path_in_drive: folder.pathInDrive,
    web_url: folder.webUrl,
  };
}

/** Identity of the include/exclude globs. */
export function globKey(settings: { include: readonly string[]; exclude: readonly string[] }) {
  return JSON.stringify({ include: settings.include, exclude: settings.exclude });
}

function isNotFound(error: unknown): boolean {
  return error instanceof GraphError && error.status === 404;
}
