/**
 * Microsoft Graph JSON shapes of the simulated site, drives and drive items, modelled on real
 * SharePoint answers: `eTag` `"{GUID},n"`, `cTag` `"c:{guid},n"` (files only),
 * `parentReference.path` `/drives/{id}/root:/…`, percent-encoded `webUrl`s under the library's
 * URL segment, `file.hashes.quickXorHash`, and `@microsoft.graph.downloadUrl` on files.
 * @module
 */
import type { DownloadUrls } from "./download_urls.ts";
import { isoSeconds } from "./responses.ts";
import { encodePath } from "./names.ts";
import { fileHash, type SimDrive, type SimFileData, type SimItem, type SimState } from "./state.ts";

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

/** What an item property is computed from. */
interface ItemView {
  context: RenderContext;
  item: SimItem;
  drive: SimDrive;
  /** Names from the drive root to the item. */
  names: string[];
}

/** driveItem properties in Graph's order; a property whose value is undefined is left out. */
const ITEM_PROPERTIES: [string, (view: ItemView) => unknown][] = [
  ["@microsoft.graph.downloadUrl", (v) => v.item.file && v.context.downloadUrls.mint(v.item)],
  ["createdDateTime", (v) => isoSeconds(v.item.created)],
  ["eTag", (v) => `"{${v.item.uniqueId.toUpperCase()}},${v.item.version}"`],
  ["id", (v) => v.item.id],
  ["lastModifiedDateTime", (v) => isoSeconds(v.item.modified)],
  ["name", (v) => v.item.file?.quirks?.omit === "name" ? undefined : v.item.name],
  ["webUrl", (v) => `${driveWebUrl(v.context.state, v.drive)}${encodePath(v.names)}`],
  ["cTag", (v) => v.item.file && `"c:{${v.item.uniqueId}},${v.item.contentVersion}"`],
  [
    "size",
    (v) => v.item.file?.quirks?.omit === "size" ? undefined : v.context.state.sizeOf(v.item),
  ],
  ["createdBy", () => EDITOR],
  ["lastModifiedBy", () => EDITOR],
  ["parentReference", parentReference],
  ["file", (v) => v.item.file && fileFacet(v.item.file)],
  ["fileSystemInfo", (v) => ({
    createdDateTime: isoSeconds(v.item.created),
    lastModifiedDateTime: isoSeconds(v.item.modified),
  })],
  ["folder", (v) => v.item.folder && { childCount: v.item.folder.children.size }],
  ["root", (v) => v.item.parent === undefined ? {} : undefined],
  ["shared", () => ({ scope: "users" })],
  ["malware", (v) => malwareFacet(v.item.file)],
];

/** The `malware` facet of a flagged file (real-sharepoint-quirks.md §13). */
function malwareFacet(file: SimFileData | undefined): Record<string, unknown> | undefined {
  const malware = file?.quirks?.malware;
  if (malware === undefined || malware.facet === false) return undefined;
  return { description: "Trojan:Win32/Simulated.A!ml" };
}

function fileFacet(file: SimFileData): Record<string, unknown> {
  const hash = fileHash(file);
  return { mimeType: file.mimeType, hashes: hash === undefined ? {} : { quickXorHash: hash } };
}

/**
 * The `driveItem` resource; files get a fresh download URL each time they are rendered.
 * With `select` (from {@link parseSelect}) only those properties (and `id`) are computed.
 */
export function itemJson(
  context: RenderContext,
  item: SimItem,
  select?: ReadonlySet<string>,
): Record<string, unknown> {
  const view: ItemView = {
    context,
    item,
    drive: context.state.driveById(item.driveId)!,
    names: context.state.pathOf(item),
  };
  const json: Record<string, unknown> = {};
  for (const [name, compute] of ITEM_PROPERTIES) {
    if (select !== undefined && name !== "id" && !select.has(name)) continue;
    const value = compute(view);
    if (value !== undefined) json[name] = value;
  }
  return json;
}

function parentReference({ context, item, drive, names }: ItemView): Record<string, unknown> {
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

/**
 * The property names of a `$select` option, or undefined when absent. SharePoint answers
 * `content.downloadUrl` with the `@microsoft.graph.downloadUrl` annotation.
 */
export function parseSelect(select: string | undefined): ReadonlySet<string> | undefined {
  if (select === undefined || select.trim() === "") return undefined;
  const wanted = new Set(select.split(",").map((s) => s.trim()));
  if (wanted.has("content.downloadUrl")) wanted.add("@microsoft.graph.downloadUrl");
  return wanted;
}

/** Keeps only the selected properties (plus `id`) of an already rendered resource. */
export function selectProperties(
  json: Record<string, unknown>,
  select: ReadonlySet<string> | undefined,
): Record<string, unknown> {
  if (select === undefined) return json;
  return Object.fromEntries(
    Object.entries(json).filter(([key]) => key === "id" || select.has(key)),
  );
}
