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
import { GraphError } from "../errors.ts";
import type { Settings } from "../config/settings.ts";
import type { BackoffOptions } from "../http/retry_policy.ts";
import { ThrottleGate } from "../http/throttle_gate.ts";
import { Transport } from "../http/transport.ts";
import type { TokenProvider } from "./auth.ts";
import { createTokenProvider, type CredentialSettings } from "./credential.ts";
import { downloadFile } from "./download.ts";
import { GraphApi, ResyncRequiredError } from "./graph_api.ts";
import { resolveFolder } from "./resolve.ts";
import type {
  ClientUsage,
  DownloadOptions,
  DownloadResult,
  FolderChange,
  ListChangesOptions,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "./sharepoint_client.ts";
import type { DriveItem } from "./wire_types.ts";

/** The settings the client reads. */
export type GraphClientSettings =
  & Pick<
    Settings,
    | "sharepoint_site_url"
    | "sharepoint_folder"
    | "tenant_id"
    | "client_id"
    | "client_secret"
    | "client_certificate_path"
    | "graph_base_url"
    | "authority_host"
    | "request_timeout_seconds"
    | "max_throttle_wait_seconds"
  >
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

  /** Yields the items with a `file` facet directly in `folder`, across all pages (1000 per page). */
  async *listFiles(folder: RemoteFolder, signal?: AbortSignal): AsyncIterable<RemoteFile> {
    const what = `the files of "${this.#settings.sharepoint_folder}"`;
    let pages = 0;
    let files = 0;
    for await (const page of this.#api.children(folder.driveId, folder.itemId, what, signal)) {
      pages++;
      for (const item of page.value) {
        if (!item.file) continue;
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

  /**
   * The folder's changes since `options.link` (see {@link SharePointClient.listChanges}). A dead
   * link (410) restarts the feed once from the `Location` Graph sends, else without a token.
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
    let url: string = options.link ?? first;
    let restarted = false;
    let pages = 0;
    for (;;) {
      let page;
      try {
        page = await this.#api.deltaPage(url, what, options.signal);
      } catch (error) {
        if (!(error instanceof ResyncRequiredError) || restarted) throw error;
        restarted = true;
        url = error.location ?? first;
        yield { kind: "restart", reason: error.message };
        continue;
      }
      pages++;
      for (const item of page.value) yield toFolderChange(item, folder, what);
      const deltaLink = page["@odata.deltaLink"];
      if (deltaLink !== undefined) {
        this.#log.debug("Listed changes in {pages} pages of {folder}", {
          pages,
          folder: this.#settings.sharepoint_folder,
        });
        return deltaLink;
      }
      const next = page["@odata.nextLink"];
      if (next === undefined) {
        throw new GraphError(
          `Cannot list ${what}: a delta page has neither a next nor a delta link`,
        );
      }
      url = next;
    }
  }

  /** Graph calls made by this client so far. */
  usage(): ClientUsage {
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
 * Reduces one delta entry: a file (not deleted, not a package) whose parent is the folder is a
 * `file`; a tombstone of the folder itself is `folder_gone`; anything else is `gone`.
 */
export function toFolderChange(item: DriveItem, folder: RemoteFolder, what: string): FolderChange {
  if (item.id === folder.itemId) {
    return item.deleted ? { kind: "folder_gone" } : { kind: "gone", id: item.id };
  }
  const inFolder = item.parentReference?.id === folder.itemId;
  if (!inFolder || item.deleted || !item.file || item.folder || item.package || item.root) {
    return { kind: "gone", id: item.id };
  }
  return { kind: "file", file: toRemoteFile(item, folder.driveId, what) };
}

/** Maps a driveItem with a `file` facet; throws `GraphError` when a field a file needs is missing. */
export function toRemoteFile(item: DriveItem, driveId: string, what = "the folder"): RemoteFile {
  const { name, size, lastModifiedDateTime, createdDateTime } = item;
  const lastModified = new Date(lastModifiedDateTime ?? "");
  const created = new Date(createdDateTime ?? lastModifiedDateTime ?? "");
  if (!name || size === undefined || Number.isNaN(lastModified.getTime())) {
    throw new GraphError(
      `Cannot list ${what}: item ${item.id} lacks a name, size or lastModifiedDateTime`,
    );
  }
  return {
    id: item.id,
    driveId: item.parentReference?.driveId ?? driveId,
    name,
    size,
    lastModified,
    created: Number.isNaN(created.getTime()) ? lastModified : created,
    quickXorHash: item.file?.hashes?.quickXorHash || undefined,
    downloadUrl: item["@microsoft.graph.downloadUrl"],
    eTag: item.eTag,
    cTag: item.cTag,
  };
}
