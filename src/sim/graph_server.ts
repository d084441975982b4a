/**
 * The simulated Microsoft Graph v1.0 API for one SharePoint site: sites by path and id, drives,
 * items by id and by path, children with `$top`/`$skiptoken` paging, and `/content` redirects to
 * the download origin. Every call needs a bearer token from the simulated login server.
 * @module
 */
import {
  BROKEN_LOCATION_TOKEN,
  decodeDeltaToken,
  type DeltaControl,
  deltaPage,
  type DeltaToken,
  encodeDeltaToken,
  seqAt,
} from "./delta.ts";
import type { DownloadUrls } from "./download_urls.ts";
import {
  driveJson,
  itemJson,
  parseSelect,
  type RenderContext,
  selectProperties,
  siteJson,
} from "./graph_json.ts";
import {
  type DriveRef,
  type GraphRoute,
  isRouteError,
  type ItemRef,
  parseGraphPath,
  type SiteRef,
} from "./graph_routes.ts";
import { decodeSkipToken, encodeSkipToken, pageOf, parseTop } from "./paging.ts";
import { faultAnswer, graphError, graphHeaders, graphJson, malwareAnswer } from "./responses.ts";
import type { AnswerFault, Endpoint, RequestContext } from "./sim_server.ts";
import type { SimDrive, SimItem, SimState } from "./state.ts";
import { bearerToken, type TokenStore } from "./tokens.ts";

const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

/** Options of {@link GraphEndpoint}. */
export interface GraphOptions {
  state: SimState;
  tokens: TokenStore;
  downloadUrls: DownloadUrls;
  /** Children page size without `$top`. */
  pageSize: number;
  /** Resolved lazily: the server's own port is known only once it listens. */
  graphBaseUrl: () => string;
  delta: DeltaControl;
  now: () => number;
}

/** A failed lookup, answered with Graph's error envelope. */
class GraphFailure extends Error {
  override name = "GraphFailure";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function notFound(message = "The resource could not be found."): GraphFailure {
  return new GraphFailure(404, "itemNotFound", message);
}

/** The Graph server. */
export class GraphEndpoint implements Endpoint {
  readonly server = "graph" as const;
  #options: GraphOptions;

  constructor(options: GraphOptions) {
    this.#options = options;
  }

  handle(request: Request, context: RequestContext): Response {
    const auth = this.#checkToken(request, context);
    if (auth) return auth;
    const url = new URL(request.url);
    try {
      if (!url.pathname.startsWith("/v1.0/")) {
        throw new GraphFailure(400, "BadRequest", `Invalid version: ${url.pathname.split("/")[1]}`);
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        throw new GraphFailure(
          405,
          "invalidRequest",
          `The HTTP method '${request.method}' is not allowed`,
        );
      }
      const route = parseGraphPath(url.pathname.slice("/v1.0".length));
      if (isRouteError(route)) {
        throw new GraphFailure(
          400,
          "BadRequest",
          `Resource not found for the segment '${route.segment}'.`,
        );
      }
      return this.#dispatch(route, url, context);
    } catch (error) {
      if (!(error instanceof GraphFailure)) throw error;
      return graphError(error.status, context.ids, {
        code: error.code,
        message: error.message,
        now: context.now,
      });
    }
  }

  faultAnswer(fault: AnswerFault, request: Request, context: RequestContext): Response {
    if (fault.kind === "expire-token") {
      const token = bearerToken(request);
      if (token !== undefined) this.#options.tokens.expire(token);
      return this.#unauthorized("Access token has expired or is not yet valid.", context);
    }
    return faultAnswer(fault, context);
  }

  /** The file a request addresses: the last path segment, or the item's name by id. */
  fileName(url: URL): string | undefined {
    const route = parseGraphPath(url.pathname.replace(/^\/v1\.0/, ""));
    if (
      isRouteError(route) || !("item" in route) || route.kind === "children" ||
      route.kind === "delta"
    ) return undefined;
    const last = route.item.path.at(-1);
    if (last !== undefined) return last;
    return route.item.itemId === undefined ? undefined : this.#lookupName(route.item);
  }

  #lookupName(ref: ItemRef): string | undefined {
    try {
      return this.#item(ref).name;
    } catch {
      return undefined;
    }
  }

  #checkToken(request: Request, context: RequestContext): Response | undefined {
    const token = bearerToken(request);
    if (token === undefined) return this.#unauthorized("Access token is empty.", context);
    const status = this.#options.tokens.check(token);
    if (status === "valid") return undefined;
    return this.#unauthorized(
      status === "expired"
        ? "Access token has expired or is not yet valid."
        : "Access token validation failure.",
      context,
    );
  }

  #unauthorized(message: string, context: RequestContext): Response {
    return graphError(401, context.ids, {
      code: "InvalidAuthenticationToken",
      message,
      now: context.now,
      headers: { "www-authenticate": WWW_AUTHENTICATE },
    });
  }

  #render(): RenderContext {
    const o = this.#options;
    return { state: o.state, downloadUrls: o.downloadUrls, graphBaseUrl: o.graphBaseUrl() };
  }

  #dispatch(route: GraphRoute, url: URL, context: RequestContext): Response {
    const state = this.#options.state;
    const select = parseSelect(queryParam(url, "select"));
    const base = this.#options.graphBaseUrl();
    switch (route.kind) {
      case "site":
        this.#site(route.site);
        return graphJson({
          "@odata.context": `${base}/$metadata#sites/$entity`,
          ...siteJson(state),
        }, context.ids);
      case "drives":
        this.#site(route.site);
        return graphJson({
          "@odata.context": `${base}/$metadata#drives`,
          value: state.drives.map((drive) => selectProperties(driveJson(state, drive), select)),
        }, context.ids);
      case "drive":
        return graphJson({
          "@odata.context": `${base}/$metadata#drives/$entity`,
          ...selectProperties(driveJson(state, this.#drive(route.drive)), select),
        }, context.ids);
      case "item": {
        const item = this.#item(route.item);
        return graphJson({
          "@odata.context": `${base}/$metadata#drives('${
            encodeURIComponent(item.driveId)
          }')/items/$entity`,
          ...itemJson(this.#render(), item, select),
        }, context.ids);
      }
      case "children":
        return this.#children(this.#item(route.item), url, context);
      case "delta":
        return this.#delta(route.item, url, context);
      case "content": {
        const item = this.#item(route.item);
        if (!item.file) throw notFound("The item is not a file.");
        if (item.file.quirks?.malware) return malwareAnswer(context);
        const location = this.#options.downloadUrls.mint(item);
        return new Response(null, {
          status: 302,
          headers: graphHeaders(context.ids, { location, "content-length": "0" }),
        });
      }
    }
  }

  #children(folder: SimItem, url: URL, context: RequestContext): Response {
    if (queryParam(url, "filter") !== undefined) {
      // SharePoint-backed drives do not support $filter on children.
      throw new GraphFailure(400, "invalidRequest", "Invalid request");
    }
    const top = parseTop(queryParam(url, "top") ?? null);
    if (Number.isNaN(top)) throw new GraphFailure(400, "invalidRequest", "Invalid value for $top");
    const skipToken = queryParam(url, "skiptoken") ?? queryParam(url, "skipToken");
    const cursor = skipToken === undefined ? undefined : decodeSkipToken(skipToken);
    if (skipToken !== undefined && cursor === undefined) {
      throw new GraphFailure(400, "invalidRequest", "Invalid skip token");
    }
    const size = top ?? this.#options.pageSize;
    const page = pageOf(this.#options.state.children(folder), size, cursor);
    const select = queryParam(url, "select");
    const selected = parseSelect(select);
    const render = this.#render();
    const base = render.graphBaseUrl;
    const body: Record<string, unknown> = {
      "@odata.context": `${base}/$metadata#drives('${
        encodeURIComponent(folder.driveId)
      }')/items('${folder.id}')/children`,
      value: page.items.map((item) => itemJson(render, item, selected)),
    };
    const last = page.items.at(-1);
    const loop = this.#options.delta.quirks.childrenLoop;
    if (loop !== undefined) {
      // This page again, behind the same link or a fresh one, forever (§11).
      const again = new URL(url);
      if (loop === "fresh-link") {
        again.searchParams.set("n", String(Number(again.searchParams.get("n") ?? 0) + 1));
      }
      body["@odata.nextLink"] = again.href;
    } else if (page.more && last !== undefined) {
      const query = [
        ...(top === undefined ? [] : [`$top=${top}`]),
        ...(select === undefined ? [] : [`$select=${encodeURIComponent(select)}`]),
        `$skiptoken=${encodeSkipToken(last, page.start + page.items.length)}`,
      ];
      body["@odata.nextLink"] = `${base}/drives/${folder.driveId}/items/${folder.id}/children?${
        query.join("&")
      }`;
    }
    return graphJson(body, context.ids);
  }

  /**
   * `…/delta`: the first call (no token) enumerates the scope; `token=latest` answers no items
   * and a deltaLink; a timestamp token starts at that time; our own tokens continue a feed.
   */
  #delta(ref: ItemRef, url: URL, context: RequestContext): Response {
    const o = this.#options;
    const scope = this.#item(ref);
    const isRoot = scope.parent === undefined;
    if (!isRoot && !o.delta.folderDelta) {
      throw new GraphFailure(501, "notSupported", "view.delta can only be called on the root.");
    }
    if (!scope.folder) throw new GraphFailure(400, "invalidRequest", "The item is not a folder.");
    const base = o.graphBaseUrl();
    const path = `${base}/drives/${scope.driveId}/${isRoot ? "root" : `items/${scope.id}`}/delta`;
    const raw = url.searchParams.get("token") ?? undefined;
    const quirks = o.delta.quirks;
    if (raw === BROKEN_LOCATION_TOKEN) {
      throw new GraphFailure(500, "generalException", "An unspecified error has occurred.");
    }
    const token = this.#deltaToken(raw, scope.driveId, isRoot ? null : scope.id, url);
    const resync = isRoot ? quirks.rootResync : quirks.folderResync;
    if (resync || o.delta.epoch !== token.e || o.now() - token.at > o.delta.lifetimeMs) {
      const fresh = new URL(path);
      if (quirks.brokenLocation) fresh.searchParams.set("token", BROKEN_LOCATION_TOKEN);
      if (token.sel !== null) fresh.searchParams.set("$select", token.sel);
      if (token.top !== null) fresh.searchParams.set("$top", String(token.top));
      return graphError(410, context.ids, {
        code: "resyncRequired",
        message: "Resync required. Replace any local items with the server's version " +
          "(including deletes) if you're sure that the service was up to date with your local " +
          "changes when you last sync'd. Upload any local changes that the server doesn't know about.",
        now: context.now,
        headers: { location: fresh.href },
      });
    }
    const body: Record<string, unknown> = {
      "@odata.context": `${base}/$metadata#Collection(driveItem)`,
      value: [],
    };
    const link = (next: Partial<DeltaToken>) =>
      `${path}?token=${encodeDeltaToken({ ...token, ...next })}`;
    if (raw === "latest") {
      body["@odata.deltaLink"] = link({ s: o.state.seq, u: null, c: 0, at: o.now() });
      return graphJson(body, context.ids);
    }
    const upTo = token.u ?? o.state.seq;
    const page = deltaPage(o.state, scope, token, upTo, token.top ?? o.pageSize);
    const render = this.#render();
    const select = parseSelect(token.sel ?? undefined);
    body.value = page.entries.map((entry) => {
      if ("tombstone" in entry) {
        return {
          id: entry.tombstone.id,
          deleted: { state: "deleted" },
          parentReference: { driveType: "documentLibrary", driveId: scope.driveId },
        };
      }
      const json = itemJson(render, entry.item, select);
      const parent = json.parentReference as Record<string, unknown> | undefined;
      // Delta never fills parentReference.path: clients must track items by id.
      if (parent !== undefined) delete parent.path;
      delete json.cTag;
      return json;
    });
    if (quirks.loop !== undefined) {
      // The same page again, behind the same link or a fresh one, forever (§11).
      body["@odata.nextLink"] = quirks.loop === "same-link"
        ? link({ u: upTo })
        : link({ u: upTo, n: (token.n ?? 0) + 1 });
    } else if (page.next !== undefined) {
      body["@odata.nextLink"] = link({ u: upTo, c: page.next });
    } else {
      body["@odata.deltaLink"] = link({ s: upTo, u: null, c: 0, at: o.now() });
    }
    return graphJson(body, context.ids);
  }

  #deltaToken(raw: string | undefined, drive: string, scope: string | null, url: URL): DeltaToken {
    const o = this.#options;
    const top = parseTop(queryParam(url, "top") ?? null);
    if (Number.isNaN(top)) throw new GraphFailure(400, "invalidRequest", "Invalid value for $top");
    const fresh: DeltaToken = {
      e: o.delta.epoch,
      d: drive,
      r: scope,
      s: 0,
      u: null,
      c: 0,
      sel: queryParam(url, "select") ?? null,
      top: top ?? null,
      at: o.now(),
    };
    if (raw === undefined || raw === "latest") return fresh;
    if (/^\d{4}-\d{2}-\d{2}T/.test(raw)) {
      const at = Date.parse(raw);
      if (Number.isNaN(at)) throw new GraphFailure(400, "invalidRequest", "Invalid token");
      return { ...fresh, s: Math.max(1, seqAt(o.state, at)) };
    }
    const token = decodeDeltaToken(raw);
    if (token === undefined || token.d !== drive || token.r !== scope) {
      throw new GraphFailure(400, "invalidRequest", "Invalid token");
    }
    return token;
  }

  #site(ref: SiteRef): void {
    const site = this.#options.state.site;
    if ("id" in ref) {
      if (ref.id.toLowerCase() !== site.id.toLowerCase()) {
        throw notFound("Requested site could not be found");
      }
      return;
    }
    if (ref.hostname.toLowerCase() !== site.hostname.toLowerCase()) {
      throw new GraphFailure(400, "invalidRequest", "Invalid hostname for this tenancy");
    }
    const path = ref.path.replace(/\/+$/, "") || "/";
    if (path.toLowerCase() !== site.path.toLowerCase()) {
      throw notFound("Requested site could not be found");
    }
  }

  #drive(ref: DriveRef): SimDrive {
    if ("site" in ref) {
      this.#site(ref.site);
      return this.#options.state.defaultDrive;
    }
    const drive = this.#options.state.driveById(ref.id);
    if (drive === undefined) throw notFound();
    return drive;
  }

  #item(ref: ItemRef): SimItem {
    const state = this.#options.state;
    const drive = this.#drive(ref.drive);
    const base = ref.itemId === undefined ? drive.root : state.item(drive.id, ref.itemId);
    const item = base === undefined ? undefined : state.resolve(base, ref.path);
    if (item === undefined) throw notFound();
    return item;
  }
}

/** An OData query option, given with or without its "$" prefix. */
function queryParam(url: URL, name: string): string | undefined {
  return url.searchParams.get(`$${name}`) ?? url.searchParams.get(name) ?? undefined;
}
