/**
 * Pages a running simulator's delta feed of a folder through its Graph API, independently of the
 * tool's own client, and keeps only the page URLs and the files inside a time window: the
 * million-item baseline replays those URLs with curl and fetches those files.
 * @module
 */
import type { Simulator } from "../src/sim/types.ts";
import { simToken } from "./sim_listing.ts";

/** What {@link pageSimDelta} found. */
export interface SimDeltaFeed {
  authorization: string;
  /** Every delta page URL requested, in order (the tokens are cursors: replayable). */
  pageUrls: string[];
  /** Items seen (files and folders). */
  items: number;
  /** Download URLs of the files modified at or after `since` (each once: pages may repeat one). */
  fresh: string[];
}

interface DeltaPage {
  value?: {
    file?: unknown;
    lastModifiedDateTime?: string;
    "@microsoft.graph.downloadUrl"?: string;
  }[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

async function getJson<T>(url: string, authorization: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization } });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot read ${url}: HTTP ${response.status}`);
  }
  return await response.json() as T;
}

/**
 * Pages the delta feed of `folder` ("/<library URL segment>/<path>") from scratch with the same
 * `$select` and `$top` as the tool, and notes the files modified since `since`.
 */
export async function pageSimDelta(
  sim: Simulator,
  folder: string,
  options: { since: Date; select: string; top: number },
): Promise<SimDeltaFeed> {
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
  const path = rest.map(encodeURIComponent).join("/");
  const { id: folderId } = await getJson<{ id: string }>(
    `${base}/drives/${drive.id}/root:/${path}`,
    authorization,
  );
  const feed: SimDeltaFeed = { authorization, pageUrls: [], items: 0, fresh: [] };
  let next: string | undefined =
    `${base}/drives/${drive.id}/items/${folderId}/delta?$select=${options.select}&$top=${options.top}`;
  const since = options.since.getTime();
  const fresh = new Set<string>();
  while (next !== undefined) {
    feed.pageUrls.push(next);
    const page: DeltaPage = await getJson<DeltaPage>(next, authorization);
    for (const item of page.value ?? []) {
      feed.items++;
      const url = item["@microsoft.graph.downloadUrl"];
      if (item.file === undefined || url === undefined) continue;
      if (Date.parse(item.lastModifiedDateTime ?? "") >= since) fresh.add(url);
    }
    next = page["@odata.nextLink"];
  }
  feed.fresh = [...fresh];
  return feed;
}
