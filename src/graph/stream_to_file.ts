/**
 * Writes a response body to a new file with constant memory, hashing while streaming, then
 * verifies size and QuickXorHash and flushes to disk. A failed or aborted write never leaves
 * a partial file behind.
 * @module
 */
import { IntegrityError } from "../errors.ts";
import type { DownloadResult } from "./sharepoint_client.ts";
import { QuickXorHash } from "./quickxorhash.ts";

/** What to write and what to expect. */
export interface StreamToFileOptions {
  /** Must not exist yet (opened with `createNew`). */
  destination: string;
  /** The file's name, for messages. */
  name: string;
  /** Bytes Graph announced. */
  expectedSize: number;
  /** Base64 QuickXorHash to compare with (byte-exact), or `undefined` to skip the check. */
  expectedHash: string | undefined;
  /** Called after each chunk is written with the bytes written so far. */
  onProgress?: (bytes: number) => void;
}

/**
 * Streams `body` into `destination`, verifies it and syncs it. On any error (read failure,
 * abort, mismatch) the file is closed and removed before the error is rethrown; read failures
 * are rethrown as they are, so the caller can tell a timeout or abort from a broken connection.
 * An existing `destination` is left alone and `Deno.errors.AlreadyExists` is thrown.
 */
export async function streamToFile(
  body: ReadableStream<Uint8Array> | null,
  options: StreamToFileOptions,
): Promise<DownloadResult> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(options.destination, { createNew: true, write: true });
  } catch (error) {
    await body?.cancel().catch(() => {});
    throw error;
  }
  const hash = new QuickXorHash();
  let bytes = 0;
  try {
    if (body) {
      const reader = body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await writeAll(file, value);
          hash.update(value);
          bytes += value.byteLength;
          options.onProgress?.(bytes);
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    }
    const quickXorHash = hash.digestBase64();
    verify(options, bytes, quickXorHash);
    await file.syncData();
    file.close();
    return { bytes, quickXorHash };
  } catch (error) {
    try {
      file.close();
    } catch {
      // already closed
    }
    await Deno.remove(options.destination).catch(() => {});
    throw error;
  }
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) offset += await file.write(chunk.subarray(offset));
}

function verify(options: StreamToFileOptions, bytes: number, quickXorHash: string): void {
  if (bytes !== options.expectedSize) {
    throw new IntegrityError(
      `Cannot verify "${options.name}": received ${bytes} bytes, Graph announced ${options.expectedSize}`,
    );
  }
  if (options.expectedHash !== undefined && quickXorHash !== options.expectedHash) {
    throw new IntegrityError(
      `Cannot verify "${options.name}": QuickXorHash is ${quickXorHash}, Graph announced ${options.expectedHash}`,
    );
  }
}
