/**
 * Resolves `sharepoint_site_url` + `sharepoint_folder` to ids, the way SharePoint addresses them.
 *
 * "/Shared Documents/Reports" is not a folder path: "Shared Documents" is the URL segment of a
 * document library (drive) whose display name may be "Documents" or a localized title such as
 * "Dokumente". The library is found by matching drive `webUrl`s; the rest is the path inside it.
 * @module
 */
import { GraphError } from "../errors.ts";
import type { RemoteFolder } from "./sharepoint_client.ts";
import { type GraphApi, splitPath } from "./graph_api.ts";
import type { Drive, DriveItem } from "./wire_types.ts";

/** Folder names listed in a "does not exist" message, at most. */
const MAX_LISTED = 20;
/** Pages of siblings read for a "does not exist" message, at most. */
const MAX_SIBLING_PAGES = 3;

/** What to resolve. */
export interface ResolveTarget {
  /** `sharepoint_site_url`, e.g. "https://contoso.sharepoint.com/sites/Finance". */
  siteUrl: string;
  /** `sharepoint_folder`, e.g. "/Shared Documents/Reports" (library URL segment first). */
  folder: string;
}

/** A library chosen for a target path. */
export interface DriveMatch {
  drive: Drive;
  /** Decoded server-relative path of the library, e.g. "/sites/Finance/Shared Documents". */
  drivePath: string;
  /** Path inside the library, "" for its root. */
  pathInDrive: string;
}

/** Decoded server-relative path of a URL, without a trailing "/". */
export function decodedPath(url: string): string {
  const pathname = new URL(url).pathname;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = pathname;
  }
  return "/" + splitPath(decoded).join("/");
}

/**
 * Picks the library whose decoded `webUrl` path is the longest case-insensitive prefix (on
 * segment boundaries) of `targetPath`; `undefined` when none matches.
 */
export function pickDrive(drives: readonly Drive[], targetPath: string): DriveMatch | undefined {
  const target = "/" + splitPath(targetPath).join("/");
  const lowerTarget = target.toLowerCase();
  let best: DriveMatch | undefined;
  for (const drive of drives) {
    let drivePath: string;
    try {
      drivePath = decodedPath(drive.webUrl);
    } catch {
      continue;
    }
    const lower = drivePath.toLowerCase();
    if (lowerTarget !== lower && !lowerTarget.startsWith(lower + "/")) continue;
    if (best && best.drivePath.length >= drivePath.length) continue;
    best = { drive, drivePath, pathInDrive: target.slice(drivePath.length + 1) };
  }
  return best;
}

/** "\"Shared Documents\" (Documents), \"Archive\" (Archiv)": URL segment, then display name. */
export function describeLibraries(drives: readonly Drive[], sitePath: string): string {
  if (drives.length === 0) return "the site has no libraries";
  const names = drives.map((drive) => {
    const segment = librarySegment(drive, sitePath);
    return drive.name && drive.name !== segment ? `"${segment}" (${drive.name})` : `"${segment}"`;
  });
  return `libraries are ${names.join(", ")}`;
}

/**
 * Resolves `target` to a {@link RemoteFolder}. A 404 on the site lookup is retried once (Graph
 * has answered 404 for existing sites). Throws `GraphError` whose message lists the libraries, or
 * the folders of the deepest existing parent, when a piece is missing.
 */
export async function resolveFolder(
  api: GraphApi,
  target: ResolveTarget,
  signal?: AbortSignal,
): Promise<RemoteFolder> {
  const siteUrl = new URL(target.siteUrl);
  const sitePath = decodedPath(target.siteUrl).replace(/^\/$/, "");
  const site = await getSite(api, siteUrl.hostname, sitePath, signal);
  const drives = await api.listDrives(site.id, signal);
  const match = pickDrive(drives, `${sitePath}/${target.folder}`);
  if (!match) {
    const first = splitPath(target.folder)[0] ?? "";
    throw new GraphError(
      `Cannot resolve library "/${first}" on site ${target.siteUrl}: ${
        describeLibraries(drives, sitePath)
      }${titleHint(drives, first, sitePath)}`,
      { status: 404, code: "itemNotFound" },
    );
  }
  const item = await getFolderItem(api, match, target, signal);
  return {
    siteId: site.id,
    driveId: match.drive.id,
    driveName: match.drive.name,
    driveUrlSegment: splitPath(match.drivePath).at(-1) ?? "",
    itemId: item.id,
    pathInDrive: match.pathInDrive,
    webUrl: item.webUrl ?? match.drive.webUrl,
  };
}

async function getSite(api: GraphApi, host: string, sitePath: string, signal?: AbortSignal) {
  try {
    return await api.getSiteByPath(host, sitePath, signal);
  } catch (error) {
    if (!(error instanceof GraphError) || error.status !== 404) throw error;
    return await api.getSiteByPath(host, sitePath, signal);
  }
}

async function getFolderItem(
  api: GraphApi,
  match: DriveMatch,
  target: ResolveTarget,
  signal?: AbortSignal,
): Promise<DriveItem> {
  const what = `folder "${target.folder}" on site ${target.siteUrl}`;
  let item: DriveItem;
  try {
    item = await api.getItemByPath(match.drive.id, match.pathInDrive, signal);
  } catch (error) {
    if (!(error instanceof GraphError) || error.status !== 404) throw error;
    throw new GraphError(`Cannot resolve ${what}: ${await describeMissing(api, match, signal)}`, {
      cause: error,
      status: 404,
      code: error.code,
      requestId: error.requestId,
    });
  }
  if (!item.folder && match.pathInDrive !== "") {
    throw new GraphError(
      `Cannot resolve ${what}: "${item.name ?? match.pathInDrive}" is not a folder`,
    );
  }
  return item;
}

/** Walks down from the library root to the first missing segment and lists its siblings. */
async function describeMissing(api: GraphApi, match: DriveMatch, signal?: AbortSignal) {
  const segments = splitPath(match.pathInDrive);
  let parent = await api.getItemByPath(match.drive.id, "", signal);
  let parentLabel = `the library root of "${splitPath(match.drivePath).at(-1) ?? ""}"`;
  for (let i = 0; i < segments.length; i++) {
    const path = segments.slice(0, i + 1).join("/");
    let item: DriveItem | undefined;
    try {
      item = i === segments.length - 1
        ? undefined
        : await api.getItemByPath(match.drive.id, path, signal);
    } catch (error) {
      if (!(error instanceof GraphError) || error.status !== 404) throw error;
    }
    if (!item) {
      const folders = await folderNames(api, match.drive.id, parent.id, signal);
      const listed = folders.length === 0
        ? "it has no folders"
        : `its folders are ${formatNames(folders)}`;
      return `${parentLabel} has no folder "${segments[i]}"; ${listed}`;
    }
    parent = item;
    parentLabel = `"/${path}"`;
  }
  return "it does not exist";
}

async function folderNames(api: GraphApi, driveId: string, itemId: string, signal?: AbortSignal) {
  const names: string[] = [];
  let pages = 0;
  for await (const page of api.children(driveId, itemId, "the parent folder", signal)) {
    for (const child of page.value) if (child.folder && child.name) names.push(child.name);
    if (++pages >= MAX_SIBLING_PAGES) break;
  }
  return names.sort((a, b) => a.localeCompare(b));
}

function formatNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((n) => `"${n}"`).join(", ");
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

function librarySegment(drive: Drive, sitePath: string): string {
  let path: string;
  try {
    path = decodedPath(drive.webUrl);
  } catch {
    return drive.name;
  }
  const prefix = sitePath.toLowerCase() + "/";
  return path.toLowerCase().startsWith(prefix)
    ? path.slice(prefix.length)
    : (splitPath(path).at(-1) ?? drive.name);
}

/** Points out a display title used where the URL segment belongs ("Documents" for "Shared Documents"). */
function titleHint(drives: readonly Drive[], first: string, sitePath: string): string {
  const titled = drives.find((d) => d.name.toLowerCase() === first.toLowerCase());
  if (!titled) return "";
  const segment = librarySegment(titled, sitePath);
  return `; "${first}" is the title of library "${segment}": start sharepoint_folder with "/${segment}"`;
}
