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
import { FolderGone, GraphError, HttpError } from "../errors.ts";
import type {
  DeltaScope,
  FolderChange,
  MalformedItem,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "../graph/sharepoint_client.ts";
import type { JobState, JobStateStore } from "../state/job_state.ts";
import type { ListingState, MalformedEntry } from "../state/state_wire.ts";
import type { Reported } from "./arrival.ts";
import { MalformedItems } from "./malformed_items.ts";
import { subfolderNaming } from "./relative_path.ts";
import type { ListingCounts } from "./select.ts";
import { SubtreeFeed, SubtreeIncomplete, walkSubtree } from "./subtree.ts";
import { DeltaFeed } from "./delta_feed.ts";
import {
  folderFromState,
  heldEmpty,
  type ListingOutcome,
  resolvedFrom,
  retryEntries,
} from "./listing_state.ts";

const log = getLogger(["ingest", "sync"]);

/** How a run listed the folder. */
export type ListingMode = ListingState["mode"];

/** Options of {@link FolderLister}. */
export interface FolderListerOptions {
  settings: Pick<
    Settings,
    | "listing"
    | "sharepoint_folder"
    | "include"
    | "exclude"
    | "include_subfolders"
    | "subfolder_layout"
    | "flatten_separator"
  >;
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
  /** File items skipped because they lack a name, size or time (complete once files are read). */
  skippedMalformed(): number;
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
  if (listing.filter_key !== request.filterKey) {
    const subfolders = (key: string | undefined) => key?.endsWith("+subfolders") ?? false;
    return subfolders(listing.filter_key) !== subfolders(request.filterKey)
      ? "include_subfolders changed"
      : "include/exclude changed";
  }
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
    try {
      const cached = folderFromState(request.saved.resolved);
      const folder = cached ?? await this.#sharepoint.resolveFolder(request.signal);
      if (this.#settings.listing === "children") return this.#children(folder, cached, request);
      return await this.#delta(folder, cached !== undefined, request);
    } catch (error) {
      await this.#recordFailure(error);
      throw error;
    }
  }

  /**
   * Lists with `children`. `keepMode`: a delta mode that keeps answering 410 is listed this way
   * for this run only; the state keeps that mode, without a link.
   */
  #children(
    folder: RemoteFolder,
    cached: RemoteFolder | undefined,
    request: ListRequest,
    keepMode?: ListingMode,
  ): Listing {
    const session = { folder };
    const malformed = new MalformedItems(request.runId);
    const files = this.#childrenFiles(session, cached !== undefined, request, malformed);
    const waiting = heldEmpty(request.saved.retry);
    return {
      mode: "children",
      files,
      counted: () => ({ before: 0, ingested: 0 }),
      skippedMalformed: () => malformed.count,
      reported: (file) => waiting.get(file.id),
      commit: (outcome) =>
        this.#commit((state) => {
          state.resolved = resolvedFrom(session.folder, state.resolved, this.#now());
          state.listing = { mode: keepMode ?? "children" };
          // Children mode lists every file each run; only held placeholders are kept, so one
          // whose dates leave the window is still offered again.
          const retry = retryEntries(outcome).filter((entry) => entry.reason === "empty");
          if (retry.length > 0) state.retry = retry;
          else delete state.retry;
          // Every children listing pages the whole folder: nothing to look at apart.
          delete state.malformed;
          delete state.listing_failure;
        }),
    };
  }

  async *#childrenFiles(
    session: { folder: RemoteFolder },
    cached: boolean,
    request: ListRequest,
    malformed: MalformedItems,
  ): AsyncIterable<RemoteFile> {
    let yielded = 0;
    const onMalformed = (item: MalformedItem) => malformed.note(item);
    try {
      try {
        for await (const file of this.#filesOf(session.folder, request, onMalformed)) {
          yielded++;
          yield file;
        }
      } catch (error) {
        if (!cached || yielded > 0 || !isNotFound(error)) throw error;
        session.folder = await this.#resolveAgain(session.folder, request);
        malformed.clear();
        yield* this.#filesOf(session.folder, request, onMalformed);
      }
    } catch (error) {
      await this.#recordFailure(error);
      throw error;
    }
  }

  /** The folder's files: directly inside it, or with `include_subfolders` at any depth. */
  #filesOf(
    folder: RemoteFolder,
    request: ListRequest,
    onMalformed: (item: MalformedItem) => void,
  ): AsyncIterable<RemoteFile> {
    const naming = subfolderNaming(this.#settings);
    if (naming === undefined) {
      return this.#sharepoint.listFiles(folder, request.signal, onMalformed);
    }
    return walkSubtree(folder, {
      sharepoint: this.#sharepoint,
      naming,
      folderLabel: this.#settings.sharepoint_folder,
      runId: request.runId,
      signal: request.signal,
      onMalformed,
    });
  }

  async #delta(folder: RemoteFolder, cached: boolean, request: ListRequest): Promise<Listing> {
    const saved = request.saved.listing;
    let mode: ListingMode = saved?.mode === "root_delta" ? "root_delta" : "folder_delta";
    const filterKey = listingKey(this.#settings);
    const reason = fullListingReason(saved, { ...request, filterKey, mode });
    let link = reason === undefined ? saved?.delta_link : undefined;
    this.#logStart(request, mode, reason, saved?.link_saved_at);
    const feed = new DeltaFeed(request.window, request.ingested);
    const malformed = new MalformedItems(request.runId);
    let deltaLink: string;
    for (let attempt = 0;; attempt++) {
      try {
        feed.begin(link !== undefined);
        deltaLink = await this.#readFeed(feed, folder, mode, link, request, malformed);
        break;
      } catch (error) {
        if (mode === "root_delta" && isResync(error)) {
          log.warn(
            "Graph keeps answering 410 to the delta of the library root ({error}); listing " +
              "{folder} with children for this run",
            {
              run_id: request.runId,
              folder: this.#settings.sharepoint_folder,
              error: (error as Error).message,
            },
          );
          return this.#children(folder, cached ? folder : undefined, request, "root_delta");
        }
        if (attempt >= 2) throw error;
        if (mode === "folder_delta" && isResync(error)) {
          log.warn(
            "The delta of folder {folder} keeps answering 410 ({error}); listing the changes of " +
              "the library root, filtered to the folder, from now on",
            {
              run_id: request.runId,
              folder: this.#settings.sharepoint_folder,
              error: (error as Error).message,
            },
          );
          mode = "root_delta";
        } else if (
          mode === "folder_delta" && error instanceof GraphError && error.status === 501
        ) {
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
        } else if (error instanceof SubtreeIncomplete && link !== undefined) {
          log.warn(
            "The changes of {folder} name files below folders the feed did not send ({error}); " +
              "listing the folder and its subfolders in full this run",
            {
              run_id: request.runId,
              folder: this.#settings.sharepoint_folder,
              error: error.message,
            },
          );
        } else if (error instanceof FolderGone) {
          throw new GraphError(
            `Cannot list the changes of "${this.#settings.sharepoint_folder}": the folder was deleted`,
            { status: 404, code: "itemNotFound" },
          );
        } else throw error;
        link = undefined;
        malformed.clear();
      }
    }
    if (link !== undefined && !feed.restarted) {
      feed.offer(request.saved.retry ?? [], folder);
      await this.#lookAgain(request.saved.malformed ?? [], { feed, malformed, folder, request });
    }
    const resolved = folder;
    const finalMode = mode;
    return {
      mode,
      files: feed.files(),
      counted: () => feed.counted(),
      skippedMalformed: () => malformed.count,
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
          const skipped = malformed.entries();
          if (skipped.length > 0) state.malformed = skipped;
          else delete state.malformed;
          delete state.listing_failure;
        }),
    };
  }

  /**
   * Items an earlier run skipped as malformed, that this feed did not mention: a delta link
   * reports an item only when it changes, so each is fetched again by id.
   */
  async #lookAgain(
    entries: readonly MalformedEntry[],
    run: { feed: DeltaFeed; malformed: MalformedItems; folder: RemoteFolder; request: ListRequest },
  ): Promise<void> {
    const itemChange = this.#sharepoint.itemChange?.bind(this.#sharepoint);
    if (itemChange === undefined) return;
    for (const entry of entries) {
      if (run.feed.mentions(entry.id) || run.malformed.has(entry.id)) continue;
      let change: FolderChange;
      try {
        change = await itemChange(run.folder, entry.id, run.request.signal);
      } catch (error) {
        // One item that cannot be fetched again waits for the next run; the listing stands.
        if (!(error instanceof HttpError) || run.request.signal?.aborted) throw error;
        run.malformed.note({
          id: entry.id,
          name: entry.name,
          reason: `it could not be fetched again (${error.message})`,
        });
        continue;
      }
      if (change.kind === "malformed") run.malformed.note(change);
      else if (change.kind === "file" || change.kind === "gone") run.feed.add(change);
    }
  }

  /** Keeps why the listing failed, for `ingest check`; an aborted run is no listing failure. */
  async #recordFailure(error: unknown): Promise<void> {
    if (!(error instanceof HttpError)) return;
    await this.#commit((state) => {
      state.listing_failure = {
        at: new Date(this.#now()).toISOString(),
        message: error.message,
      };
    });
  }

  async #readFeed(
    feed: DeltaFeed,
    folder: RemoteFolder,
    mode: ListingMode,
    link: string | undefined,
    request: ListRequest,
    malformed: MalformedItems,
  ): Promise<string> {
    const scope: DeltaScope = mode === "root_delta" ? "root" : "folder";
    const naming = subfolderNaming(this.#settings);
    const subtree = naming === undefined
      ? undefined
      : new SubtreeFeed({ rootId: folder.itemId, naming, target: feed });
    const changes = this.#sharepoint.listChanges(folder, {
      scope,
      link,
      signal: request.signal,
      ...(subtree === undefined ? {} : { subtree: true }),
    });
    for (;;) {
      const next = await changes.next();
      if (next.done) {
        const unknown = subtree?.finish() ?? 0;
        const incremental = link !== undefined && !feed.restarted;
        // Folder delta sends the folders above each change; without them, list in full.
        if (unknown > 0 && scope === "folder" && incremental) {
          throw new SubtreeIncomplete(unknown);
        }
        if (subtree !== undefined && incremental) {
          await this.#listLoneFolders(subtree, folder, feed, request);
        }
        return next.value;
      }
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
        feed.restart();
        subtree?.reset();
        malformed.clear();
      } else if (change.kind === "folder_gone") {
        await changes.return("");
        throw new FolderGone();
      } else if (change.kind === "malformed") malformed.note(change);
      else {
        malformed.forget(
          change.kind === "file"
            ? change.file.id
            : change.kind === "gone"
            ? change.id
            : change.folder.id,
        );
        if (subtree !== undefined) subtree.add(change);
        else if (change.kind !== "subfolder") feed.add(change);
      }
    }
  }

  /**
   * Lists the folders a link-based subtree feed named without any changed file below them
   * (renamed, moved in, created), so files whose path changed with their folder are seen under
   * the new path whether or not Graph reported them (see {@link SubtreeFeed.loneFolders}).
   */
  async #listLoneFolders(
    subtree: SubtreeFeed,
    folder: RemoteFolder,
    feed: DeltaFeed,
    request: ListRequest,
  ): Promise<void> {
    const naming = subfolderNaming(this.#settings);
    if (naming === undefined) return;
    for (const start of subtree.loneFolders()) {
      log.info("Listing subfolder {subfolder} of {folder}: it changed (renamed, moved or new)", {
        run_id: request.runId,
        folder: this.#settings.sharepoint_folder,
        subfolder: start.segments.join("/"),
      });
      const files = walkSubtree(folder, {
        sharepoint: this.#sharepoint,
        naming,
        folderLabel: this.#settings.sharepoint_folder,
        runId: request.runId,
        signal: request.signal,
        start,
      });
      for await (const file of files) feed.add({ kind: "file", file });
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

/**
 * Identity of what a saved link stands for: the globs, and with `include_subfolders` the fact
 * that the feed was read for the whole subtree (a link saved without it, or with it, is not
 * reused when the setting changes: the next run lists in full).
 */
export function listingKey(
  settings: Pick<Settings, "include" | "exclude" | "include_subfolders">,
): string {
  const key = globKey(settings);
  return settings.include_subfolders ? `${key}+subfolders` : key;
}

/** Identity of the include/exclude globs. */
export function globKey(settings: { include: readonly string[]; exclude: readonly string[] }) {
  return JSON.stringify({ include: settings.include, exclude: settings.exclude });
}

/** A delta answer of HTTP 410 that restarting did not cure. */
function isResync(error: unknown): boolean {
  return error instanceof GraphError && error.status === 410;
}

function isNotFound(error: unknown): boolean {
  return error instanceof GraphError && error.status === 404;
}
