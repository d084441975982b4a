/**
 * What a successful run leaves in the job state for the next run's catch-up: the end of its
 * window (`last_success`) and the intervals no run has looked at (`uncovered`). Pure functions.
 * @module
 */
import type { TimeWindow } from "../db/db_service_client.ts";
import type { JobState, UncoveredInterval } from "../state/state_wire.ts";
import type { PlannedWindow } from "./catch_up.ts";

/** A run that finished with exit 0 or 3 (never a dry run, an aborted or a failed one). */
export interface SuccessfulRun {
  window: PlannedWindow;
  exitCode: 0 | 3;
  finishedAt: Date;
}

/**
 * Applies a successful run to `state` in place.
 *
 * `last_success.until` moves to the run's `until` when the run's window joins the covered past:
 * no success recorded yet, the recorded end is in the future (the clock moved back), the window
 * starts at or before the recorded end, or the run was capped (the gap is then kept in
 * `uncovered`). An explicit window that starts after the recorded end leaves it unchanged, so the
 * next scheduled run still catches up across the hole.
 *
 * Every uncovered interval loses the part this run's window covered.
 */
export function applySuccessfulRun(state: JobState, run: SuccessfulRun): void {
  const { window } = run;
  let uncovered = (state.uncovered ?? []).map(fromWire);
  if (window.uncovered !== undefined) {
    uncovered = addInterval(uncovered, window.uncovered);
  }
  uncovered = subtractWindow(uncovered, window);
  const found = new Map((state.uncovered ?? []).map((u) => [u.since, u.found_at]));
  const foundAt = run.finishedAt.toISOString();
  if (uncovered.length > 0) {
    state.uncovered = uncovered.map((u) => toWire(u, found.get(u.since.toISOString()) ?? foundAt));
  } else delete state.uncovered;
  if (joinsCoveredPast(state.last_success?.until, window)) {
    state.last_success = {
      until: window.until.toISOString(),
      finished_at: foundAt,
      exit_code: run.exitCode,
    };
  }
}

function joinsCoveredPast(recordedUntil: string | undefined, window: PlannedWindow): boolean {
  if (recordedUntil === undefined) return true;
  const recorded = Date.parse(recordedUntil);
  if (window.reason === "capped" || recorded > window.until.getTime()) return true;
  return window.since.getTime() <= recorded;
}

/** `intervals` with `added` merged in: sorted, overlapping or touching intervals joined. */
export function addInterval(intervals: TimeWindow[], added: TimeWindow): TimeWindow[] {
  const all = [...intervals, added].sort((a, b) => a.since.getTime() - b.since.getTime());
  const merged: TimeWindow[] = [];
  for (const next of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && next.since.getTime() <= last.until.getTime()) {
      if (next.until.getTime() > last.until.getTime()) last.until = next.until;
    } else merged.push({ since: next.since, until: next.until });
  }
  return merged;
}

/** The parts of `intervals` outside `window` (an interval may split in two). */
export function subtractWindow(intervals: TimeWindow[], window: TimeWindow): TimeWindow[] {
  const [s, u] = [window.since.getTime(), window.until.getTime()];
  const left: TimeWindow[] = [];
  for (const { since, until } of intervals) {
    const [a, b] = [since.getTime(), until.getTime()];
    if (a < Math.min(b, s)) left.push({ since, until: new Date(Math.min(b, s)) });
    if (Math.max(a, u) < b) left.push({ since: new Date(Math.max(a, u)), until });
  }
  return left;
}

/** The uncovered intervals recorded in `state`, as instants. */
export function uncoveredIntervals(state: JobState): TimeWindow[] {
  return (state.uncovered ?? []).map(fromWire);
}

/** Total length of `intervals` in ms. */
export function totalMs(intervals: TimeWindow[]): number {
  return intervals.reduce((sum, i) => sum + (i.until.getTime() - i.since.getTime()), 0);
}

function fromWire(u: UncoveredInterval): TimeWindow {
  return { since: new Date(u.since), until: new Date(u.until) };
}

function toWire(u: TimeWindow, foundAt: string): UncoveredInterval {
  return { since: u.since.toISOString(), until: u.until.toISOString(), found_at: foundAt };
}
