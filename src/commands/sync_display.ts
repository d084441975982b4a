/**
 * The live display of one sync run (`trigger`, `run-once` on a terminal): turns the run's
 * {@link SyncProgress} events into a {@link SyncView} and shows it in a {@link StatusBlock}.
 * @module
 */
import type { SyncPhase, SyncProgress } from "../sync/sync_result.ts";
import { type StartTicker, StatusBlock } from "./status_block.ts";
import {
  type ByteSample,
  type InFlightFile,
  rateOf,
  renderSyncFrame,
  type SyncView,
} from "./sync_frame.ts";
import type { Terminal } from "./terminal.ts";

/** How far back the rate looks. */
const RATE_WINDOW_MS = 5_000;

/** Options of {@link SyncDisplay}. */
export interface SyncDisplayOptions {
  terminal: Terminal;
  now: () => number;
  intervalMs?: number;
  ticker?: StartTicker;
  maxFileLines?: number;
}

/** A {@link SyncProgress} that draws a live block; {@link block} prints records above it. */
export class SyncDisplay implements SyncProgress {
  readonly block: StatusBlock;
  #now: () => number;
  #started: number;
  #phase: SyncView["phase"] = "starting";
  #listed = 0;
  #files = 0;
  #bytes = 0;
  #done = 0;
  #failed = 0;
  #finishedBytes = 0;
  #inFlight = new Map<string, InFlightFile>();
  #samples: ByteSample[] = [];

  constructor(options: SyncDisplayOptions) {
    this.#now = options.now;
    this.#started = options.now();
    const { terminal, maxFileLines } = options;
    this.block = new StatusBlock({
      terminal,
      render: (columns) =>
        renderSyncFrame(this.view(), {
          columns,
          color: terminal.color,
          ...(maxFileLines === undefined ? {} : { maxFileLines }),
        }),
      ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
      ...(options.ticker ? { ticker: options.ticker } : {}),
    });
  }

  /** The state now (also what each frame shows). */
  view(): SyncView {
    const doneBytes = this.#doneBytes();
    const now = this.#now();
    this.#samples.push({ at: now, bytes: doneBytes });
    while (this.#samples.length > 2 && this.#samples[1]!.at <= now - RATE_WINDOW_MS) {
      this.#samples.shift();
    }
    return {
      phase: this.#phase,
      elapsedMs: now - this.#started,
      listed: this.#listed,
      files: this.#files,
      bytes: this.#bytes,
      done: this.#done,
      failed: this.#failed,
      doneBytes,
      rate: rateOf(this.#samples),
      inFlight: [...this.#inFlight.values()],
    };
  }

  phase(phase: SyncPhase): void {
    this.#phase = phase;
  }

  listed(items: number): void {
    this.#listed = items;
  }

  planned(files: number, bytes: number): void {
    this.#phase = "downloading";
    this.#files = files;
    this.#bytes = bytes;
  }

  fileStarted(name: string, size: number): void {
    this.#inFlight.set(name, { name, size, bytes: 0, placing: false });
  }

  fileRetrying(name: string): void {
    const file = this.#inFlight.get(name);
    if (file) Object.assign(file, { bytes: 0, placing: false, retrying: true });
  }

  filePlacing(name: string): void {
    const file = this.#inFlight.get(name);
    if (file) file.placing = true;
  }

  fileBytes(name: string, bytes: number): void {
    const file = this.#inFlight.get(name);
    if (file) file.bytes = bytes;
    else this.#inFlight.set(name, { name, size: 0, bytes, placing: false });
  }

  fileDone(name: string, ok: boolean): void {
    const file = this.#inFlight.get(name);
    this.#inFlight.delete(name);
    if (ok) {
      this.#done++;
      this.#finishedBytes += file?.bytes ?? 0;
    } else this.#failed++;
  }

  #doneBytes(): number {
    let bytes = this.#finishedBytes;
    for (const file of this.#inFlight.values()) bytes += file.bytes;
    return bytes;
  }
}
