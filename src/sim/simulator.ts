/**
 * Starts the Microsoft Graph simulator: four loopback HTTP servers (login, Graph v1.0, download
 * origin, DB service) over one in-memory SharePoint site, with scripted faults and a request log.
 * @module
 */
import { stringify } from "smol-toml";
import { readCertificate } from "./certificate.ts";
import { AssertionVerifier } from "./client_assertion.ts";
import { DB_PATH, DbEndpoint } from "./db_server.ts";
import { DownloadEndpoint } from "./download_server.ts";
import { DeltaControl } from "./delta.ts";
import { DownloadUrls } from "./download_urls.ts";
import { FaultPlan } from "./faults.ts";
import { GraphEndpoint } from "./graph_server.ts";
import { FederatedIssuer } from "./federated.ts";
import { IdentityEndpoint } from "./identity_server.ts";
import { LoginEndpoint } from "./login_server.ts";
import { mixSeed, SeededRandom } from "./prng.ts";
import { RequestLog } from "./request_log.ts";
import { type Endpoint, serveEndpoint } from "./sim_server.ts";
import { encodePath, splitPath } from "./names.ts";
import { SimState } from "./state.ts";
import { TokenStore } from "./tokens.ts";
import type {
  FaultRule,
  RequestLogEntry,
  ServiceAccountTokenOptions,
  SimDeltaQuirks,
  SimDownloadBodies,
  SimFileQuirks,
  SimFileSpec,
  SimIdentity,
  SimOptions,
  Simulator,
} from "./types.ts";

/** Tenant id used when `SimOptions.tenantId` is not given. */
export const DEFAULT_TENANT_ID = "6f1c2e4a-8b3d-4c5e-9f70-1a2b3c4d5e6f";
/** Client id used when `SimOptions.clientId` is not given. */
export const DEFAULT_CLIENT_ID = "0b9e7d4c-2a1f-4e3d-8c5b-7a6f5e4d3c2b";
/** Client secret used when `SimOptions.clientSecret` is not given. */
export const DEFAULT_CLIENT_SECRET = "sim~Q8x.local-only-secret_4f2a";
/** Service account issuer the simulated federated credential trusts by default. */
export const DEFAULT_FEDERATED_ISSUER = "https://oidc.sim.invalid/ingest-cluster";
/** Service account the simulated federated credential names by default. */
export const DEFAULT_FEDERATED_SUBJECT = "system:serviceaccount:ingest:ingest";
/** The simulated host's system-assigned managed identity by default. */
export const DEFAULT_MANAGED_IDENTITY: SimIdentity = {
  clientId: "5a0c3f4e-7d21-4b6a-9e8f-0c1d2e3f4a5b",
  objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
};
/** The App Service `IDENTITY_HEADER` value by default. */
export const DEFAULT_IDENTITY_HEADER = "sim-identity-header-7c41d2e9";

class RunningSimulator implements Simulator {
  readonly graphBaseUrl: string;
  readonly authorityHost: string;
  readonly dbServiceUrl: string;
  readonly downloadOrigin: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly siteUrl: string;
  readonly identityOrigin: string;
  readonly identityHeader: string;
  readonly managedIdentity: SimIdentity;
  readonly federatedIssuer: string;
  #parts: SimulatorParts;

  constructor(
    parts: SimulatorParts,
    urls: { graph: string; login: string; db: string; download: string; identity: string },
  ) {
    this.#parts = parts;
    this.graphBaseUrl = urls.graph;
    this.authorityHost = urls.login;
    this.dbServiceUrl = urls.db;
    this.downloadOrigin = urls.download;
    this.tenantId = parts.tenantId;
    this.clientId = parts.clientId;
    this.clientSecret = parts.clientSecret;
    this.siteUrl = parts.state.site.webUrl;
    this.identityOrigin = urls.identity;
    this.identityHeader = parts.identityHeader;
    this.managedIdentity = parts.managedIdentity;
    this.federatedIssuer = parts.federated.issuer;
  }

  issueServiceAccountToken(options?: ServiceAccountTokenOptions): Promise<string> {
    return this.#parts.federated.issue(options);
  }

  get requestLog(): readonly RequestLogEntry[] {
    return this.#parts.log.entries;
  }

  get peakConcurrentDownloads(): number {
    return this.#parts.download.peakConcurrent;
  }

  settingsSnippet(options: { folder?: string; ingestionDir?: string } = {}): string {
    const state = this.#parts.state;
    const scheduler: Record<string, string> = {
      graph_base_url: this.graphBaseUrl,
      authority_host: this.authorityHost,
      tenant_id: this.tenantId,
      client_id: this.clientId,
      client_secret: this.clientSecret,
      sharepoint_site_url: this.siteUrl,
      sharepoint_folder: options.folder ?? `/${state.defaultDrive.urlSegment}`,
      db_service_url: this.dbServiceUrl,
      ingestion_dir: options.ingestionDir ?? "./ingest",
    };
    if (this.#parts.dbToken !== undefined) scheduler.db_service_token = this.#parts.dbToken;
    return `${stringify({ scheduler })}\n`;
  }

  addFile(spec: SimFileSpec): string {
    return this.#parts.state.addFile(spec);
  }

  addFolder(path: string, library?: string): string {
    return this.#parts.state.addFolder(path, library);
  }

  removeItem(path: string, library?: string): boolean {
    return this.#parts.state.removeItem(path, library);
  }

  moveItem(from: string, to: string, library?: string): string {
    return this.#parts.state.moveItem(from, to, library);
  }

  setMovesReportDescendants(report: boolean): void {
    this.#parts.state.movesReportDescendants = report;
  }

  copyItem(from: string, to: string, library?: string): string {
    return this.#parts.state.copyItem(from, to, library);
  }

  editMetadata(path: string, library?: string): string {
    return this.#parts.state.editMetadata(path, library);
  }

  expireDeltaLinks(): void {
    this.#parts.delta.expireLinks();
  }

  setFolderDelta(supported: boolean): void {
    this.#parts.delta.folderDelta = supported;
  }

  setFileQuirks(path: string, quirks: SimFileQuirks | undefined, library?: string): void {
    this.#parts.state.setFileQuirks(path, quirks, library);
  }

  setDeltaQuirks(quirks: SimDeltaQuirks): void {
    Object.assign(this.#parts.delta.quirks, quirks);
  }

  setDownloadBodies(bodies: SimDownloadBodies): void {
    Object.assign(this.#parts.bodies, bodies);
  }

  markIngested(name: string, at?: Date): void {
    this.#parts.db.mark(name, at?.getTime() ?? this.#parts.now());
  }

  addFault(rule: FaultRule): void {
    this.#parts.faults.add(rule);
  }

  clearFaults(): void {
    this.#parts.faults.clear();
  }

  clearRequestLog(): void {
    this.#parts.log.clear();
  }

  async close(): Promise<void> {
    if (this.#parts.closing.signal.aborted) return;
    this.#parts.closing.abort();
    await Promise.all(this.#parts.servers.map((server) => server.shutdown()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

interface SimulatorParts {
  identityHeader: string;
  managedIdentity: SimIdentity;
  federated: FederatedIssuer;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  dbToken: string | undefined;
  now: () => number;
  state: SimState;
  delta: DeltaControl;
  log: RequestLog;
  faults: FaultPlan;
  download: DownloadEndpoint;
  bodies: SimDownloadBodies;
  db: DbEndpoint;
  closing: AbortController;
  servers: Deno.HttpServer<Deno.NetAddr>[];
}

/**
 * Starts the simulator on 127.0.0.1 (ports from `options.ports`, default any free port) and
 * seeds it with `options.files` and `options.ingested`. Close it with `close()` or `await using`.
 *
 * @example
 * ```ts
 * await using sim = await startSimulator({ files: [{ path: "Reports/a.csv", size: 1024 }] });
 * console.log(sim.settingsSnippet({ folder: "/Shared Documents/Reports" }));
 * ```
 */
export async function startSimulator(options: SimOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const random = new SeededRandom(mixSeed(seed, 0x70c));
  const hostname = options.hostname ?? "contoso.sharepoint.com";
  const state = new SimState({
    hostname,
    sitePath: options.sitePath ?? "/sites/Finance",
    libraries: options.libraries ?? [],
    now,
    seed,
  });
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const downloadHost = options.downloadHost ?? "localhost";
  const origins = { graph: "", download: "" };
  const tokens = new TokenStore(now, random);
  const downloadUrls = new DownloadUrls({
    origin: () => origins.download,
    sitePath: encodePath(splitPath(state.site.path)),
    lifetimeSeconds: options.downloadUrlLifetimeSeconds ?? 3600,
    now,
    secret: crypto.randomUUID(),
  });
  const certificate = options.certificatePem === undefined
    ? undefined
    : await readCertificate(options.certificatePem);
  const federated = new FederatedIssuer({
    issuer: options.federated?.issuer ?? DEFAULT_FEDERATED_ISSUER,
    credentials: options.federated?.credentials ?? [
      {
        issuer: options.federated?.issuer ?? DEFAULT_FEDERATED_ISSUER,
        subject: DEFAULT_FEDERATED_SUBJECT,
      },
    ],
    now,
  });
  const managedIdentity = options.managedIdentity?.system ?? DEFAULT_MANAGED_IDENTITY;
  const identityHeader = options.managedIdentity?.identityHeader ?? DEFAULT_IDENTITY_HEADER;
  const delta = new DeltaControl(options.deltaLinkLifetimeMs);
  delta.folderDelta = options.folderDelta ?? true;
  Object.assign(delta.quirks, options.deltaQuirks ?? {});
  const bodies: SimDownloadBodies = { ...options.downloadBodies };
  const download = new DownloadEndpoint({
    state,
    downloadUrls,
    acceptAuthorization: options.downloadAcceptsAuthorization ?? false,
    bodies,
  });
  const db = new DbEndpoint(options.dbToken);
  for (const file of options.files ?? []) state.addFile(file);
  for (const record of options.ingested ?? []) db.mark(record.name, record.at.getTime());

  const log = new RequestLog();
  const faults = new FaultPlan(mixSeed(seed, 0xfa17));
  const closing = new AbortController();
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  const host = (endpoint: Endpoint, port: number | undefined) => {
    const server = serveEndpoint(endpoint, {
      port: port ?? 0,
      log,
      faults,
      now,
      closing: closing.signal,
      tls: options.tls,
    });
    servers.push(server);
    return server.addr.port;
  };
  const graphBaseUrl = () => `${origins.graph}/v1.0`;
  const scheme = options.tls ? "https" : "http";
  let ports: { login: number; db: number; identity: number };
  try {
    const graphPort = host(
      new GraphEndpoint({
        state,
        tokens,
        downloadUrls,
        pageSize: options.pageSize ?? 200,
        graphBaseUrl,
        delta,
        now,
      }),
      options.ports?.graph,
    );
    origins.graph = `${scheme}://127.0.0.1:${graphPort}`;
    origins.download = `${scheme}://${downloadHost}:${host(download, options.ports?.download)}`;
    const login = new LoginEndpoint({
      tenantId,
      tenantAliases: [`${hostname.split(".")[0]}.onmicrosoft.com`],
      clientId,
      clientSecret,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
      tokens,
      assertions: new AssertionVerifier({ certificate, now }),
      federated,
      random,
      extraScopes: [`${origins.graph}/.default`],
    });
    const identity = new IdentityEndpoint({
      tenantId,
      system: managedIdentity,
      userAssigned: options.managedIdentity?.userAssigned ?? [],
      identityHeader,
      arcTokensDir: options.managedIdentity?.arcTokensDir,
      extraResources: [origins.graph],
      tokens,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
      random,
    });
    ports = {
      login: host(login, options.ports?.login),
      db: host(db, options.ports?.db),
      identity: host(identity, options.identityPort),
    };
  } catch (error) {
    closing.abort();
    await Promise.all(servers.map((server) => server.shutdown()));
    throw error;
  }
  const parts: SimulatorParts = {
    identityHeader,
    managedIdentity,
    federated,
    tenantId,
    clientId,
    clientSecret,
    dbToken: options.dbToken,
    now,
    state,
    delta,
    log,
    faults,
    download,
    bodies,
    db,
    closing,
    servers,
  };
  const simulator = new RunningSimulator(parts, {
    graph: graphBaseUrl(),
    login: `${scheme}://127.0.0.1:${ports.login}`,
    db: `${scheme}://127.0.0.1:${ports.db}${DB_PATH}`,
    download: origins.download,
    identity: `${scheme}://127.0.0.1:${ports.identity}`,
  });
  return simulator;
}
