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
  /** Called once the whole body is written, before the final fdatasync. */
  onBodyWritten?: () => void;
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
    // Synchronous open (and writes of small files): on a local disk they return in microseconds,
    // and each async call's thread-pool round trip costs more than the call (bench/README.md).
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
  const syncEvery = options.syncEveryBytes ?? Infinity;
  /** A second handle for the slice fdatasyncs, so they never queue behind (or block) writes. */
  let syncer: Deno.FsFile | undefined;
  let slice: Promise<void> | undefined;
  try {
    if (body && options.wholeBody) {
      const bytes = await new Response(body).bytes();
      writeAll(file, bytes);
      hash.update(bytes);
      received = bytes.byteLength;
      options.onProgress?.(offset + received);
    } else if (body) {
      let unsynced = 0;
      const written = async (chunk: Uint8Array) => {
        hash.update(chunk);
        received += chunk.byteLength;
        unsynced += chunk.byteLength;
        if (unsynced >= syncEvery) {
          await batch.flush();
          await slice;
          syncer ??= Deno.openSync(options.destination, { write: true });
          slice = syncer.syncData();
          unsynced = 0;
        }
        options.onProgress?.(offset + received);
      };
      const byob = batch.background ? byobReader(body) : undefined;
      const reader = byob ?? body.getReader();
      try {
        if (byob) {
          // Large files: the body is read straight into the write buffers (no chunk copies, no
          // chunk garbage for the collector).
          for (let chunk = await batch.readFrom(byob); chunk; chunk = await batch.readFrom(byob)) {
            await written(chunk);
            await batch.flushIfFull();
          }
        } else {
          const chunks = reader as ReadableStreamDefaultReader<Uint8Array>;
          for (;;) {
            const { done, value } = await chunks.read();
            if (done) break;
            const writing = batch.add(value);
            if (writing) await writing;
            await written(value);
          }
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    }
    await batch.drain();
    options.onBodyWritten?.();
    await slice;
    await file.syncData();
    file.close();
    syncer?.close();
    return { bytes: offset + received, received, quickXorHash: hash.digestBase64() };
  } catch (error) {
    await slice?.catch(() => {});
    await batch.settle();
    if (options.keepOnError) {
      try {
        await batch.drain();
      } catch {
        // the disk refused; the file keeps what it has
      }
    }
    for (const handle of [file, syncer]) {
      try {
        handle?.close();
      } catch {
        // already closed
      }
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

/** Files above this size are written on a worker thread, double-buffered (see {@link WriteBatch}). */
const BACKGROUND_WRITE_MIN_BYTES = 4 * 1024 * 1024;

/**
 * Coalesces body chunks into writes of up to 1 MiB. Small files are written synchronously (a
 * local write returns in microseconds). Large files are written on a worker thread while the
 * next MiB fills a second buffer: a write that waits for the disk (dirty-page throttling while
 * earlier slices are written back) then no longer stalls the download and the hashing.
 */
class WriteBatch {
  #file: Deno.FsFile;
  #buffer: Uint8Array;
  #spare: Uint8Array | undefined;
  #filled = 0;
  /** The background write in flight (large files). */
  #pending: Promise<void> | undefined;

  /** `expectedSize` only sizes the buffers and picks the mode; any length is written. */
  constructor(file: Deno.FsFile, expectedSize: number) {
    this.#file = file;
    this.#buffer = new Uint8Array(Math.max(1, Math.min(WRITE_BATCH_BYTES, expectedSize)));
    if (expectedSize > BACKGROUND_WRITE_MIN_BYTES) this.#spare = new Uint8Array(WRITE_BATCH_BYTES);
  }

  /** Buffers `chunk`; a promise when a full buffer had to wait for the previous background write. */
  add(chunk: Uint8Array): Promise<void> | undefined {
    if (this.#spare !== undefined) return this.#addBackground(chunk);
    if (this.#filled + chunk.byteLength > this.#buffer.byteLength) this.#writeNow();
    if (chunk.byteLength >= this.#buffer.byteLength) writeAll(this.#file, chunk);
    else {
      this.#buffer.set(chunk, this.#filled);
      this.#filled += chunk.byteLength;
    }
    return undefined;
  }

  /** True for large files: written on a worker thread, and readable into with {@link readFrom}. */
  get background(): boolean {
    return this.#spare !== undefined;
  }

  /**
   * Reads the next piece of the body straight into the free part of the current buffer and
   * returns it (a view of that buffer), or null at the end. Hash it before {@link flushIfFull}.
   */
  async readFrom(reader: ReadableStreamBYOBReader): Promise<Uint8Array | null> {
    const { byteOffset, byteLength } = this.#buffer;
    const free = new Uint8Array(
      this.#buffer.buffer,
      byteOffset + this.#filled,
      byteLength - this.#filled,
    );
    const { done, value } = await reader.read(free);
    // The read transferred the memory to a new ArrayBuffer: keep using it through that one.
    if (value) this.#buffer = new Uint8Array(value.buffer, byteOffset, byteLength);
    if (done || !value) return null;
    this.#filled += value.byteLength;
    return value;
  }

  /** Hands the current buffer to the worker thread once it is full. */
  async flushIfFull(): Promise<void> {
    if (this.#filled === this.#buffer.byteLength) await this.flush();
  }

  /** Hands what is buffered to the disk (large files: to the worker thread). */
  async flush(): Promise<void> {
    if (this.#spare === undefined) return this.#writeNow();
    if (this.#filled === 0) return;
    await this.#pending;
    const full = this.#buffer.subarray(0, this.#filled);
    this.#pending = this.#file.write(full).then((n) => writeRest(this.#file, full, n));
    [this.#buffer, this.#spare] = [this.#spare, this.#buffer];
    this.#filled = 0;
  }

  /** Writes everything buffered and waits until the file holds it. */
  async drain(): Promise<void> {
    await this.flush();
    await this.#pending;
  }

  /** Waits for a background write in flight, ignoring its failure (the error path). */
  async settle(): Promise<void> {
    await this.#pending?.catch(() => {});
    this.#pending = undefined;
  }

  async #addBackground(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - offset, this.#buffer.byteLength - this.#filled);
      this.#buffer.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.#buffer.byteLength) await this.flush();
    }
  }

  #writeNow(): void {
    if (this.#filled === 0) return;
    const pending = this.#buffer.subarray(0, this.#filled);
    this.#filled = 0;
    writeAll(this.#file, pending);
  }
}

async function writeRest(file: Deno.FsFile, chunk: Uint8Array, written: number): Promise<void> {
  while (written < chunk.byteLength) written += await file.write(chunk.subarray(written));
}

/** A BYOB reader when `body` is a byte stream (fetch bodies are), else undefined. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return undefined;
  }
}

function writeAll(file: Deno.FsFile, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.byteLength) offset += file.writeSync(chunk.subarray(offset));
}
