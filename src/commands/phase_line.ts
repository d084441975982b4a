/**
 * A one-line live display: what is being done and for how long ("Asking the DB service… 0:03").
 * Used by `ingest check` on a terminal.
 * @module
 */
import { type StartTicker, StatusBlock } from "./status_block.ts";
import { formatClock } from "./sync_frame.ts";
import { fit, type Terminal } from "./terminal.ts";

/** Options of {@link PhaseLine}. */
export interface PhaseLineOptions {
  terminal: Terminal;
  now: () => number;
  ticker?: StartTicker;
}

/** Shows the current step and the time spent on it; {@link block} prints records above it. */
export class PhaseLine {
  readonly block: StatusBlock;
  #now: () => number;
  #label = "";
  #since: number;

  constructor(options: PhaseLineOptions) {
    this.#now = options.now;
    this.#since = options.now();
    this.block = new StatusBlock({
      terminal: options.terminal,
      render: (columns) =>
        this.#label === ""
          ? []
          : [fit(`${this.#label}… ${formatClock(this.#now() - this.#since)}`, columns)],
      ...(options.ticker ? { ticker: options.ticker } : {}),
    });
  }

  /** Shows `label` from now on, with its time counted from now. */
  set(label: string): void {
    this.#label = label;
    this.#since = this.#now();
  }
}
