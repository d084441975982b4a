/**
 * A one-line progress display for interactive runs (`trigger` on a terminal), on stderr:
 * files done / total, bytes, current file. Redrawn at most every `intervalMs`.
 * @module
 */
import type { SyncProgress } from "../sync/sync_result.ts";
import { formatBytes } from "./summary.ts";

/** Options of {@link ProgressLine}. */
export interface ProgressLineOptions {
  write: (text: string) => void;
  now: () => number;
  /** Minimum time between redraws. Default 100 ms. */
  intervalMs?: number;
  /** Terminal width. Default 100. */
  columns?: number;
}

/** Renders {@link SyncProgress} events as one line rewritten in place with `\r`. */
export class ProgressLine implements SyncProgress {
  #options: Required<ProgressLineOptions>;
  #total = 0;
  #totalBytes = 0;
  #done = 0;
  #failed = 0;
  #doneBytes = 0;
  #inFlight = new Map<string, number>();
  #current = "";
  #lastDraw = -Infinity;
  #drawn = false;

  constructor(options: ProgressLineOptions) {
    this.#options = { intervalMs: 100, columns: 100, ...options };
  }

  planned(files: number, bytes: number): void {
    this.#total = files;
    this.#totalBytes = bytes;
    this.#draw(true);
  }

  fileBytes(name: string, bytes: number): void {
    this.#inFlight.set(name, bytes);
    this.#current = name;
    this.#draw(false);
  }

  fileDone(name: string, ok: boolean): void {
    const bytes = this.#inFlight.get(name) ?? 0;
    this.#inFlight.delete(name);
    if (ok) {
      this.#done++;
      this.#doneBytes += bytes;
    } else this.#failed++;
    this.#draw(this.#done + this.#failed === this.#total);
  }

  /** The current line's text (without control characters). */
  text(): string {
    const inFlight = [...this.#inFlight.values()].reduce((a, b) => a + b, 0);
    const failed = this.#failed > 0 ? `, ${this.#failed} failed` : "";
    const current = this.#inFlight.size > 0 ? `  ${this.#current}` : "";
    const line = `${this.#done}/${this.#total} files${failed}, ` +
      `${formatBytes(this.#doneBytes + inFlight)} of ${formatBytes(this.#totalBytes)}${current}`;
    return line.length > this.#options.columns - 1
      ? line.slice(0, this.#options.columns - 2) + "…"
      : line;
  }

  /** Clears the line so the summary that follows starts on a clean row. */
  finish(): void {
    if (this.#drawn) this.#options.write("\r\x1b[2K");
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    const now = this.#options.now();
    if (!force && now - this.#lastDraw < this.#options.intervalMs) return;
    this.#lastDraw = now;
    this.#drawn = true;
    this.#options.write(`\r\x1b[2K${this.text()}`);
  }
}
