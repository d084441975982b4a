/**
 * The simulated SharePoint download origin behind `@microsoft.graph.downloadUrl`:
 * `GET {sitePath}/_layouts/15/download.aspx?UniqueId=…&Translate=false&tempauth=…&ApiVersion=2.0`.
 * It refuses requests that carry `Authorization` (401; unless `acceptAuthorization`, as real
 * SharePoint usually ignores the header), reordered or forged URLs (401) and expired ones (403);
 * honours a single `Range` (206, or 416) unless an `If-Range` names another eTag (then 200 with
 * the whole current file, RFC 9110 §13.1.5); and streams bodies chunk by chunk from what the item
 * serves (its rewritten bytes when SharePoint rewrote it). It counts how many bodies stream at
 * the same time.
 * @module
 */
import { readRange, sourceSize } from "./content.ts";
import { DOWNLOAD_PATH, type DownloadUrls, type TempAuthGrant } from "./download_urls.ts";
import { faultAnswer, graphError, graphHeaders, malwareAnswer } from "./responses.ts";
import type { AnswerFault, Endpoint, RequestContext } from "./sim_server.ts";
import type { SimItem, SimState } from "./state.ts";
import type { SimDownloadBodies } from "./types.ts";

/** Options of {@link DownloadEndpoint}. */
export interface DownloadOptions {
  state: SimState;
  downloadUrls: DownloadUrls;
  /** Ignore an `Authorization` header instead of answering 401. */
  acceptAuthorization?: boolean;
  /** How bodies are sent (chunked, gzip); changed in place by `Simulator.setDownloadBodies`. */
  bodies?: SimDownloadBodies;
}

/** Parses a single `bytes=` range against `size`: [start, end) or "unsatisfiable"; undefined = ignore. */
export function parseRange(
  header: string | null,
  size: number,
): [number, number] | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (match === null) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return [Math.max(0, size - suffix), size];
  }
  const start = Number(first);
  const end = last === "" ? size : Math.min(size, Number(last) + 1);
  if (start >= size || end <= start) return "unsatisfiable";
  return [start, end];
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The download server. */
export class DownloadEndpoint implements Endpoint {
  readonly server = "download" as const;
  #options: DownloadOptions;
  #active = 0;
  #peak = 0;

  constructor(options: DownloadOptions) {
    this.#options = options;
  }

  /** Highest number of bodies streamed at the same time. */
  get peakConcurrent(): number {
    return this.#peak;
  }

  handle(request: Request, context: RequestContext): Response {
    const url = new URL(request.url);
    const fail = (status: number, code: string, message: string) =>
      graphError(status, context.ids, { code, message, now: context.now });
    const sitePath = this.#options.state.site.path;
    if (safeDecode(url.pathname).toLowerCase() !== `${sitePath}${DOWNLOAD_PATH}`.toLowerCase()) {
      return fail(404, "itemNotFound", "The resource could not be found.");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return fail(405, "invalidRequest", `The HTTP method '${request.method}' is not allowed`);
    }
    if (request.headers.has("authorization") && !this.#options.acceptAuthorization) {
      return fail(
        401,
        "unauthenticated",
        "Pre-authenticated download URLs must be requested without an Authorization header.",
      );
    }
    const grant = this.#options.downloadUrls.check(url.search);
    if (grant === "invalid") return fail(401, "unauthenticated", "Invalid tempauth token.");
    if (grant === "expired") return fail(403, "accessDenied", "The tempauth token has expired.");
    const item = this.#item(grant);
    if (item === undefined) return fail(404, "itemNotFound", "The resource could not be found.");
    return this.#serve(item, request, context);
  }

  faultAnswer(fault: AnswerFault, _request: Request, context: RequestContext): Response {
    if (fault.kind === "expire-url") {
      return graphError(403, context.ids, {
        code: "accessDenied",
        message: "The tempauth token has expired.",
        now: context.now,
      });
    }
    return faultAnswer(fault, context);
  }

  /** The name of the file a download URL points at. */
  fileName(url: URL): string | undefined {
    const grant = this.#options.downloadUrls.check(url.search);
    return typeof grant === "string" ? undefined : this.#item(grant)?.name;
  }

  #item(grant: TempAuthGrant): SimItem | undefined {
    const item = this.#options.state.item(grant.driveId, grant.itemId);
    return item?.file && item.uniqueId === grant.uniqueId ? item : undefined;
  }

  #serve(item: SimItem, request: Request, context: RequestContext): Response {
    const file = item.file!;
    if (file.quirks?.malware) return malwareAnswer(context);
    const source = file.served ?? file.source;
    const size = sourceSize(source);
    const etag = `"{${item.uniqueId.toUpperCase()}},${item.version}"`;
    const headers = graphHeaders(context.ids, {
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(item.name)}`,
      etag,
      "last-modified": new Date(item.modified).toUTCString(),
    });
    const ifRange = request.headers.get("if-range");
    const changed = ifRange !== null && ifRange !== etag;
    const range = changed ? undefined : parseRange(request.headers.get("range"), size);
    if (range === "unsatisfiable") {
      return graphError(416, context.ids, {
        code: "invalidRange",
        message: "The requested range is not satisfiable.",
        now: context.now,
        headers: { "content-range": `bytes */${size}` },
      });
    }
    const [start, end] = range ?? [0, size];
    const bodies = this.#options.bodies ?? {};
    const gzip = bodies.gzip === true && range === undefined;
    // Deno.serve sends a stream body without Content-Length chunked (§3).
    if (!bodies.chunked && !gzip) headers.set("content-length", String(end - start));
    if (range) headers.set("content-range", `bytes ${start}-${end - 1}/${size}`);
    const status = range ? 206 : 200;
    if (request.method === "HEAD" || end === start) return new Response(null, { status, headers });
    let body: ReadableStream<Uint8Array> = this.#body(
      readRange(source, start, end),
      context.closing,
    );
    if (gzip) {
      // Compressed whatever Accept-Encoding asked for, as a misbehaving host would.
      headers.set("content-encoding", "gzip");
      body = body.pipeThrough(
        new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
      );
    }
    return new Response(body, { status, headers });
  }

  /** Streams `chunks`, counting the body as active from the first pull to its end or cancel. */
  #body(chunks: AsyncGenerator<Uint8Array>, closing: AbortSignal): ReadableStream<Uint8Array> {
    let counted = false;
    const finish = () => {
      if (counted) this.#active--;
      counted = false;
    };
    return new ReadableStream<Uint8Array>({
      start: () => {
        counted = true;
        this.#active++;
        this.#peak = Math.max(this.#peak, this.#active);
      },
      pull: async (controller) => {
        if (closing.aborted) {
          finish();
          controller.error(new DOMException("The simulator is closing", "AbortError"));
          return;
        }
        try {
          const { done, value } = await chunks.next();
          if (!done) return controller.enqueue(value);
          finish();
          controller.close();
        } catch (error) {
          finish();
          throw error;
        }
      },
      cancel: async () => {
        finish();
        await chunks.return(undefined);
      },
    }, { highWaterMark: 0 });
  }
}
