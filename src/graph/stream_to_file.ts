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
    // Synchronous open and writes: on a local disk they return in microseconds, and each async
    // call's thread-pool round trip costs more than the call itself (see bench/README.md).
    file = Deno.openSync(options.destination, { createNew: true, write: true });
  } catch (error) {
    await body?.cancel().catch(() => {});
    throw error;
  }
  const hash = new QuickXorHash();
  let bytes = 0;
  try {
    if (body) {
      const reader = body.getReader();
      const batch = new WriteBatch(file, options.expectedSize);
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          batch.add(value);
          hash.update(value);
          bytes += value.byteLength;
          options.onProgress?.(bytes);
        }
        batch.flush();
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

/** Bytes gathered before one write: one thread-pool hop per MiB instead of one per chunk. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Coalesces small body chunks into large writes. */
class WriteBatch {
  #file: Deno.FsFile;
  #buffer: Uint8Array;
  #filled = 0;

  /** `expectedSize` only sizes the buffer (small files get a small one); any length is written. */
  constructor(file: Deno.FsFile, expectedSize: number) {
    this.#file = file;
    this.#buffer = new Uint8Array(Math.max(1, Math.min(WRITE_BATCH_BYTES, expectedSize)));
  }

  add(chunk: Uint8Array): void {
    if (this.#filled + chunk.byteLength > this.#buffer.byteLength) this.flush();
    if (chunk.byteLength >= this.#buffer.byteLength) return writeAll(this.#file, chunk);
    this.#buffer.set(chunk, this.#filled);
    this.#filled += chunk.byteLength;
  }

  flush(): void {
    if (this.#filled === 0) return;
    writeAll(this.#file, this.#buffer.subarray(0, this.#filled));
    this.#filled = 0;
  }
}

function writeAll(file: Deno.FsFile, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.byteLength) offset += file.writeSync(chunk.subarray(offset));
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
