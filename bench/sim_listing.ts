/**
 * Lists a folder of a running simulator through its Graph API, independently of the tool's own
 * client: app-only token, site by path, library by URL segment, then the children pages.
 * The benchmark baselines use the page and download URLs; the reliability tests use the
 * announced QuickXorHash to check files the tool placed.
 * @module
 */
import type { Simulator } from "../src/sim/types.ts";

/** One file of the listing as Graph announced it. */
export interface ListedFile {
  name: string;
  size: number;
  /** Base64 QuickXorHash, when Graph announced one. */
  quickXorHash: string | undefined;
  /** Pre-authenticated URL on the download origin (no token needed). */
  downloadUrl: string;
  lastModified: Date;
}

/** What {@link listSimFolder} found. */
export interface SimListing {
  /** `Authorization` header value valid for the simulator's Graph API. */
  authorization: string;
  /** Every children page URL requested, in order (replayable: skip tokens are key-based). */
  pageUrls: string[];
  files: ListedFile[];
}

interface ChildrenPage {
  value?: {
    name?: string;
    size?: number;
    file?: { hashes?: { quickXorHash?: string } };
    lastModifiedDateTime?: string;
    "@microsoft.graph.downloadUrl"?: string;
  }[];
  "@odata.nextLink"?: string;
}

/** An app-only access token from the simulator's login server. */
export async function simToken(sim: Simulator): Promise<string> {
  const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope: "https://graph.microsoft.com/.default",
      grant_type: "client_credentials",
    }),
  });
  const body = await response.json() as { access_token?: string };
  if (!response.ok || !body.access_token) {
    throw new Error(`Cannot get a simulator token: HTTP ${response.status}`);
  }
  return body.access_token;
}

/** GETs `url` from the simulator as JSON; any other status than 2xx throws. */
export async function getJson<T>(url: string, authorization: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization } });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot read ${url}: HTTP ${response.status}`);
  }
  return await response.json() as T;
}

/** The simulator's drive of `folder` ("/<library URL segment>/<path>"), and a token for it. */
export interface SimDrive {
  authorization: string;
  /** `graph_base_url` of the simulator. */
  base: string;
  driveId: string;
  /** The folder's path below the library, URL-encoded segment by segment ("" for its root). */
  path: string;
}

/** Resolves `folder` ("/<library URL segment>/<path>", like `sharepoint_folder`) to its drive. */
export async function simDrive(sim: Simulator, folder: string): Promise<SimDrive> {
  const authorization = `Bearer ${await simToken(sim)}`;
  const site = new URL(sim.siteUrl);
  const base = sim.graphBaseUrl;
  const { id: siteId } = await getJson<{ id: string }>(
    `${base}/sites/${site.hostname}:${site.pathname}`,
    authorization,
  );
  const { value: drives } = await getJson<{ value: { id: string; webUrl: string }[] }>(
    `${base}/sites/${siteId}/drives`,
    authorization,
  );
  const [library = "", ...rest] = folder.split("/").filter((s) => s !== "");
  const drive = drives.find((d) =>
    decodeURIComponent(d.webUrl).toLowerCase().endsWith(`/${library.toLowerCase()}`)
  );
  if (drive === undefined) throw new Error(`Cannot find library ${library} in the simulator`);
  return { authorization, base, driveId: drive.id, path: encodeSegments(rest.join("/")) };
}

function encodeSegments(path: string): string {
  return path.split("/").filter((s) => s !== "").map(encodeURIComponent).join("/");
}

/**
 * Lists the files of `folder` ("/<library URL segment>/<path>", like `sharepoint_folder`),
 * all pages, `$top` items per page (default 1000).
 */
export async function listSimFolder(
  sim: Simulator,
  folder: string,
  options: { top?: number } = {},
): Promise<SimListing> {
  const { authorization, base, driveId, path } = await simDrive(sim, folder);
  const root = path === "" ? "root" : `root:/${path}:`;
  let next: string | undefined = `${base}/drives/${driveId}/${root}/children?$top=${
    options.top ?? 1000
  }`;
  const listing: SimListing = { authorization, pageUrls: [], files: [] };
  while (next !== undefined) {
    listing.pageUrls.push(next);
    const page: ChildrenPage = await getJson<ChildrenPage>(next, authorization);
    for (const item of page.value ?? []) {
      const url = item["@microsoft.graph.downloadUrl"];
      if (item.file === undefined || url === undefined) continue;
      listing.files.push({
        name: item.name ?? "",
        size: item.size ?? 0,
        quickXorHash: item.file.hashes?.quickXorHash,
        downloadUrl: url,
        lastModified: new Date(item.lastModifiedDateTime ?? 0),
      });
    }
    next = page["@odata.nextLink"];
  }
  return listing;
}
