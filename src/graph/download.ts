/**
 * Downloads one file through its pre-authenticated URL.
 *
 * The URL (`@microsoft.graph.downloadUrl`, or the `Location` of `/content`'s 302) needs no token
 * and must not get one: download hosts answer 401/403 when a Graph `Authorization` is sent. The
 * URL is short-lived, so a 401/403 from the download host re-fetches the item for a fresh URL
 * once (and never renews the Graph token).
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { AbortedError, GraphError, IngestError, ThrottledError, TimeoutError } from "../errors.ts";
import { redactUrl } from "../http/http_error.ts";
import { IdleWatchdog } from "../http/idle_watchdog.ts";
import type { GraphApi } from "./graph_api.ts";
import type { DownloadOptions, DownloadResult, RemoteFile } from "./sharepoint_client.ts";
import { streamToFile } from "./stream_to_file.ts";

/** What {@link downloadFile} needs. */
export interface DownloadDeps {
  api: GraphApi;
  clock: Clock;
  logger: Logger;
}

type Source = { url: string } | { response: Response };

/**
 * Streams `file` into the new file `destination` (see `SharePointClient.downloadFile`).
 * Throws `GraphError`, `ThrottledError`, `TimeoutError`, `IntegrityError` or `AbortedError`;
 * the destination never remains after a failure.
 */
export async function downloadFile(
  deps: DownloadDeps,
  file: RemoteFile,
  destination: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const what = `"${file.name}"`;
  let source: Source | undefined = file.downloadUrl ? { url: file.downloadUrl } : undefined;
  let renewed = false;
  for (;;) {
    throwIfAborted(options.signal, what);
    const idle = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    source ??= await freshSource(deps.api, file, what, signal);
    let response: Response;
    let url: string;
    if ("response" in source) {
      response = source.response;
      url = response.url;
    } else {
      url = source.url;
      try {
        response = await deps.api.transport.open({
          url: source.url,
          action: `download ${what}`,
          signal,
        });
      } catch (error) {
        if (renewed || !isRejectedUrl(error)) throw error;
        renewed = true;
        source = undefined;
        deps.logger.info("Download URL of {name} was rejected ({status}); fetching a fresh one", {
          name: file.name,
          status: (error as GraphError).status,
        });
        continue;
      }
    }
    return await stream(deps, file, destination, options, { response, url, idle, what });
  }
}

async function stream(
  deps: DownloadDeps,
  file: RemoteFile,
  destination: string,
  options: DownloadOptions,
  context: { response: Response; url: string; idle: AbortController; what: string },
): Promise<DownloadResult> {
  const timeoutMs = deps.api.transport.requestTimeoutMs;
  const watchdog = new IdleWatchdog({
    clock: deps.clock,
    timeoutMs,
    onIdle: () => context.idle.abort(new DOMException("The body stalled", "TimeoutError")),
  });
  let bytes = 0;
  try {
    return await streamToFile(context.response.body, {
      destination,
      name: file.name,
      expectedSize: file.size,
      expectedHash: options.verifyHash ? file.quickXorHash : undefined,
      onProgress: (written) => {
        bytes = written;
        watchdog.touch();
        options.onProgress?.(written);
      },
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
      `Cannot download ${context.what}: the transfer broke after ${bytes} of ${file.size} bytes`,
      { cause: error, method: "GET", url },
    );
  } finally {
    watchdog.stop();
  }
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
  return error instanceof GraphError && !(error instanceof ThrottledError) &&
    !(error instanceof TimeoutError) && (error.status === 401 || error.status === 403);
}

function throwIfAborted(signal: AbortSignal | undefined, what: string, cause?: unknown): void {
  if (signal?.aborted) {
    throw new AbortedError(`Cannot download ${what}: the run was aborted`, {
      cause: cause ?? signal.reason,
    });
  }
}
