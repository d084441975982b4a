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
import { TokenProvider } from "./auth.ts";
import { downloadFile } from "./download.ts";
import { GraphApi } from "./graph_api.ts";
import { resolveFolder } from "./resolve.ts";
import type {
  DownloadOptions,
  DownloadResult,
  RemoteFile,
  RemoteFolder,
  SharePointClient,
} from "./sharepoint_client.ts";
import type { DriveItem } from "./wire_types.ts";

/** The settings the client reads. */
export type GraphClientSettings = Pick<
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
>;

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
    this.#auth = new TokenProvider({
      transport,
      clock: this.#clock,
      authorityHost: settings.authority_host,
      tenantId: settings.tenant_id,
      clientId: settings.client_id,
      graphBaseUrl: settings.graph_base_url,
      clientSecret: settings.client_secret,
      clientCertificatePath: settings.client_certificate_path,
    });
    this.#api = new GraphApi({ transport, auth: this.#auth, baseUrl: settings.graph_base_url });
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
