/**
 * The catch-up window: a run that follows downtime starts where the last successful run ended,
 * minus an overlap, instead of at "now − lookback". Pure functions; all maths on UTC instants,
 * so DST changes and the host's time zone never move a window.
 * @module
 */
import type { TimeWindow } from "../db/db_service_client.ts";
import { computeWindow } from "./window.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** The overlap is never shorter than this, for clock skew and items indexed late. */
export const MIN_OVERLAP_MS = 5 * MINUTE_MS;

/**
 * Why a run's window is what it is.
 * - `explicit`: `--since` or `--lookback`.
 * - `first_run`: no successful run recorded; the default lookback or `initial_lookback_hours`.
 * - `default`: the last success is recent enough that the default lookback covers it.
 * - `catch_up`: widened back to the last success minus the overlap.
 * - `capped`: widened only to `max_catch_up_hours`; `uncovered` was left out.
 * - `clock_moved_back`: the recorded end is in the future, so it was ignored.
 */
export type WindowReason =
  | "explicit"
  | "first_run"
  | "default"
  | "catch_up"
  | "capped"
  | "clock_moved_back";

/** What decides a run's window. */
export interface WindowPlanInput {
  /** The run's reference time: the window's end. */
  now: Date;
  /** `--since`: wins over everything. */
  since?: Date | undefined;
  /** `--lookback`: wins over catch-up. */
  lookbackMs?: number | undefined;
  /** `lookback_minutes`, else 2 × the schedule's longest pause. */
  defaultLookbackMs: number;
  /** `max_catch_up_hours` in ms. */
  maxCatchUpMs: number;
  /** `initial_lookback_hours` in ms: the first run's lookback when set. */
  initialLookbackMs?: number | undefined;
  /** The `until` of the last run that finished with exit 0 or 3. */
  lastSuccessUntil?: Date | undefined;
}

/** A run's window and why. */
export interface PlannedWindow extends TimeWindow {
  reason: WindowReason;
  /** `now` − the last success's `until`, when one is recorded and not in the future. */
  gapMs?: number;
  /** How much earlier than `now − defaultLookbackMs` the window starts (0 when not earlier). */
  catchUpMs: number;
  /** The part a capped catch-up left out: from the wanted start to the window's start. */
  uncovered?: TimeWindow;
}

/** Half the default lookback, at least {@link MIN_OVERLAP_MS}. */
export function overlapMs(defaultLookbackMs: number): number {
  return Math.max(defaultLookbackMs / 2, MIN_OVERLAP_MS);
}

/**
 * The window `[since, now)` of a run. An explicit `since`/`lookbackMs` wins. Otherwise it starts at
 * the earlier of `now − defaultLookbackMs` and `lastSuccessUntil − overlap`, but never before
 * `now − maxCatchUpMs` unless the default lookback itself reaches further. A `lastSuccessUntil`
 * after `now` (the clock moved backwards) is ignored.
 * @throws {UsageError} for an explicit `since` not before `now` or a lookback that is not positive.
 */
export function planWindow(input: WindowPlanInput): PlannedWindow {
  const now = input.now.getTime();
  const base = computeWindow({
    reference: input.now,
    since: input.since,
    lookbackMs: input.lookbackMs,
    defaultLookbackMs: input.defaultLookbackMs,
  });
  if (input.since !== undefined || input.lookbackMs !== undefined) {
    return { ...base, reason: "explicit", catchUpMs: 0 };
  }
  const defaultSince = base.since.getTime();
  const last = input.lastSuccessUntil?.getTime();
  if (last === undefined || Number.isNaN(last)) {
    const lookback = input.initialLookbackMs ?? input.defaultLookbackMs;
    return {
      since: new Date(now - lookback),
      until: base.until,
      reason: "first_run",
      catchUpMs: Math.max(0, defaultSince - (now - lookback)),
    };
  }
  if (last > now) return { ...base, reason: "clock_moved_back", catchUpMs: 0 };
  const gapMs = now - last;
  const wanted = last - overlapMs(input.defaultLookbackMs);
  if (wanted >= defaultSince) return { ...base, reason: "default", gapMs, catchUpMs: 0 };
  const floor = Math.min(now - input.maxCatchUpMs, defaultSince);
  if (wanted >= floor) {
    return window(wanted, now, { reason: "catch_up", gapMs, catchUpMs: defaultSince - wanted });
  }
  return window(floor, now, {
    reason: "capped",
    gapMs,
    catchUpMs: defaultSince - floor,
    uncovered: { since: new Date(wanted), until: new Date(floor) },
  });
}

function window(
  since: number,
  until: number,
  rest: Omit<PlannedWindow, "since" | "until">,
): PlannedWindow {
  return { since: new Date(since), until: new Date(until), ...rest };
}

/** "45 min", "3 h", "2.5 h", "8 d 4 h". */
export function formatSpan(ms: number): string {
  if (ms < HOUR_MS) return `${Math.round(ms / MINUTE_MS)} min`;
  const hours = Math.round((ms / HOUR_MS) * 10) / 10;
  if (hours < 48) return `${hours} h`;
  const whole = Math.round(ms / HOUR_MS);
  return `${Math.floor(whole / 24)} d ${whole % 24} h`;
}

/** One phrase for logs, `check` and the summary: "catching up after a gap of 3 h". */
export function describeWindow(
  window: PlannedWindow,
  options: { initialLookback?: boolean } = {},
): string {
  const length = formatSpan(window.until.getTime() - window.since.getTime());
  const gap = window.gapMs === undefined ? "" : formatSpan(window.gapMs);
  switch (window.reason) {
    case "explicit":
      return `explicit window of ${length} (--since/--lookback)`;
    case "first_run":
      return options.initialLookback
        ? `first run: ${length} (initial_lookback_hours)`
        : `first run: default window of ${length}`;
    case "default":
      return `default window of ${length}`;
    case "catch_up":
      return `catching up after a gap of ${gap}: window of ${length}`;
    case "capped":
      return `catching up after a gap of ${gap}, capped at ${length} by max_catch_up_hours`;
    case "clock_moved_back":
      return `default window of ${length}: the last success is recorded in the future`;
  }
}

/**
 * The exact command that covers an uncovered interval: a manual run from its start to now,
 * e.g. `ingest --config "C:\ingest\settings.toml" trigger --since 2026-03-01T10:00:00.000Z`.
 */
export function coverCommand(
  since: Date,
  options: { configPath?: string | undefined; job?: string | undefined } = {},
): string {
  const config = options.configPath === undefined ? "" : ` --config ${quote(options.configPath)}`;
  const job = options.job === undefined || options.job === "default" ? "" : ` --job ${options.job}`;
  return `ingest${config} trigger${job} --since ${since.toISOString()}`;
}

function quote(path: string): string {
  return /^[\w.:/\\-]+$/.test(path) ? path : `"${path.replaceAll('"', '\\"')}"`;
}
