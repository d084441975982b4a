/**
 * Writes a response body to a file with constant memory, hashing while streaming, and flushes it
 * to disk. A new file that fails is removed; a resumable partial keeps what was written.
 * @module
 */
import { QuickXorHash } from "./quickxorhash.ts";

/** What to write. */
export interface StreamToFileOptions {
  destination: string;
  /** Bytes expected (sizes the write buffer only; any length is written). */
  expectedSize: number;
  /**
   * Continue a kept prefix: the file is opened (created when missing), cut to `offset` bytes and
   * written from there, and `hash` must already hold those bytes. Without it the file must not
   * exist yet (opened with `createNew`).
   */
  resume?: { offset: number; hash: QuickXorHash };
  /** Keep what was written when the body fails or is aborted (a resumable partial). */
  keepOnError?: boolean;
  /**
   * Start an fdatasync after about this many bytes (default: only at the end). It runs while the
   * body keeps streaming (one slice in flight at a time), so the disk writes back during the
   * transfer and the final fdatasync only has the last slice left; a kept prefix is durable up
   * to the last finished slice.
   */
  syncEveryBytes?: number;
  /**
   * The body is small and its length announced: read it in one call (one native read, no chunk
   * loop) instead of chunk by chunk. Progress is then reported once, at the end.
   */
  wholeBody?: boolean;
  /** Called after each chunk with the bytes the file holds so far. */
  onProgress?: (bytes: number) => void;
}

/** What a completed write did. */
export interface StreamedFile {
  /** Bytes the file holds (kept prefix + received). */
  bytes: number;
  /** Bytes this body delivered. */
  received: number;
  /** QuickXorHash (Base64) of the whole file. */
  quickXorHash: string;
}

/**
 * Streams `body` into `options.destination` and syncs it. On a read failure or abort the file is
 * closed and, unless `keepOnError`, removed before the error is rethrown as it is (so the caller
 * can tell a timeout or abort from a broken connection). Without `resume`, an existing
 * destination is left alone and `Deno.errors.AlreadyExists` is thrown.
 */
export async function streamToFile(
  body: ReadableStream<Uint8Array> | null,
  options: StreamToFileOptions,
): Promise<StreamedFile> {
  let file: Deno.FsFile;
  const offset = options.resume?.offset ?? 0;
  try {
    // Synchronous open and writes: on a local disk they return in microseconds, and each async
    // call's thread-pool round trip costs more than the call itself (see bench/README.md).
    if (options.resume) {
      file = Deno.openSync(options.destination, { create: true, write: true });
      file.truncateSync(offset);
      file.seekSync(offset, Deno.SeekMode.Start);
    } else file = Deno.openSync(options.destination, { createNew: true, write: true });
  } catch (error) {
    await body?.cancel().catch(() => {});
    throw error;
  }
  const hash = options.resume?.hash ?? new QuickXorHash();
  let received = 0;
  const batch = new WriteBatch(file, options.expectedSize);
  let slice: Promise<void> | undefined;
  try {
    if (body && options.wholeBody) {
      const bytes = await new Response(body).bytes();
      writeAll(file, bytes);
      hash.update(bytes);
      received = bytes.byteLength;
      options.onProgress?.(offset + received);
    } else if (body) {
      const reader = body.getReader();
      const syncEvery = options.syncEveryBytes ?? Infinity;
      let unsynced = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          batch.add(value);
          hash.update(value);
          received += value.byteLength;
          unsynced += value.byteLength;
          if (unsynced >= syncEvery) {
            batch.flush();
            await slice;
            slice = file.syncData();
            unsynced = 0;
          }
          options.onProgress?.(offset + received);
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    }
    batch.flush();
    await slice;
    await file.syncData();
    file.close();
    return { bytes: offset + received, received, quickXorHash: hash.digestBase64() };
  } catch (error) {
    await slice?.catch(() => {});
    if (options.keepOnError) {
      try {
        batch.flush();
      } catch {
        // the disk refused; the file keeps what it has
      }
    }
    try {
      file.close();
    } catch {
      // already closed
    }
    if (!options.keepOnError) await Deno.remove(options.destination).catch(() => {});
    throw error;
  }
}

/** Feeds the first bytes of `path` into `hash`; returns how many (0 when it does not exist). */
export async function hashPrefix(path: string, hash: QuickXorHash): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  try {
    const buffer = new Uint8Array(WRITE_BATCH_BYTES);
    let total = 0;
    for (let read = await file.read(buffer); read !== null; read = await file.read(buffer)) {
      hash.update(buffer.subarray(0, read));
      total += read;
    }
    return total;
  } finally {
    file.close();
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
    const pending = this.#buffer.subarray(0, this.#filled);
    this.#filled = 0;
    writeAll(this.#file, pending);
  }
}

function writeAll(file: Deno.FsFile, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.byteLength) offset += file.writeSync(chunk.subarray(offset));
}
