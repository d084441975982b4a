/**
 * `GraphSharePointClient`: the {@link SharePointClient} over Microsoft Graph v1.0.
 *
 * Moving from the simulator to a real tenant is only a settings change (`graph_base_url`,
 * `authority_host`, credentials): nothing here knows about the simulator.
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { getLogger } from "@logtape/logtape";
import { type Clock, systemClock } from "../clock.ts";
import { GraphError, HttpError } from "../errors.ts";
import { graphErrorHook } from "./graph_errors.ts";
import type { Settings } from "../config/settings.ts";
import type { BackoffOptions } from "../http/retry_policy.ts";
import { ThrottleGate } from "../http/throttle_gate.ts";
import { Transport } from "../http/transport.ts";
import type { TokenProvider } from "./auth.ts";
import { createTokenProvider, type CredentialSettings } from "./credential.ts";
import { downloadFile } from "./download.ts";
import { GraphApi, type GraphUsage, ResyncRequiredError } from "./graph_api.ts";
import { fileProblem } from "./item_problems.ts";
import { PagingGuard, PagingLoopError } from "./paging_guard.ts";
import type { DeltaPage } from "./wire_types.ts";
import { resolveFolder } from "./resolve.ts";
import { toChildEntry, toFolderChange, toRemoteFile, toSubtreeChange } from "./drive_items.ts";
import type {
  ChildEntry,
  DownloadOptions,
  DownloadResult,
  FolderChange,
  ListChangesOptions,
  MalformedItem,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "./sharepoint_client.ts";

/** The settings the client reads. */
export type GraphClientSettings =
  & Pick<Settings, "sharepoint_site_url" | "sharepoint_folder" | "max_throttle_wait_seconds">
  & CredentialSettings;

/** Options of {@link GraphSharePointClient}. Everything but `settings` has a real default. */
export interface GraphClientOptions {
  settings: GraphClientSettings;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Random numbers in [0, 1) for backoff jitter. */
  random?: () => number;
  logger?: Logger;
  /** Retries of transient failures (network, timeout, 5xx) per request. Default 3. */
  maxRetries?: number;
  backoff?: BackoffOptions;
  /** The throttle gate shared by all requests; default one per client. */
  gate?: ThrottleGate;
  /** A fetch that never uses the settings proxy, for managed identity endpoints; default `fetch`. */
  directFetch?: typeof fetch;
}

/**
 * Lists and downloads the files of one SharePoint folder through Graph.
 * One instance shares one token cache and one throttle gate across concurrent calls.
 */
export class GraphSharePointClient implements SharePointClient {
  #settings: GraphClientSettings;
  #clock: Clock;
  #log: Logger;
  #auth: TokenProvider;
  #api: GraphApi;

  constructor(options: GraphClientOptions) {
    const { settings } = options;
    this.#settings = settings;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? getLogger(["ingest", "graph"]);
    const transport = new Transport({
      fetch: options.fetch,
      clock: this.#clock,
      gate: options.gate ?? new ThrottleGate({
        clock: this.#clock,
        maxWaitMs: settings.max_throttle_wait_seconds * 1000,
      }),
      requestTimeoutMs: settings.request_timeout_seconds * 1000,
      random: options.random,
      maxRetries: options.maxRetries,
      backoff: options.backoff,
      logger: this.#log,
      onError: graphErrorHook,
    });
    this.#auth = createTokenProvider(settings, {
      transport,
      clock: this.#clock,
      directFetch: options.directFetch ?? options.fetch ?? globalThis.fetch.bind(globalThis),
    });
    this.#api = new GraphApi({ transport, auth: this.#auth, baseUrl: settings.graph_base_url });
  }

  /** The token provider (for `ingest check`: identity claims, certificate facts). */
  get tokens(): TokenProvider {
    return this.#auth;
  }

  /** Obtains (or reuses) an app-only token. Throws `AuthError`. */
  async authenticate(signal?: AbortSignal): Promise<void> {
    await this.#auth.getToken(signal);
  }

  /** Resolves the configured site and folder to ids; messages list what exists when a piece is missing. */
  resolveFolder(signal?: AbortSignal): Promise<RemoteFolder> {
    return resolveFolder(this.#api, {
      siteUrl: this.#settings.sharepoint_site_url,
      folder: this.#settings.sharepoint_folder,
    }, signal);
  }

  /**
   * Yields the items with a `file` facet directly in `folder`, across all pages (1000 per page).
   * A file item that lacks what a file needs (§12) is skipped and handed to `onMalformed`.
   */
  async *listFiles(
    folder: RemoteFolder,
    signal?: AbortSignal,
    onMalformed?: (item: MalformedItem) => void,
  ): AsyncIterable<RemoteFile> {
    const what = `the files of "${this.#settings.sharepoint_folder}"`;
    let pages = 0;
    let files = 0;
    for await (const page of this.#api.children(folder.driveId, folder.itemId, what, signal)) {
      pages++;
      for (const item of page.value) {
        if (!item.file) continue;
        const problem = fileProblem(item);
        if (problem !== undefined) {
          onMalformed?.({ id: item.id, name: item.name || undefined, reason: problem });
          continue;
        }
        files++;
        yield toRemoteFile(item, folder.driveId, what);
      }
    }
    this.#log.debug("Listed {files} files in {pages} pages of {folder}", {
      files,
      pages,
      folder: this.#settings.sharepoint_folder,
    });
  }

  /** Yields the files and sub-folders directly in the folder `itemId` (1000 per page). */
  async *listChildren(
    folder: RemoteFolder,
    itemId: string,
    signal?: AbortSignal,
    onMalformed?: (item: MalformedItem) => void,
  ): AsyncIterable<ChildEntry> {
    const what = `the files of "${this.#settings.sharepoint_folder}" and its subfolders`;
    for await (const page of this.#api.children(folder.driveId, itemId, what, signal)) {
      for (const item of page.value) {
        const problem = item.file && !item.package ? fileProblem(item) : undefined;
        if (problem !== undefined) {
          onMalformed?.({ id: item.id, name: item.name || undefined, reason: problem });
          continue;
        }
        const entry = toChildEntry(item, folder.driveId, what);
        if (entry !== undefined) yield entry;
      }
    }
  }

  /**
   * The folder's changes since `options.link` (see {@link SharePointClient.listChanges}).
   *
   * A dead link (410, whatever its code: `resyncRequired`, `resyncChangesApplyDifferences`,
   * `resyncChangesUploadDifferences`, `SyncStateNotFound`) restarts the feed from the `Location`
   * Graph sends, else from the tokenless URL; a `Location` that fails itself (a 5xx has been
   * seen, real-sharepoint-quirks.md §10) restarts from the tokenless URL. A second 410 in the same
   * call is thrown as {@link ResyncRequiredError}: the caller falls back to another way of
   * listing. Pages that loop (§11) end the call with a `PagingLoopError`.
   */
  async *listChanges(
    folder: RemoteFolder,
    options: ListChangesOptions,
  ): AsyncGenerator<FolderChange, string, undefined> {
    const what = `the changes of "${this.#settings.sharepoint_folder}"`;
    const first = this.#api.deltaUrl(
      folder.driveId,
      options.scope === "folder" ? folder.itemId : undefined,
    );
    const guard = new PagingGuard(what);
    let url: string = options.link ?? first;
    /** True while the first page of a `Location` restart is outstanding. */
    let fromLocation = false;
    let resyncs = 0;
    let pages = 0;
    /** The next page, requested before this page's items are handed over. */
    let prefetched: Promise<DeltaPage> | undefined;
    for (;;) {
      let page: DeltaPage;
      try {
        page = await (prefetched ?? this.#api.deltaPage(url, what, options.signal));
      } catch (error) {
        prefetched = undefined;
        const restart = restartAfter(error, { fromLocation, resyncs, first });
        if (restart === undefined) throw error;
        if (error instanceof ResyncRequiredError) resyncs++;
        fromLocation = restart.fromLocation;
        url = restart.url;
        guard.reset();
        yield { kind: "restart", reason: (error as Error).message };
        continue;
      }
      prefetched = undefined;
      fromLocation = false;
      pages++;
      guard.page(page.value.map((item) => item.id), url);
      const deltaLink = page["@odata.deltaLink"];
      const next = deltaLink === undefined ? page["@odata.nextLink"] : undefined;
      if (next !== undefined) {
        guard.follow(next);
        url = next;
        // The service renders the next page while this one is consumed (a first enumeration of
        // a large library is a thousand pages; bench/README.md, issue 28). At most two pages
        // are held. A consumer that stops early leaves it unread: its failure is not news.
        prefetched = this.#api.deltaPage(next, what, options.signal);
        prefetched.catch(() => {});
      }
      for (const item of page.value) {
        yield options.subtree
          ? toSubtreeChange(item, folder, what)
          : toFolderChange(item, folder, what);
      }
      if (deltaLink !== undefined) {
        this.#log.debug("Listed changes in {pages} pages of {folder}", {
          pages,
          folder: this.#settings.sharepoint_folder,
        });
        return deltaLink;
      }
      if (next === undefined) {
        throw new GraphError(
          `Cannot list ${what}: a delta page has neither a next nor a delta link`,
        );
      }
    }
  }

  /** The current state of one item as a change of `folder` (see {@link SharePointClient.itemChange}). */
  async itemChange(
    folder: RemoteFolder,
    itemId: string,
    signal?: AbortSignal,
  ): Promise<FolderChange> {
    const what = `item ${itemId} of "${this.#settings.sharepoint_folder}"`;
    try {
      const item = await this.#api.getItem(folder.driveId, itemId, what, signal);
      return toFolderChange(item, folder, what);
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return { kind: "gone", id: itemId };
      throw error;
    }
  }

  /** Graph calls made by this client so far. */
  usage(): GraphUsage {
    return this.#api.meter.snapshot();
  }

  /** Streams one file to `destination` (see {@link SharePointClient.downloadFile}). */
  downloadFile(
    file: RemoteFile,
    destination: string,
    options: DownloadOptions,
  ): Promise<DownloadResult> {
    return downloadFile(
      { api: this.#api, clock: this.#clock, logger: this.#log },
      file,
      destination,
      options,
    );
  }
}

/**
 * Where a delta feed continues after `error`, or undefined when it cannot: a first 410 restarts
 * from its `Location` (else the tokenless URL), a failed `Location` from the tokenless URL.
 */
function restartAfter(
  error: unknown,
  state: { fromLocation: boolean; resyncs: number; first: string },
): { url: string; fromLocation: boolean } | undefined {
  if (error instanceof ResyncRequiredError) {
    if (state.resyncs >= 1) return undefined;
    return error.location !== undefined && !state.fromLocation
      ? { url: error.location, fromLocation: true }
      : { url: state.first, fromLocation: false };
  }
  const locationFailed = state.fromLocation && error instanceof HttpError &&
    !(error instanceof PagingLoopError) && error.status !== 404 && error.status !== 501;
  return locationFailed ? { url: state.first, fromLocation: false } : undefined;
}
