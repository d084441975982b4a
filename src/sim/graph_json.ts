/**
 * Microsoft Graph JSON shapes of the simulated site, drives and drive items, modelled on real
 * SharePoint answers: `eTag` `"{GUID},n"`, `cTag` `"c:{guid},n"` (files only),
 * `parentReference.path` `/drives/{id}/root:/…`, percent-encoded `webUrl`s under the library's
 * URL segment, `file.hashes.quickXorHash`, and `@microsoft.graph.downloadUrl` on files.
 * @module
 */
import type { DownloadUrls } from "./download_urls.ts";
import { isoSeconds } from "./responses.ts";
import { encodePath, type SimDrive, type SimItem, type SimState } from "./state.ts";

const SYSTEM_USER = { user: { displayName: "System Account" } };
const EDITOR = { user: { email: "finance.bot@contoso.com", displayName: "Finance Bot" } };

/** What rendering needs besides the item. */
export interface RenderContext {
  state: SimState;
  downloadUrls: DownloadUrls;
  /** e.g. "http://127.0.0.1:PORT/v1.0". */
  graphBaseUrl: string;
}

/** The library's `webUrl`: the site URL plus its encoded URL segment. */
export function driveWebUrl(state: SimState, drive: SimDrive): string {
  return `${state.site.webUrl}${encodePath([drive.urlSegment])}`;
}

/** The `site` resource. */
export function siteJson(state: SimState): Record<string, unknown> {
  const site = state.site;
  const [, siteGuid, webGuid] = site.id.split(",");
  return {
    createdDateTime: isoSeconds(site.created),
    description: "",
    id: site.id,
    lastModifiedDateTime: isoSeconds(site.created),
    name: site.name,
    webUrl: site.webUrl,
    displayName: site.name,
    root: {},
    siteCollection: { hostname: site.hostname },
    sharepointIds: { siteId: siteGuid, siteUrl: site.webUrl, webId: webGuid },
  };
}

/** The `drive` resource of a document library. */
export function driveJson(state: SimState, drive: SimDrive): Record<string, unknown> {
  const used = state.sizeOf(drive.root);
  return {
    createdDateTime: isoSeconds(drive.created),
    description: "",
    id: drive.id,
    lastModifiedDateTime: isoSeconds(drive.root.modified),
    name: drive.name,
    webUrl: driveWebUrl(state, drive),
    driveType: "documentLibrary",
    createdBy: SYSTEM_USER,
    lastModifiedBy: SYSTEM_USER,
    owner: { group: { displayName: `${state.site.name} Owners` } },
    quota: {
      deleted: 0,
      remaining: 27_487_790_694_400 - used,
      state: "normal",
      total: 27_487_790_694_400,
      used,
    },
  };
}

/** The `driveItem` resource; files get a fresh download URL each time they are rendered. */
export function itemJson(context: RenderContext, item: SimItem): Record<string, unknown> {
  const { state } = context;
  const drive = state.driveById(item.driveId)!;
  const names = state.pathOf(item);
  const json: Record<string, unknown> = {};
  if (item.file) json["@microsoft.graph.downloadUrl"] = context.downloadUrls.mint(item);
  Object.assign(json, {
    createdDateTime: isoSeconds(item.created),
    eTag: `"{${item.uniqueId.toUpperCase()}},${item.version}"`,
    id: item.id,
    lastModifiedDateTime: isoSeconds(item.modified),
    name: item.name,
    webUrl: `${driveWebUrl(state, drive)}${encodePath(names)}`,
  });
  if (item.file) json.cTag = `"c:{${item.uniqueId}},${item.version}"`;
  json.size = state.sizeOf(item);
  json.createdBy = EDITOR;
  json.lastModifiedBy = EDITOR;
  json.parentReference = parentReference(context, item, drive, names);
  if (item.file) {
    const hashes = item.file.quickXorHash === undefined
      ? {}
      : { quickXorHash: item.file.quickXorHash };
    json.file = { mimeType: item.file.mimeType, hashes };
  }
  json.fileSystemInfo = {
    createdDateTime: isoSeconds(item.created),
    lastModifiedDateTime: isoSeconds(item.modified),
  };
  if (item.folder) json.folder = { childCount: item.folder.children.size };
  if (item.parent === undefined) json.root = {};
  json.shared = { scope: "users" };
  return json;
}

function parentReference(
  context: RenderContext,
  item: SimItem,
  drive: SimDrive,
  names: readonly string[],
): Record<string, unknown> {
  const reference: Record<string, unknown> = {
    driveType: "documentLibrary",
    driveId: drive.id,
  };
  if (item.parent === undefined) return reference;
  const parentNames = names.slice(0, -1);
  reference.id = item.parent.id;
  reference.name = item.parent.parent === undefined ? drive.urlSegment : item.parent.name;
  reference.path = `/drives/${drive.id}/root:${parentNames.map((n) => `/${n}`).join("")}`;
  reference.siteId = context.state.site.id;
  return reference;
}

/** Keeps only the `$select`ed properties (plus `id`), like Graph does. */
export function selectProperties(
  json: Record<string, unknown>,
  select: string | undefined,
): Record<string, unknown> {
  if (select === undefined || select.trim() === "") return json;
  const wanted = new Set(select.split(",").map((s) => s.trim()));
  // SharePoint answers `content.downloadUrl` with the download URL annotation.
  if (wanted.has("content.downloadUrl")) wanted.add("@microsoft.graph.downloadUrl");
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === "id" || wanted.has(key)) out[key] = value;
  }
  return out;
}
