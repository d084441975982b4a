/**
 * The Graph v1.0 endpoints this tool calls, each a few lines over {@link Transport}.
 * Paths are built from ids and per-segment percent-encoded names; `@odata.nextLink` is followed
 * verbatim (never rebuilt from a `$skiptoken`).
 * @module
 */
import type { z } from "zod";
import { GraphError, type GraphErrorInfo } from "../errors.ts";
import { parseJson } from "../parse_json.ts";
import { redactUrl } from "../redact.ts";
import { graphErrorFromAnswer } from "./graph_errors.ts";
import type { AuthProvider, RequestSpec, Transport } from "../http/transport.ts";
import { PagingGuard } from "./paging_guard.ts";
import {
  type ChildrenPage,
  childrenPageSchema,
  type DeltaPage,
  deltaPageSchema,
  type Drive,
  type DriveItem,
  driveItemSchema,
  driveListSchema,
  type Site,
  siteSchema,
} from "./wire_types.ts";

/**
 * How SharePoint prices a request in resource units ([SPTHR] in graph-delta.md): a delta page
 * with a token 1, a delta page without one or a children page 2, any other Graph call 1. The
 * service does not report the price; it is estimated from the URL (a delta URL with a `token`
 * counts as "with a token", the nextLinks of a first enumeration included).
 */
export type RequestCost = "delta_token" | "multi_item" | "single";

/** Resource units of each {@link RequestCost}. */
export const RESOURCE_UNITS: Record<RequestCost, number> = {
  delta_token: 1,
  multi_item: 2,
  single: 1,
};

/** Graph calls made so far, as SharePoint counts them; `/content` calls are counted apart. */
export interface GraphUsage {
  requests: number;
  resourceUnits: number;
  /** `GET …/content` calls (downloads), not in `requests`. */
  downloads: number;
}

/** Counts Graph calls; one per client, read before and after a run. */
export class UsageMeter {
  #usage: GraphUsage = { requests: 0, resourceUnits: 0, downloads: 0 };

  /** One call of this cost. */
  record(cost: RequestCost): void {
    this.#usage.requests++;
    this.#usage.resourceUnits += RESOURCE_UNITS[cost];
  }

  /** One download (`/content`) call. */
  recordDownload(): void {
    this.#usage.downloads++;
  }

  /** A copy of the totals. */
  snapshot(): GraphUsage {
    return { ...this.#usage };
  }
}

/** The difference `after - before` of two {@link UsageMeter} snapshots. */
export function usageSince(before: GraphUsage, after: GraphUsage): GraphUsage {
  return {
    requests: after.requests - before.requests,
    resourceUnits: after.resourceUnits - before.resourceUnits,
    downloads: after.downloads - before.downloads,
  };
}

/**
 * A delta link is dead (HTTP 410, whatever the code: `resyncRequired`,
 * `resyncChangesApplyDifferences`, …): the caller must enumerate again from scratch, starting at
 * `location` (the fresh nextLink Graph sends in `Location`) when there is one.
 */
export class ResyncRequiredError extends GraphError {
  override name = "ResyncRequiredError";
  readonly location: string | undefined;
  constructor(message: string, info: GraphErrorInfo & { location?: string }) {
    super(message, info);
    this.location = info.location;
  }
}

/** The `$select` of delta requests: what a run needs, `content.downloadUrl` included. */
export const DELTA_SELECT = [
  "id",
  "name",
  "size",
  "eTag",
  "cTag",
  "createdDateTime",
  "lastModifiedDateTime",
  "file",
  "folder",
  "package",
  "root",
  "deleted",
  "parentReference",
  "content.downloadUrl",
  // Defender-flagged files are never downloaded (real-sharepoint-quirks.md §13).
  "malware",
].join(",");

/** Children per page: Graph's documented maximum (default 200). */
export const CHILDREN_PAGE_SIZE = 1000;

/**
 * Encodes one path segment with `encodeURIComponent` semantics: `#` → `%23`, `%` → `%25`,
 * space → `%20`, non-ASCII as UTF-8. An unencoded `#` would silently truncate the path.
 */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment);
}

/**
 * Encodes an opaque id (site, drive, item) for a path: only characters outside RFC 3986 `pchar`
 * are escaped, so ids like "host,guid,guid" or "b!abc" are sent as Graph shows them.
 */
export function encodeId(id: string): string {
  return id.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/g, (c) => encodeURIComponent(c));
}

/** Encodes a "/"-separated path segment by segment; empty segments are dropped. */
export function encodePath(path: string): string {
  return splitPath(path).map(encodeSegment).join("/");
}

/** Splits a "/"-separated path into its non-empty segments. */
export function splitPath(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

/** Options of {@link GraphApi}. */
export interface GraphApiOptions {
  transport: Transport;
  auth: AuthProvider;
  /** `graph_base_url`, e.g. "https://graph.microsoft.com/v1.0". */
  baseUrl: string;
  /** Counts the calls made; default a private meter. */
  meter?: UsageMeter;
}

/** Typed Graph calls. Every method throws `GraphError` (and its subclasses) or `AbortedError`. */
export class GraphApi {
  #transport: Transport;
  #auth: AuthProvider;
  #base: string;
  #meter: UsageMeter;

  constructor(options: GraphApiOptions) {
    this.#transport = options.transport;
    this.#auth = options.auth;
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#meter = options.meter ?? new UsageMeter();
  }

  /** The calls made through this API so far. */
  get meter(): UsageMeter {
    return this.#meter;
  }

  /** The transport (shared gate, timeout) for requests outside Graph, such as downloads. */
  get transport(): Transport {
    return this.#transport;
  }

  /** `GET /sites/{host}:/{server-relative-path}` (the root site for an empty path). */
  getSiteByPath(host: string, sitePath: string, signal?: AbortSignal): Promise<Site> {
    const relative = encodePath(sitePath);
    const path = relative ? `/sites/${host}:/${relative}` : `/sites/${host}`;
    return this.#get(path, siteSchema, `resolve site "${sitePath || "/"}" on ${host}`, signal);
  }

  /** Every document library of a site, across pages of `GET /sites/{id}/drives`. */
  async listDrives(siteId: string, signal?: AbortSignal): Promise<Drive[]> {
    const drives: Drive[] = [];
    let url: string | undefined = this.#url(`/sites/${encodeId(siteId)}/drives`);
    while (url) {
      this.#meter.record("multi_item");
      const page: z.infer<typeof driveListSchema> = await this.#transport.json(
        this.#spec(url, "list the libraries of the site", signal),
        driveListSchema,
      );
      drives.push(...page.value);
      url = this.#nextLink(page["@odata.nextLink"], "list the libraries of the site");
    }
    return drives;
  }

  /** `GET /drives/{d}/root` or `GET /drives/{d}/root:/{path}`. */
  getItemByPath(driveId: string, pathInDrive: string, signal?: AbortSignal): Promise<DriveItem> {
    const encoded = encodePath(pathInDrive);
    const path = encoded
      ? `/drives/${encodeId(driveId)}/root:/${encoded}`
      : `/drives/${encodeId(driveId)}/root`;
    return this.#get(path, driveItemSchema, `get folder "/${pathInDrive}"`, signal);
  }

  /** `GET /drives/{d}/items/{id}`: fresh metadata, including a fresh download URL. */
  getItem(driveId: string, itemId: string, what: string, signal?: AbortSignal): Promise<DriveItem> {
    const path = `/drives/${encodeId(driveId)}/items/${encodeId(itemId)}`;
    return this.#get(path, driveItemSchema, `get ${what}`, signal);
  }

  /**
   * Pages of `GET /drives/{d}/items/{id}/children?$top=1000`, following `@odata.nextLink` verbatim
   * until absent. Paging by id avoids the path-addressed nextLink bug.
   */
  async *children(
    driveId: string,
    itemId: string,
    what: string,
    signal?: AbortSignal,
  ): AsyncGenerator<ChildrenPage> {
    let url: string | undefined = this.#url(
      `/drives/${encodeId(driveId)}/items/${encodeId(itemId)}/children?$top=${CHILDREN_PAGE_SIZE}`,
    );
    const fetchPage = (pageUrl: string) => {
      this.#meter.record("multi_item");
      const pending = this.#transport.json(
        this.#spec(pageUrl, `list ${what}`, signal),
        childrenPageSchema,
      );
      // A consumer that stops early leaves the prefetched page unread; its failure is not news.
      pending.catch(() => {});
      return pending;
    };
    const guard = new PagingGuard(what);
    let next: Promise<ChildrenPage> | undefined = fetchPage(url);
    while (next) {
      const page: ChildrenPage = await next;
      guard.page(page.value.map((item) => item.id), url!);
      url = this.#nextLink(page["@odata.nextLink"], `list ${what}`);
      if (url) guard.follow(url);
      // The next page is requested before this one is handed over, so the server prepares it
      // while the caller filters this one: at most two pages are held at a time.
      next = url ? fetchPage(url) : undefined;
      yield page;
    }
  }

  /**
   * `GET /drives/{d}/items/{id}/content` without following the redirect: a 302 gives the
   * pre-authenticated URL in `Location`; a 200 (older behaviour) is the content itself.
   */
  async content(
    driveId: string,
    itemId: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<{ location: string } | { response: Response }> {
    const url = this.#url(
      `/drives/${encodeId(driveId)}/items/${encodeId(itemId)}/content`,
    );
    this.#meter.recordDownload();
    const spec = this.#spec(url, `download ${what}`, signal);
    const response = await this.#transport.open({
      ...spec,
      // A direct 200 must be the file's bytes, not a compressed form (§3).
      headers: { ...spec.headers, "accept-encoding": "identity" },
      redirect: "manual",
      passStatuses: [301, 302, 303, 307, 308],
    });
    if (response.status < 300) return { response };
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (!location) {
      throw new GraphError(`Cannot download ${what}: redirect without a Location`, {
        status: response.status,
        method: "GET",
        url: redactUrl(url),
      });
    }
    return { location: new URL(location, url).href };
  }

  /**
   * The first delta URL of an item: `GET /drives/{d}/items/{id}/delta?$select=…&$top=1000`
   * (`itemId` undefined: `/drives/{d}/root/delta`). Without a token it enumerates everything from
   * scratch; the service freezes `$select` and `$top` into the links it returns.
   */
  deltaUrl(driveId: string, itemId: string | undefined): string {
    const item = itemId === undefined ? "root" : `items/${encodeId(itemId)}`;
    return this.#url(
      `/drives/${
        encodeId(driveId)
      }/${item}/delta?$select=${DELTA_SELECT}&$top=${CHILDREN_PAGE_SIZE}`,
    );
  }

  /**
   * One page of a delta enumeration at `url` (a first URL, a nextLink or a saved deltaLink, used
   * verbatim). A URL with a `token` costs 1 resource unit, one without costs 2.
   * @throws {ResyncRequiredError} for HTTP 410: the link is dead.
   */
  async deltaPage(url: string, what: string, signal?: AbortSignal): Promise<DeltaPage> {
    const target = this.#sameOrigin(url, `list ${what}`);
    this.#meter.record(hasDeltaToken(target) ? "delta_token" : "multi_item");
    const spec: RequestSpec = {
      ...this.#spec(target, `list ${what}`, signal),
      passStatuses: [410],
    };
    const answer = await this.#transport.text(spec);
    if (answer.status === 410) {
      const error = graphErrorFromAnswer({ ...answer, body: answer.text }, {
        action: spec.action,
        method: "GET",
        url: target,
      });
      const location = answer.headers.get("location");
      throw new ResyncRequiredError(error.message, {
        status: 410,
        code: error.code,
        innerCode: error.innerCode,
        requestId: error.requestId,
        method: "GET",
        url: error.url,
        location: location ? new URL(location, target).href : undefined,
      });
    }
    return parseAnswer(answer.text, deltaPageSchema, spec);
  }

  #get<S extends z.ZodType>(path: string, schema: S, action: string, signal?: AbortSignal) {
    this.#meter.record("single");
    return this.#transport.json(this.#spec(this.#url(path), action, signal), schema);
  }

  #spec(url: string, action: string, signal: AbortSignal | undefined): RequestSpec {
    return { url, action, auth: this.#auth, signal, headers: { accept: "application/json" } };
  }

  #url(path: string): string {
    return `${this.#base}${path}`;
  }

  /** The next page's URL, verbatim; refuses to send the token to another origin. */
  #nextLink(link: string | undefined, action: string): string | undefined {
    if (!link) return undefined;
    return this.#sameOrigin(link, action);
  }

  /** `link` as an absolute URL, verbatim; refuses to send the token to another origin. */
  #sameOrigin(link: string, action: string): string {
    const next = new URL(link, this.#base);
    if (next.origin !== new URL(this.#base).origin) {
      throw new GraphError(
        `Cannot ${action}: the next page link points to another origin (${next.origin})`,
        { url: redactUrl(next.href) },
      );
    }
    return link.startsWith("http") ? link : next.href;
  }
}

/** True when a delta URL carries a state token (`?token=…` or `delta(token='…')`). */
export function hasDeltaToken(url: string): boolean {
  const parsed = new URL(url);
  return parsed.searchParams.has("token") ||
    /delta\(token=/i.test(decodeURIComponent(parsed.pathname));
}

function parseAnswer<S extends z.ZodType>(text: string, schema: S, spec: RequestSpec): z.infer<S> {
  const parsed = parseJson(text, schema);
  if (parsed.ok) return parsed.value;
  throw new GraphError(`Cannot ${spec.action}: ${parsed.reason}`, {
    cause: parsed.cause,
    method: "GET",
    url: redactUrl(spec.url),
  });
}
