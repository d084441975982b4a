/**
 * A block of status lines at the bottom of a terminal, redrawn in place, with everything else
 * (log records, report lines) printed above it. The block never tears: anything printed goes
 * through {@link StatusBlock.above}, which erases the block first and draws it again afterwards.
 *
 * Frames are drawn by a ticker every `intervalMs` (default 100 ms, so at most ~10 a second), and
 * only when the lines changed or were erased; each frame is one write (erase + lines) so that
 * nothing can come between its parts.
 * @module
 */
import { eraseLines, MIN_COLUMNS, type Terminal } from "./terminal.ts";

/** Starts a repeating timer; returns a function that stops it. */
export type StartTicker = (intervalMs: number, tick: () => void) => () => void;

/** A real ticker that does not keep the process alive. */
export const realTicker: StartTicker = (intervalMs, tick) => {
  const id = setInterval(tick, intervalMs);
  Deno.unrefTimer(id);
  return () => clearInterval(id);
};

/** Options of {@link StatusBlock}. */
export interface StatusBlockOptions {
  terminal: Terminal;
  /** The lines to show, for a given width; called for every frame. */
  render: (columns: number) => string[];
  /** Time between frames. Default 100 ms. */
  intervalMs?: number;
  /** Default {@link realTicker}; tests pass one they drive by hand. */
  ticker?: StartTicker;
}

/** A live block of lines; see the module doc. */
export class StatusBlock {
  #terminal: Terminal;
  #render: (columns: number) => string[];
  #intervalMs: number;
  #ticker: StartTicker;
  #stopTicker: (() => void) | undefined;
  /** Lines on screen now (empty: nothing drawn). */
  #shown: string[] = [];
  #closed = false;

  constructor(options: StatusBlockOptions) {
    this.#terminal = options.terminal;
    this.#render = options.render;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#ticker = options.ticker ?? realTicker;
  }

  /** Draws the first frame and starts the ticker. */
  start(): void {
    if (this.#closed || this.#stopTicker) return;
    this.draw();
    this.#stopTicker = this.#ticker(this.#intervalMs, () => this.draw());
  }

  /** Draws a frame now when the lines differ from the ones on screen. */
  draw(): void {
    if (this.#closed) return;
    const lines = this.#frame();
    if (sameLines(lines, this.#shown)) return;
    this.#terminal.write(eraseLines(this.#shown.length) + lines.map((l) => l + "\n").join(""));
    this.#shown = lines;
  }

  /**
   * Runs `print` with the block erased; the next tick draws the block again below what was
   * printed (so a burst of records costs one frame, not one per record). `print` writes
   * complete lines (ending with a newline) to this terminal or another stream of it (stdout).
   */
  above(print: () => void): void {
    if (this.#closed) {
      print();
      return;
    }
    if (this.#shown.length > 0) this.#terminal.write(eraseLines(this.#shown.length));
    this.#shown = [];
    print();
  }

  /** Erases the block and stops drawing; later `above` calls just print. */
  close(): void {
    if (this.#closed) return;
    this.#stopTicker?.();
    this.#stopTicker = undefined;
    if (this.#shown.length > 0) this.#terminal.write(eraseLines(this.#shown.length));
    this.#shown = [];
    this.#closed = true;
  }

  #frame(): string[] {
    const columns = Math.max(MIN_COLUMNS, this.#terminal.columns());
    // One column stays free: writing the last column makes some consoles wrap early.
    return this.#render(columns - 1);
  }
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
