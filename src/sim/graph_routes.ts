/**
 * Parses the Graph v1.0 URL paths the simulator answers, including path-based addressing:
 * "`:` … `:`" switches into a drive-relative path and back
 * (`/drives/{id}/root:/Reports/a%23b.csv:/content`). Colons are found in the raw (still
 * percent-encoded) path, and each segment is decoded on its own, so `%3A`, `%23`, `%25` and
 * `%2F`-free names round-trip.
 * @module
 */

/** A site by id or by host name and server-relative path. */
export type SiteRef = { id: string } | { hostname: string; path: string };

/** A drive by id, or the default library of a site. */
export type DriveRef = { id: string } | { site: SiteRef };

/** An item: the drive root or an item id, then an optional relative path. */
export interface ItemRef {
  drive: DriveRef;
  itemId: string | undefined;
  path: string[];
}

/** A recognised Graph request. */
export type GraphRoute =
  | { kind: "site"; site: SiteRef }
  | { kind: "drives"; site: SiteRef }
  | { kind: "drive"; drive: DriveRef }
  | { kind: "item" | "children" | "content" | "delta"; item: ItemRef };

/** Why a path was not recognised: the segment Graph would name in its error. */
export interface RouteError {
  segment: string;
}

/** Thrown inside the parser; turned into a {@link RouteError} at the boundary. */
class RouteFailure extends Error {
  override name = "RouteFailure";
  readonly segment: string;
  constructor(segment: string) {
    super(`Cannot route segment '${segment}'`);
    this.segment = segment;
  }
}

type Token = { kind: "segment"; value: string } | { kind: "path"; segments: string[] };

function tokenize(rawPath: string): Token[] {
  const tokens: Token[] = [];
  rawPath.split(":").forEach((block, index) => {
    const segments = block.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
    if (index % 2 === 1) tokens.push({ kind: "path", segments });
    else for (const value of segments) tokens.push({ kind: "segment", value });
  });
  return tokens;
}

class Cursor {
  #tokens: Token[];
  #index = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  get done(): boolean {
    return this.#index >= this.#tokens.length;
  }

  /** The next plain segment; throws a RouteError when the next token is missing or a path. */
  segment(): string {
    const token = this.#tokens[this.#index++];
    if (token?.kind !== "segment") throw new RouteFailure(token ? ":" : "");
    return token.value;
  }

  /** The next path block's segments, if the next token is one. */
  path(): string[] | undefined {
    const token = this.#tokens[this.#index];
    if (token?.kind !== "path") return undefined;
    this.#index++;
    return token.segments;
  }
}

function fail(segment: string): never {
  throw new RouteFailure(segment);
}

function parseSite(cursor: Cursor): SiteRef {
  const first = cursor.segment();
  const path = cursor.path();
  return path === undefined ? { id: first } : { hostname: first, path: `/${path.join("/")}` };
}

function parseDriveTail(cursor: Cursor, drive: DriveRef): GraphRoute {
  if (cursor.done) return { kind: "drive", drive };
  const base = cursor.segment();
  let itemId: string | undefined;
  if (base === "items") itemId = cursor.segment();
  else if (base !== "root") fail(base);
  const item: ItemRef = { drive, itemId, path: cursor.path() ?? [] };
  if (cursor.done) return { kind: "item", item };
  const action = cursor.segment();
  if (!cursor.done || (action !== "children" && action !== "content" && action !== "delta")) {
    fail(action);
  }
  return { kind: action, item };
}

/**
 * Parses `rawPath` (the part after "/v1.0", percent-encoded as received).
 * Returns the route, or a {@link RouteError} naming the segment Graph would reject.
 */
export function parseGraphPath(rawPath: string): GraphRoute | RouteError {
  try {
    const cursor = new Cursor(tokenize(rawPath));
    const root = cursor.segment();
    if (root === "drives") return parseDriveTail(cursor, { id: cursor.segment() });
    if (root !== "sites") fail(root);
    const site = parseSite(cursor);
    if (cursor.done) return { kind: "site", site };
    const next = cursor.segment();
    if (next === "drives" && cursor.done) return { kind: "drives", site };
    if (next === "drive") return parseDriveTail(cursor, { site });
    return fail(next);
  } catch (error) {
    if (error instanceof URIError) return { segment: rawPath };
    if (error instanceof RouteFailure) return { segment: error.segment };
    throw error;
  }
}

/** True when `value` is a {@link RouteError}. */
export function isRouteError(value: GraphRoute | RouteError): value is RouteError {
  return !("kind" in value);
}
