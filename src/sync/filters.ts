/**
 * Which listed files a run considers: glob include/exclude on the name, minimum age. Pure functions.
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
  #include: RegExp[];
  #exclude: RegExp[];
  #minAgeMs: number;

  constructor(options: FileFilterOptions) {
    this.#include = options.include.map(globToRegExp);
    this.#exclude = options.exclude.map(globToRegExp);
    this.#minAgeMs = options.minAgeMs;
  }

  /** `undefined` when `file` passes, else why it does not (checked in the order of the type). */
  verdict(file: Pick<RemoteFile, "name" | "lastModified">, now: number): FilterVerdict | undefined {
    if (!this.#include.some((re) => re.test(file.name))) return "not_included";
    if (this.#exclude.some((re) => re.test(file.name))) return "excluded";
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
