import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  chooseLookbackMs,
  computeWindow,
  inWindow,
  parseDuration,
  parseSince,
} from "../../src/sync/window.ts";

const REF = new Date("2026-03-01T12:00:00Z");
const HOUR = 3_600_000;

Deno.test("computeWindow() ends at the reference and looks back the default lookback", () => {
  const w = computeWindow({ reference: REF, defaultLookbackMs: 2 * HOUR });
  assert.equal(w.since.toISOString(), "2026-03-01T10:00:00.000Z");
  assert.equal(w.until.toISOString(), "2026-03-01T12:00:00.000Z");
});

Deno.test("computeWindow() prefers since, then lookbackMs, then the default", () => {
  const since = new Date("2026-02-27T00:00:00Z");
  const all = { reference: REF, since, lookbackMs: 5 * HOUR, defaultLookbackMs: HOUR };
  assert.equal(computeWindow(all).since.toISOString(), since.toISOString());
  assert.equal(
    computeWindow({ ...all, since: undefined }).since.getTime(),
    REF.getTime() - 5 * HOUR,
  );
  assert.equal(
    computeWindow({ ...all, since: undefined, lookbackMs: undefined }).since.getTime(),
    REF.getTime() - HOUR,
  );
});

Deno.test("chooseLookbackMs() prefers the run's lookback, then lookback_minutes, then the schedule's default", () => {
  let computed = 0;
  const scheduleDefaultMs = () => {
    computed++;
    return HOUR;
  };
  assert.equal(
    chooseLookbackMs({ runMs: 5 * HOUR, settingsMinutes: 30, scheduleDefaultMs }),
    5 * HOUR,
  );
  assert.equal(chooseLookbackMs({ settingsMinutes: 30, scheduleDefaultMs }), 30 * 60_000);
  assert.equal(computed, 0, "the schedule's default is computed only when needed");
  assert.equal(chooseLookbackMs({ scheduleDefaultMs }), HOUR);
});

Deno.test("computeWindow() rejects a since at or after the reference and a non-positive lookback", () => {
  assert.throws(
    () => computeWindow({ reference: REF, since: REF, defaultLookbackMs: HOUR }),
    UsageError,
  );
  assert.throws(
    () =>
      computeWindow({
        reference: REF,
        since: new Date(REF.getTime() + 1),
        defaultLookbackMs: HOUR,
      }),
    /Cannot use --since 2026-03-01T12:00:00\.001Z: it is not before/,
  );
  assert.throws(() => computeWindow({ reference: REF, defaultLookbackMs: 0 }), UsageError);
  assert.throws(
    () => computeWindow({ reference: REF, lookbackMs: -5, defaultLookbackMs: HOUR }),
    UsageError,
  );
});

Deno.test("inWindow() includes since and excludes until", () => {
  const w = { since: new Date(1000), until: new Date(2000) };
  assert.equal(inWindow(new Date(999), w), false);
  assert.equal(inWindow(new Date(1000), w), true);
  assert.equal(inWindow(new Date(1999), w), true);
  assert.equal(inWindow(new Date(2000), w), false);
});

Deno.test("parseDuration() reads d/h/m/s durations and combinations", () => {
  const cases: [string, number][] = [
    ["90m", 90 * 60_000],
    ["36h", 36 * HOUR],
    ["7d", 7 * 24 * HOUR],
    ["1h30m", 90 * 60_000],
    ["2d12h", 60 * HOUR],
    ["45s", 45_000],
    ["1H30M", 90 * 60_000],
    [" 15m ", 15 * 60_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

Deno.test("parseDuration() rejects bad input with UsageError", () => {
  for (const text of ["", "90", "m", "1.5h", "-1h", "0m", "30m1h", "1h 30m", "1w", "1hh"]) {
    assert.throws(() => parseDuration(text), UsageError, JSON.stringify(text));
  }
  assert.throws(() => parseDuration("abc"), /Cannot parse duration "abc": use whole numbers/);
});

Deno.test("parseSince() reads RFC 3339 instants with Z or an offset", () => {
  const cases: [string, string][] = [
    ["2026-03-01T10:00:00Z", "2026-03-01T10:00:00.000Z"],
    ["2026-03-01T11:00:00+01:00", "2026-03-01T10:00:00.000Z"],
    ["2026-03-01T05:30:00-04:30", "2026-03-01T10:00:00.000Z"],
    ["2026-03-01t10:00:00.250z", "2026-03-01T10:00:00.250Z"],
    ["2026-03-01 10:00:00Z", "2026-03-01T10:00:00.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
  ];
  for (const [text, iso] of cases) assert.equal(parseSince(text).toISOString(), iso, text);
});

Deno.test("parseSince() rejects dates without an offset and impossible dates", () => {
  const bad = [
    "2026-03-01T10:00:00",
    "2026-03-01",
    "yesterday",
    "2026-02-30T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2026-03-01T24:00:00Z",
    "2026-03-01T10:60:00Z",
    "2026-03-01T10:00:00+25:00",
    "1772359200",
  ];
  for (const text of bad) assert.throws(() => parseSince(text), UsageError, text);
  assert.throws(() => parseSince("2026-03-01T10:00:00"), /with Z or an offset like \+01:00/);
});
