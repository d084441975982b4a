/**
 * Pages a running simulator's delta feed of a folder through its Graph API, independently of the
 * tool's own client, and keeps only the page URLs and the files inside a time window: the
 * million-item baseline replays those URLs with curl and fetches those files.
 * @module
 */
import type { Simulator } from "../src/sim/types.ts";
import { getJson, simDrive } from "./sim_listing.ts";

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

/**
 * Pages the delta feed of `folder` ("/<library URL segment>/<path>") from scratch with the same
 * `$select` and `$top` as the tool, and notes the files modified since `since`.
 */
export async function pageSimDelta(
  sim: Simulator,
  folder: string,
  options: { since: Date; select: string; top: number },
): Promise<SimDeltaFeed> {
  const { authorization, base, driveId, path } = await simDrive(sim, folder);
  const { id: folderId } = await getJson<{ id: string }>(
    `${base}/drives/${driveId}/root:/${path}`,
    authorization,
  );
  const feed: SimDeltaFeed = { authorization, pageUrls: [], items: 0, fresh: [] };
  let next: string | undefined =
    `${base}/drives/${driveId}/items/${folderId}/delta?$select=${options.select}&$top=${options.top}`;
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
