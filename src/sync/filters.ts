/**
 * Which listed files a run considers: glob include/exclude on the name, minimum age. Pure functions.
 *
 * With `include_subfolders` a file has a relative path (`2026/12/x.csv`): a pattern holding `/`
 * matches that path (see {@link pathGlobToRegExp}), a pattern without `/` matches the file's own
 * name at any depth, so patterns written for one folder keep their meaning.
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { RemoteFile } from "../graph/sharepoint_client.ts";

/**
 * A case-insensitive matcher for a glob on a file name (SharePoint names are case-insensitive):
 * `*` any run of characters, `?` one character, `[abc]` / `[a-z]` one of, `[!abc]` / `[^abc]` none of.
 * Every other character, `/` included, matches itself; an unclosed `[` matches a literal `[`.
 * @throws {ConfigError} for a class the engine rejects, like `[z-a]`.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else if (char === "[") {
      const end = classEnd(glob, i);
      if (end === -1) source += "\\[";
      else {
        source += classSource(glob.slice(i + 1, end));
        i = end;
      }
    } else source += escapeChar(char);
  }
  try {
    return new RegExp(`^${source}$`, "iu");
  } catch (error) {
    throw new ConfigError(`Cannot use the glob "${glob}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * A case-insensitive matcher for a glob on a relative path with `/` separators. A segment that is
 * exactly `**` matches any number of folders, none included: `Archive/**` is everything below
 * `Archive`, and `2026`, `**`, `*.csv` joined by `/` is a `.csv` at any depth below `2026`.
 * Elsewhere `*` and `?` stay within one segment, and classes work as in {@link globToRegExp}.
 * @throws {ConfigError} for a class the engine rejects.
 */
export function pathGlobToRegExp(glob: string): RegExp {
  const segments = glob.split("/");
  let source = "";
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === "**") {
      // Zero or more whole folders, then the rest; at the end, anything below.
      source += last ? (i === 0 ? "[\\s\\S]*" : "[\\s\\S]+") : "(?:[^/]*/)*";
      continue;
    }
    source += segmentSource(segment) + (last ? "" : "/");
  }
  try {
    return new RegExp(`^${source}$`, "iu");
  } catch (error) {
    throw new ConfigError(`Cannot use the glob "${glob}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** One path segment of a glob: `*` and `?` do not cross `/`. */
function segmentSource(segment: string): string {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === "*") {
      while (segment[i + 1] === "*") i++;
      source += "[^/]*";
    } else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = classEnd(segment, i);
      if (end === -1) source += "\\[";
      else {
        source += classSource(segment.slice(i + 1, end));
        i = end;
      }
    } else source += escapeChar(char);
  }
  return source;
}

/** A compiled include/exclude pattern and what it is matched against. */
interface Pattern {
  re: RegExp;
  /** True: the relative path; false: the file's own name. */
  onPath: boolean;
}

function compilePattern(glob: string): Pattern {
  return glob.includes("/")
    ? { re: pathGlobToRegExp(glob), onPath: true }
    : { re: globToRegExp(glob), onPath: false };
}

function matchesPattern(pattern: Pattern, file: Pick<RemoteFile, "name" | "path">): boolean {
  if (file.path === undefined) return pattern.re.test(file.name);
  const subject = pattern.onPath ? file.path : file.path.slice(file.path.lastIndexOf("/") + 1);
  return pattern.re.test(subject);
}

/** True when `name` matches `glob` (see {@link globToRegExp}). */
export function matchesGlob(name: string, glob: string): boolean {
  return globToRegExp(glob).test(name);
}

/** Why a file is left out by the filters. */
export type FilterVerdict = "not_included" | "excluded" | "too_new";

/** Options of {@link FileFilter}. */
export interface FileFilterOptions {
  /** Globs a name must match at least one of (`["*"]` keeps all). */
  include: readonly string[];
  /** Globs that leave a name out, even when included. */
  exclude: readonly string[];
  /** A file must have been modified at least this long before `now` (a file still being uploaded). */
  minAgeMs: number;
}

/** Applies include/exclude globs and the minimum age to listed files. */
export class FileFilter {
  #include: Pattern[];
  #exclude: Pattern[];
  #minAgeMs: number;

  constructor(options: FileFilterOptions) {
    this.#include = options.include.map(compilePattern);
    this.#exclude = options.exclude.map(compilePattern);
    this.#minAgeMs = options.minAgeMs;
  }

  /** `undefined` when `file` passes, else why it does not (checked in the order of the type). */
  verdict(
    file: Pick<RemoteFile, "name" | "lastModified" | "path">,
    now: number,
  ): FilterVerdict | undefined {
    if (!this.#include.some((p) => matchesPattern(p, file))) return "not_included";
    if (this.#exclude.some((p) => matchesPattern(p, file))) return "excluded";
    if (this.#minAgeMs > 0 && now - file.lastModified.getTime() < this.#minAgeMs) return "too_new";
    return undefined;
  }
}

function classEnd(glob: string, start: number): number {
  let i = start + 1;
  if (glob[i] === "!" || glob[i] === "^") i++;
  if (glob[i] === "]") i++;
  const end = glob.indexOf("]", i);
  return end;
}

function classSource(body: string): string {
  let negate = false;
  if (body.startsWith("!") || body.startsWith("^")) {
    negate = true;
    body = body.slice(1);
  }
  const chars = [...body].map((c) => (c === "-" ? "-" : escapeClassChar(c))).join("");
  return `[${negate ? "^" : ""}${chars}]`;
}

function escapeChar(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}

function escapeClassChar(char: string): string {
  return /[\]\\^[]/.test(char) ? `\\${char}` : char;
}
