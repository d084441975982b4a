/**
 * The lines of the live display of one sync run, from its state: a pure renderer, plus the
 * rate and ETA arithmetic it shows.
 * @module
 */
import type { SyncPhase } from "../sync/sync_result.ts";
import { formatBytes } from "./summary.ts";
import { fit, paint, printable, SGR } from "./terminal.ts";

/** A file being downloaded or placed. */
export interface InFlightFile {
  name: string;
  /** Size in bytes announced by the listing. */
  size: number;
  /** Bytes written so far in the current attempt. */
  bytes: number;
  /** Downloaded; being moved into place. */
  placing: boolean;
  /** The last attempt failed; waiting for the next. */
  retrying?: boolean;
}

/** What the display knows about a run. */
export interface SyncView {
  phase: SyncPhase | "starting";
  elapsedMs: number;
  /** Folder items listed so far. */
  listed: number;
  /** Files and bytes planned for download (0 before the plan). */
  files: number;
  bytes: number;
  done: number;
  failed: number;
  /** Bytes of finished files plus bytes written so far of files in flight. */
  doneBytes: number;
  /** Bytes per second over the last few seconds; undefined until measurable. */
  rate: number | undefined;
  inFlight: readonly InFlightFile[];
}

/** Options of {@link renderSyncFrame}. */
export interface FrameOptions {
  /** Usable width: no line is longer. */
  columns: number;
  color: boolean;
  /** At most this many file lines; the rest are counted in one more line. Default 10. */
  maxFileLines?: number;
}

/** A byte count at a time, for {@link rateOf}. */
export interface ByteSample {
  at: number;
  bytes: number;
}

/** Bytes per second between the oldest and newest sample; undefined below 500 ms of history. */
export function rateOf(samples: readonly ByteSample[]): number | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || last.at - first.at < 500) return undefined;
  return Math.max(0, (last.bytes - first.bytes) * 1000 / (last.at - first.at));
}

/** Time left for `remaining` bytes at `rate` bytes/s; undefined when it cannot be told. */
export function etaMs(remaining: number, rate: number | undefined): number | undefined {
  if (rate === undefined || rate <= 0) return undefined;
  return Math.max(0, remaining) / rate * 1000;
}

/** "0:09", "4:05", "1:02:03". */
export function formatClock(ms: number): string {
  const total = Math.round(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Cuts the middle of `name` so that its start and its extension stay visible. */
export function fitName(name: string, width: number): string {
  const chars = [...printable(name)];
  if (chars.length <= width) return chars.join("");
  if (width < 8) return fit(chars.join(""), width);
  const tail = Math.min(Math.floor((width - 1) / 2), 12);
  return chars.slice(0, width - 1 - tail).join("") + "…" + chars.slice(-tail).join("");
}

const PHASE_LABEL: Record<SyncView["phase"], string> = {
  starting: "Starting",
  authenticating: "Authenticating",
  "asking-db": "Asking the DB service",
  listing: "Listing",
  downloading: "Downloading",
  placing: "Placing",
};

function headerParts(view: SyncView): string[] {
  if (view.phase === "listing") return [`Listing: ${view.listed} items so far`];
  if (view.phase !== "downloading" && view.phase !== "placing") {
    return [`${PHASE_LABEL[view.phase]}…`, formatClock(view.elapsedMs)];
  }
  const eta = etaMs(view.bytes - view.doneBytes, view.rate);
  return [
    PHASE_LABEL[view.phase],
    `${view.done}/${view.files} files`,
    `${formatBytes(view.doneBytes)} of ${formatBytes(view.bytes)}`,
    view.rate === undefined ? "" : `${formatBytes(view.rate)}/s`,
    eta === undefined || view.done + view.failed === view.files ? "" : `ETA ${formatClock(eta)}`,
    formatClock(view.elapsedMs),
  ].filter((part) => part !== "");
}

function header(view: SyncView, options: FrameOptions): string {
  const failed = view.failed > 0 ? ` · ${view.failed} failed` : "";
  const text = fit(headerParts(view).join(" · ") + failed, options.columns);
  if (!options.color || failed === "" || !text.endsWith(failed)) return text;
  return text.slice(0, -failed.length) + " · " + paint(`${view.failed} failed`, SGR.red, true);
}

function fileLine(file: InFlightFile, options: FrameOptions): string {
  const state = file.retrying
    ? "retrying"
    : file.placing
    ? "placing"
    : file.size > 0
    ? `${Math.min(100, Math.floor(file.bytes * 100 / file.size))}%`
    : formatBytes(file.bytes);
  const room = options.columns - 2 - 2 - state.length;
  if (room < 4) return fit(`  ${state}`, options.columns);
  const name = fitName(file.name, room);
  return `  ${name}${" ".repeat(room - [...name].length + 2)}${
    paint(state, SGR.dim, options.color)
  }`;
}

/** The lines of the display: a header, then one line per file in flight. */
export function renderSyncFrame(view: SyncView, options: FrameOptions): string[] {
  const lines = [header(view, options)];
  const max = options.maxFileLines ?? 10;
  const shown = view.inFlight.length > max ? view.inFlight.slice(0, max - 1) : view.inFlight;
  for (const file of shown) lines.push(fileLine(file, options));
  if (shown.length < view.inFlight.length) {
    lines.push(fit(`  … and ${view.inFlight.length - shown.length} more`, options.columns));
  }
  return lines;
}
