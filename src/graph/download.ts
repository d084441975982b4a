/**
 * Downloads one file through its pre-authenticated URL.
 *
 * The URL (`@microsoft.graph.downloadUrl`, or the `Location` of `/content`'s 302) needs no token
 * and must not get one: download hosts answer 401/403 when a Graph `Authorization` is sent. The
 * URL is short-lived, so a 401/403 from the download host re-fetches the item for a fresh URL
 * once per attempt (and never renews the Graph token); the caller reuses it in later attempts.
 *
 * Two layers of integrity: the transfer must deliver every byte the answer announces, else the
 * attempt failed and is retried; the content is then verified against the listing, where files
 * SharePoint rewrites may differ (`verification.ts`). A resumable destination is continued with
 * `Range: bytes=N-` (Range goes to the pre-authenticated URL, never to `/content`, [CONTENT]).
 *
 * Hostile answers (real-sharepoint-quirks.md §3, §4, §13, §14): downloads ask for
 * `Accept-Encoding: identity`; a body without `Content-Length` that ends cleanly is complete; a
 * body that is not the file (an HTML page, a wrong signature for a rewritten type) is an
 * integrity failure (`body_check.ts`); a file flagged as malware throws `MalwareError` before any
 * byte is written and is never taken for an expired URL; a 403 that a fresh URL does not cure is
 * "access denied", a permanent per-file failure.
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { AbortedError, GraphError, IngestError, IntegrityError, TimeoutError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import { IdleWatchdog } from "../http/idle_watchdog.ts";
import type { GraphApi } from "./graph_api.ts";
import { QuickXorHash } from "./quickxorhash.ts";
import type { DownloadOptions, DownloadResult, RemoteFile } from "./sharepoint_client.ts";
import { announcedLength, continuesPrefix } from "./range_response.ts";
import { currentVersion, rangeHeaders } from "./same_version.ts";
import { hashPrefix, type StreamedFile, streamToFile } from "./stream_to_file.ts";
import { verifyDownload } from "./verification.ts";
import { checkBody, needsHead, readHead } from "./body_check.ts";
import { isMalware, screenDownload } from "./malware.ts";

/** What {@link downloadFile} needs. */
export interface DownloadDeps {
  api: GraphApi;
  clock: Clock;
  logger: Logger;
}

type Source = { url: string } | { response: Response };

/** fdatasync slice of resumable partials: at most this much is lost to a power cut. */
export const PARTIAL_SYNC_BYTES = 8 * 1024 * 1024;

/**
 * Bodies up to this size with an announced length are read in one call: per file, one native
 * read instead of a chunk loop (see bench/README.md). The idle timeout then covers the whole
 * body, progress is reported once, and a broken transfer cannot say how far it got.
 */
export const WHOLE_BODY_BYTES = 128 * 1024;

/** Bytes already in the destination, and their running hash. */
interface Prefix {
  offset: number;
  hash: QuickXorHash;
}

/**
 * Streams `file` into `destination` (see `SharePointClient.downloadFile`).
 * Throws `GraphError`, `ThrottledError`, `TimeoutError`, `IntegrityError`, `MalwareError` or
 * `AbortedError`;
 * a new destination never remains after a failure, a resumable one keeps its verified-order
 * prefix unless the content was wrong.
 */
export async function downloadFile(
  deps: DownloadDeps,
  listed: RemoteFile,
  destination: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  let file = listed;
  const what = `"${file.name}"`;
  let prefix: Prefix = { offset: 0, hash: new QuickXorHash() };
  if (options.resume) prefix.offset = await hashPrefix(destination, prefix.hash);
  let source: Source | undefined = file.downloadUrl ? { url: file.downloadUrl } : undefined;
  let renewed = false;
  let versionChecked = false;
  for (;;) {
    throwIfAborted(options.signal, what);
    // One controller per attempt: aborted by the body's idle watchdog or by the run's signal
    // (followed through one listener, released after the attempt; cheaper than `AbortSignal.any`).
    const idle = followingController(options.signal);
    try {
      const signal = idle.signal;
      if (prefix.offset > 0 && !versionChecked) {
        versionChecked = true;
        const now = await currentVersion(deps.api, file, what, signal);
        if (now.changed) {
          deps.logger.info("Starting {name} over: it changed since its partial download began", {
            name: file.name,
            offset: prefix.offset,
            etag: now.file.eTag,
          });
          prefix = { offset: 0, hash: new QuickXorHash() };
          source = now.file.downloadUrl ? { url: now.file.downloadUrl } : undefined;
          file = now.file;
        }
      }
      if (source === undefined) {
        source = await freshSource(deps.api, file, what, signal);
        if ("url" in source) options.onFreshUrl?.(source.url);
      }
      let response: Response;
      let url: string;
      if ("response" in source) {
        response = source.response;
        url = response.url;
        source = undefined;
        await screenDownload(response, { name: file.name, url });
      } else {
        url = source.url;
        const ranged = prefix.offset > 0;
        try {
          response = await deps.api.transport.open({
            url: source.url,
            action: `download ${what}`,
            signal,
            // The file's own bytes: Deno's fetch otherwise asks for gzip/br and decodes them.
            headers: {
              "accept-encoding": "identity",
              ...(ranged ? rangeHeaders(file, prefix.offset) : {}),
            },
            // A 403 is read here: malware (§13) is told apart from an expired URL (§6).
            passStatuses: ranged ? [403, 416] : [403],
          });
          await screenDownload(response, { name: file.name, url: source.url });
        } catch (error) {
          if (!isRejectedUrl(error)) throw error;
          if (renewed) throw deniedAfterRefresh(error as GraphError, what);
          renewed = true;
          source = undefined;
          deps.logger.info("Download URL of {name} was rejected ({status}); fetching a fresh one", {
            name: file.name,
            status: (error as GraphError).status,
          });
          continue;
        }
      }
      if (prefix.offset > 0) {
        // A range of a compressed representation cannot be decoded on its own.
        const kept = isEncoded(response) ? "restart" : continuesPrefix(response, prefix.offset);
        if (kept === "restart") {
          await response.body?.cancel().catch(() => {});
          deps.logger.info("Cannot resume {name} at byte {offset} ({status}); starting over", {
            name: file.name,
            offset: prefix.offset,
            status: response.status,
          });
          prefix = { offset: 0, hash: new QuickXorHash() };
          continue;
        }
        if (kept === "complete") {
          await response.body?.cancel().catch(() => {});
          deps.logger.info("The partial download of {name} is already complete", {
            name: file.name,
            offset: prefix.offset,
          });
          const streamed = {
            bytes: prefix.offset,
            received: 0,
            quickXorHash: prefix.hash.digestBase64(),
          };
          const announced = { length: 0, total: prefix.offset };
          return withVersion(
            await conclude(file, destination, options, {
              streamed,
              announced,
              url,
              prefix,
              contentType: undefined,
            }),
            listed,
            file,
          );
        }
        if (kept === "full") {
          deps.logger.info("The server ignored the Range request for {name}; starting over", {
            name: file.name,
            offset: prefix.offset,
          });
          prefix = { offset: 0, hash: new QuickXorHash() };
        } else {
          deps.logger.info("Resuming {name} at byte {offset}", {
            name: file.name,
            offset: prefix.offset,
          });
        }
      }
      return withVersion(
        await stream(deps, file, destination, options, { response, url, idle, what, prefix }),
        listed,
        file,
      );
    } finally {
      idle.release();
    }
  }
}

/** `result`, naming the version downloaded when it is not the listed one. */
function withVersion(
  result: DownloadResult,
  listed: RemoteFile,
  downloaded: RemoteFile,
): DownloadResult {
  return downloaded === listed ? result : { ...result, current: downloaded };
}

/** An `AbortController` that also aborts when `outer` does, until {@link release}. */
interface FollowingController extends AbortController {
  release(): void;
}

function followingController(outer: AbortSignal | undefined): FollowingController {
  const controller = new AbortController() as FollowingController;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  controller.release = () => outer?.removeEventListener("abort", onAbort);
  return controller;
}

interface StreamContext {
  response: Response;
  url: string;
  idle: FollowingController;
  what: string;
  prefix: Prefix;
}

async function stream(
  deps: DownloadDeps,
  file: RemoteFile,
  destination: string,
  options: DownloadOptions,
  context: StreamContext,
): Promise<DownloadResult> {
  const timeoutMs = deps.api.transport.requestTimeoutMs;
  const watchdog = new IdleWatchdog({
    clock: deps.clock,
    timeoutMs,
    onIdle: () => context.idle.abort(new DOMException("The body stalled", "TimeoutError")),
  });
  const announced = announcedLength(context.response);
  /** Bytes the whole file should have, for messages: the 206 total, else the listed size. */
  const total = context.response.status === 206 ? announced?.total ?? file.size : file.size;
  const resume = options.resume ?? false;
  let bytes = context.prefix.offset;
  let streamed: StreamedFile;
  try {
    streamed = await streamToFile(identityBody(context.response, context.what), {
      destination,
      expectedSize: file.size,
      ...(resume
        ? { resume: context.prefix, keepOnError: true, syncEveryBytes: PARTIAL_SYNC_BYTES }
        : {}),
      ...(!resume && announced !== undefined && announced.length <= WHOLE_BODY_BYTES
        ? { wholeBody: true }
        : {}),
      onProgress: (written) => {
        bytes = written;
        watchdog.touch();
        options.onProgress?.(written);
      },
      ...(options.onBodyWritten ? { onBodyWritten: options.onBodyWritten } : {}),
    });
  } catch (error) {
    throwIfAborted(options.signal, context.what, error);
    const url = redactUrl(context.url);
    if (watchdog.fired) {
      throw new TimeoutError(
        `Cannot download ${context.what}: no data for ${timeoutMs / 1000} s after ${bytes} bytes` +
          " (request_timeout_seconds)",
        { cause: error, method: "GET", url },
      );
    }
    if (error instanceof IngestError || error instanceof Deno.errors.AlreadyExists) throw error;
    throw new GraphError(
      `Cannot download ${context.what}: the transfer broke after ${bytes} of ${total} bytes`,
      { cause: error, method: "GET", url },
    );
  } finally {
    watchdog.stop();
  }
  return await conclude(file, destination, options, {
    streamed,
    announced,
    url: context.url,
    prefix: context.prefix,
    contentType: context.response.headers.get("content-type") ?? undefined,
  });
}

/**
 * Transfer integrity, then content verification, of what `destination` now holds.
 *
 * A body that got here ended without a stream error, and that is proof the transfer is complete
 * even without `Content-Length` (real-sharepoint-quirks.md §3: OneDrive for Business sends
 * downloads chunked; Content-Length has gone missing from SharePoint downloads): Deno's body read
 * throws on a chunked or HTTP/2 body cut short, as Go's does. So the rewrite exemption applies to
 * chunked bodies too, and {@link checkBody} then makes sure the bytes are at least the format.
 */
async function conclude(
  file: RemoteFile,
  destination: string,
  options: DownloadOptions,
  context: {
    streamed: StreamedFile;
    announced: { length: number; total: number } | undefined;
    url: string;
    prefix: Prefix;
    /** The answer's Content-Type; undefined when no body was read (a kept prefix was complete). */
    contentType: string | undefined;
  },
): Promise<DownloadResult> {
  const { streamed, announced } = context;
  const what = `"${file.name}"`;
  const resume = options.resume ?? false;
  const total = announced?.total ?? file.size;
  if (
    announced !== undefined &&
    (streamed.received !== announced.length || streamed.bytes !== announced.total)
  ) {
    const longer = streamed.received > announced.length || streamed.bytes > announced.total;
    if (!resume || longer) await Deno.remove(destination).catch(() => {});
    throw new GraphError(
      longer
        ? `Cannot download ${what}: received ${streamed.bytes} bytes, the server announced ${announced.total}`
        : `Cannot download ${what}: the transfer broke after ${streamed.bytes} of ${total} bytes`,
      { method: "GET", url: redactUrl(context.url) },
    );
  }
  const verification = verifyDownload({
    name: file.name,
    listedSize: file.size,
    listedHash: file.quickXorHash,
    verifyHash: options.verifyHash,
    receivedSize: streamed.bytes,
    receivedHash: streamed.quickXorHash,
    transferComplete: true,
    rewrittenExtensions: options.rewrittenExtensions ?? [],
  });
  if (verification.kind === "mismatch") {
    await Deno.remove(destination).catch(() => {});
    throw new IntegrityError(verification.message);
  }
  const problem = checkBody({
    name: file.name,
    contentType: context.contentType,
    verification,
    head: needsHead(file.name, verification) ? await readHead(destination) : new Uint8Array(0),
  });
  if (problem !== undefined) {
    await Deno.remove(destination).catch(() => {});
    throw new IntegrityError(problem);
  }
  return {
    bytes: streamed.bytes,
    quickXorHash: streamed.quickXorHash,
    verification,
    resumedFrom: context.prefix.offset,
  };
}

/** A fresh download URL from the item's metadata, else `/content` (302 Location, or the bytes). */
async function freshSource(
  api: GraphApi,
  file: RemoteFile,
  what: string,
  signal: AbortSignal,
): Promise<Source> {
  const item = await api.getItem(file.driveId, file.id, what, signal);
  const url = item["@microsoft.graph.downloadUrl"];
  if (url) return { url };
  const content = await api.content(file.driveId, file.id, what, signal);
  return "location" in content ? { url: content.location } : content;
}

/** A 401/403 answer of the download host: the pre-authenticated URL expired or was revoked. */
function isRejectedUrl(error: unknown): boolean {
  return error instanceof GraphError && !isMalware(error) &&
    (error.status === 401 || error.status === 403);
}

/**
 * A 403 that a fresh download URL did not cure is no expired URL: the app may read the listing
 * but not the file (real-sharepoint-quirks.md §14: `Sites.Selected`, list-level grants). It is a
 * permanent per-file failure, not a reason to back off and try again.
 */
function deniedAfterRefresh(error: GraphError, what: string): GraphError {
  if (error.status !== 403) return error;
  return new GraphError(
    `Cannot download ${what}: access denied (403) even with a fresh download URL; the app may ` +
      "lack read access to this file (Sites.Selected or a list-level grant)",
    {
      cause: error,
      status: 403,
      code: error.code ?? "accessDenied",
      method: "GET",
      ...(error.url ? { url: error.url } : {}),
      ...(error.requestId ? { requestId: error.requestId } : {}),
    },
  );
}

/** True when the answer's body is content-encoded (not the file's own bytes). */
function isEncoded(response: Response): boolean {
  const encoding = response.headers.get("content-encoding")?.trim().toLowerCase();
  return encoding !== undefined && encoding !== "" && encoding !== "identity";
}

/**
 * The file's bytes of an answer. Downloads ask for `Accept-Encoding: identity`, and then Deno's
 * fetch leaves a compressed answer as it is (it decodes only what it asked for itself), so a
 * server that compresses anyway is decoded here (gzip, deflate); any other coding cannot be.
 * A compressed body cut short fails in the decoder, so a clean end still proves completeness.
 */
function identityBody(response: Response, what: string): ReadableStream<Uint8Array> | null {
  if (!isEncoded(response) || response.body === null) return response.body;
  const encoding = response.headers.get("content-encoding")!.trim().toLowerCase();
  const format = encoding === "gzip" || encoding === "x-gzip"
    ? "gzip"
    : encoding === "deflate"
    ? "deflate"
    : undefined;
  if (format === undefined) {
    response.body.cancel().catch(() => {});
    throw new GraphError(
      `Cannot download ${what}: the server sent it with Content-Encoding ${encoding}, which ` +
        "this tool cannot decode",
      { method: "GET", url: redactUrl(response.url) },
    );
  }
  return response.body.pipeThrough(new DecompressionStream(format));
}

function throwIfAborted(signal: AbortSignal | undefined, what: string, cause?: unknown): void {
  if (signal?.aborted) {
    throw new AbortedError(`Cannot download ${what}: the run was aborted`, {
      cause: cause ?? signal.reason,
    });
  }
}
