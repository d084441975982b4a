/**
 * Files below the configured folder (`include_subfolders`): the relative path of a file, the
 * name it is compared and placed under in each `subfolder_layout`, and which paths are safe to
 * write. Pure functions.
 *
 * - `mirror`: `2026/12/x.csv` is placed at `ingestion_dir/2026/12/x.csv`; the name compared with
 *   the DB service's answer and with `ingestion_dir` is `2026/12/x.csv` (always `/`).
 * - `flatten`: the same file is placed at `ingestion_dir/2026__12__x.csv` (with the default
 *   `flatten_separator`), and that is the name compared.
 * @module
 */
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import { type NameOs, unsafeNameReason } from "./safe_names.ts";

/** How files below the folder are laid out in `ingestion_dir`. */
export interface SubfolderNaming {
  layout: "mirror" | "flatten";
  /** Joins the segments of a flattened name. */
  separator: string;
}

/** The settings that decide {@link SubfolderNaming}. */
export interface SubfolderSettings {
  include_subfolders: boolean;
  subfolder_layout: "mirror" | "flatten";
  flatten_separator: string;
}

/** The naming of `settings`, or undefined when subfolders are not included. */
export function subfolderNaming(settings: SubfolderSettings): SubfolderNaming | undefined {
  if (!settings.include_subfolders) return undefined;
  return { layout: settings.subfolder_layout, separator: settings.flatten_separator };
}

/**
 * `file` found at `segments` below the folder (the folders, then the file's own name): `path`
 * is the segments joined with `/`, `name` the name to compare and place under `naming`.
 */
export function withRelativePath(
  file: RemoteFile,
  segments: readonly string[],
  naming: SubfolderNaming,
): RemoteFile {
  // SharePoint names never hold "/"; a hostile listing's would split one segment in two. As "\\"
  // it stays one segment, which unsafeFileReason refuses on every OS.
  const kept = segments.map((segment) => segment.replaceAll("/", "\\"));
  const path = kept.join("/");
  const name = naming.layout === "mirror" ? path : kept.join(naming.separator);
  return { ...file, name, path };
}

/**
 * Why `file` must not be written on `os`, or undefined. Every segment of its relative path,
 * folder or file, must pass {@link unsafeNameReason}; a refused folder names the folder, so every
 * file of that subtree fails with the same reason. A flattened name must pass as one name too.
 * A file without a path (subfolders not included) is checked by its name alone.
 */
export function unsafeFileReason(
  file: Pick<RemoteFile, "name" | "path">,
  os: NameOs,
): string | undefined {
  if (file.path === undefined) return unsafeNameReason(file.name, os);
  const segments = file.path.split("/");
  for (const [index, segment] of segments.entries()) {
    const reason = unsafeNameReason(segment, os);
    if (reason === undefined) continue;
    if (index === segments.length - 1) return reason;
    const folder = segments.slice(0, index + 1).join("/");
    return `the folder ${JSON.stringify(folder)} is refused: ${reason}`;
  }
  if (file.name === file.path) return undefined;
  const reason = unsafeNameReason(file.name, os);
  return reason === undefined ? undefined : `the flattened name is refused: ${reason}`;
}

/**
 * A name from the DB service's answer as the run compares it. In `mirror` layout a watcher on
 * Windows may record `2026\12\x.csv`; SharePoint names never hold `\`, so it is read as `/`.
 */
export function comparableIngestedName(name: string, naming: SubfolderNaming | undefined): string {
  return naming?.layout === "mirror" ? name.replaceAll("\\", "/") : name;
}

/** For `check`: whether subfolders are included and in which layout. */
export function describeSubfolders(settings: SubfolderSettings): string {
  if (!settings.include_subfolders) return "subfolders not included (include_subfolders = false)";
  return settings.subfolder_layout === "mirror"
    ? "subfolders included, mirrored (2026/12/x.csv)"
    : `subfolders included, flattened with ${JSON.stringify(settings.flatten_separator)} ` +
      `(2026${settings.flatten_separator}12${settings.flatten_separator}x.csv)`;
}

/** `name (path)` when a flattened name differs from its relative path, else `name`. */
export function describeFile(file: Pick<RemoteFile, "name" | "path">): string {
  return file.path === undefined || file.path === file.name
    ? file.name
    : `${file.name} (${file.path})`;
}
