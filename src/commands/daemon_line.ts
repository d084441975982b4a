/**
 * The status line of `ingest run` on a terminal: the next planned run with a countdown (or the
 * run in progress), and how the last run ended. Log records print above it.
 * @module
 */
import { describeError } from "../errors.ts";
import type { RunOutcome } from "../schedule/run_outcome.ts";
import { type StartTicker, StatusBlock } from "./status_block.ts";
import { formatClock } from "./sync_frame.ts";
import { fit, paint, SGR, type Terminal } from "./terminal.ts";

/** What the line shows. */
export interface DaemonView {
  now: number;
  /** The next planned run; undefined when not scheduling. */
  next: Date | undefined;
  /** When the run in progress started; undefined when none runs. */
  runningSince: number | undefined;
  last: { outcome: RunOutcome; endedAt: Date } | undefined;
}

/** Options of {@link renderDaemonLine}. */
export interface DaemonLineOptions {
  columns: number;
  color: boolean;
  /** A time as the operator reads it (the schedule's zone). */
  formatTime: (date: Date) => string;
}

function outcomeText(outcome: RunOutcome): { text: string; sgr: number } {
  switch (outcome.status) {
    case "completed": {
      const { downloaded, failed } = outcome.result;
      const text = `${downloaded.length} downloaded, ${failed.length} failed`;
      return { text, sgr: failed.length > 0 ? SGR.yellow : SGR.green };
    }
    case "skipped":
      return { text: `skipped (${outcome.reason})`, sgr: SGR.yellow };
    case "aborted":
      return { text: "aborted", sgr: SGR.yellow };
    default:
      return { text: `failed: ${describeError(outcome.error).split("\n")[0]}`, sgr: SGR.red };
  }
}

/** The one line: "Next run 14:10:00 (in 4:12) · last run 14:05:43: 12 downloaded, 0 failed". */
export function renderDaemonLine(view: DaemonView, options: DaemonLineOptions): string[] {
  const first = view.runningSince !== undefined
    ? `Running since ${options.formatTime(new Date(view.runningSince))} (${
      formatClock(view.now - view.runningSince)
    })`
    : view.next
    ? `Next run ${options.formatTime(view.next)} (in ${
      formatClock(Math.max(0, view.next.getTime() - view.now))
    })`
    : "Not scheduling";
  if (!view.last) return [fit(first, options.columns)];
  const { text, sgr } = outcomeText(view.last.outcome);
  const prefix = `${first} · last run ${options.formatTime(view.last.endedAt)}: `;
  const line = fit(prefix + text, options.columns);
  if (!options.color || !line.endsWith(text)) return [line];
  return [prefix + paint(text, sgr, true)];
}

/** What {@link DaemonLine} reads from the scheduler at every frame. */
export interface DaemonSource {
  readonly nextRun: Date | undefined;
  readonly running: number;
  readonly lastRun: DaemonView["last"];
}

/** Options of {@link DaemonLine}. */
export interface DaemonLineDisplayOptions {
  terminal: Terminal;
  source: DaemonSource;
  now: () => number;
  formatTime: (date: Date) => string;
  ticker?: StartTicker;
}

/** The live line of `ingest run`; {@link block} prints log records above it. */
export class DaemonLine {
  readonly block: StatusBlock;
  #options: DaemonLineDisplayOptions;
  #runningSince: number | undefined;

  constructor(options: DaemonLineDisplayOptions) {
    this.#options = options;
    this.block = new StatusBlock({
      terminal: options.terminal,
      render: (columns) =>
        renderDaemonLine(this.view(), {
          columns,
          color: options.terminal.color,
          formatTime: options.formatTime,
        }),
      // A countdown in seconds needs no more than 4 frames a second.
      intervalMs: 250,
      ...(options.ticker ? { ticker: options.ticker } : {}),
    });
  }

  /** The state now. */
  view(): DaemonView {
    const { source, now } = this.#options;
    const at = now();
    if (source.running === 0) this.#runningSince = undefined;
    else this.#runningSince ??= at;
    return {
      now: at,
      next: source.nextRun,
      runningSince: this.#runningSince,
      last: source.lastRun,
    };
  }
}
