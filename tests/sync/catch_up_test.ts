import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  coverCommand,
  describeWindow,
  formatSpan,
  overlapMs,
  planWindow,
  type WindowPlanInput,
  type WindowReason,
} from "../../src/sync/catch_up.ts";

const HOUR = 3_600_000;
const MIN = 60_000;
const NOW = new Date("2026-03-10T12:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * HOUR);

/** An hourly schedule: default lookback 2 h, overlap 1 h, cap 168 h. */
const HOURLY: WindowPlanInput = { now: NOW, defaultLookbackMs: 2 * HOUR, maxCatchUpMs: 168 * HOUR };

interface Case {
  name: string;
  input: Partial<WindowPlanInput>;
  since: string;
  reason: WindowReason;
  gapHours?: number;
  catchUpHours: number;
  uncovered?: [string, string];
}

const CASES: Case[] = [
  {
    name: "first run ever: the default lookback",
    input: {},
    since: "2026-03-10T10:00:00.000Z",
    reason: "first_run",
    catchUpHours: 0,
  },
  {
    name: "first run with initial_lookback_hours = 72",
    input: { initialLookbackMs: 72 * HOUR },
    since: "2026-03-07T12:00:00.000Z",
    reason: "first_run",
    catchUpHours: 70,
  },
  {
    name: "previous hourly run on time: the default window already reaches back",
    input: { lastSuccessUntil: hoursAgo(1) },
    since: "2026-03-10T10:00:00.000Z",
    reason: "default",
    gapHours: 1,
    catchUpHours: 0,
  },
  {
    name: "a gap of 3 h: from the last success minus the 1 h overlap",
    input: { lastSuccessUntil: hoursAgo(3) },
    since: "2026-03-10T08:00:00.000Z",
    reason: "catch_up",
    gapHours: 3,
    catchUpHours: 2,
  },
  {
    name: "a weekend of downtime (62 h)",
    input: { lastSuccessUntil: new Date("2026-03-07T22:00:00Z") },
    since: "2026-03-07T21:00:00.000Z",
    reason: "catch_up",
    gapHours: 62,
    catchUpHours: 61,
  },
  {
    name: "failed runs since (exit 1 recorded nothing): still from the last success 5 h ago",
    input: { lastSuccessUntil: hoursAgo(5) },
    since: "2026-03-10T06:00:00.000Z",
    reason: "catch_up",
    gapHours: 5,
    catchUpHours: 4,
  },
  {
    name: "a gap longer than the cap: window only to the cap, the rest uncovered",
    input: { lastSuccessUntil: hoursAgo(200) },
    since: "2026-03-03T12:00:00.000Z",
    reason: "capped",
    gapHours: 200,
    catchUpHours: 166,
    uncovered: ["2026-03-02T03:00:00.000Z", "2026-03-03T12:00:00.000Z"],
  },
  {
    name: "a gap exactly at the cap minus the overlap is not capped",
    input: { lastSuccessUntil: hoursAgo(167) },
    since: "2026-03-03T12:00:00.000Z",
    reason: "catch_up",
    gapHours: 167,
    catchUpHours: 166,
  },
  {
    name: "a cap below the default lookback never narrows the default window",
    input: { lastSuccessUntil: hoursAgo(10), maxCatchUpMs: 1 * HOUR },
    since: "2026-03-10T10:00:00.000Z",
    reason: "capped",
    gapHours: 10,
    catchUpHours: 0,
    uncovered: ["2026-03-10T01:00:00.000Z", "2026-03-10T10:00:00.000Z"],
  },
  {
    name: "clock moved backwards: a last success in the future is ignored",
    input: { lastSuccessUntil: new Date(NOW.getTime() + 6 * HOUR) },
    since: "2026-03-10T10:00:00.000Z",
    reason: "clock_moved_back",
    catchUpHours: 0,
  },
  {
    name: "explicit --lookback wins over catch-up",
    input: { lastSuccessUntil: hoursAgo(30), lookbackMs: 90 * MIN },
    since: "2026-03-10T10:30:00.000Z",
    reason: "explicit",
    catchUpHours: 0,
  },
  {
    name: "explicit --since wins, even beyond the cap",
    input: { lastSuccessUntil: hoursAgo(3), since: new Date("2026-01-01T00:00:00Z") },
    since: "2026-01-01T00:00:00.000Z",
    reason: "explicit",
    catchUpHours: 0,
  },
  {
    name: "daily schedule (default lookback 12 h): overlap 6 h",
    input: { lastSuccessUntil: hoursAgo(30), defaultLookbackMs: 12 * HOUR },
    since: "2026-03-09T00:00:00.000Z",
    reason: "catch_up",
    gapHours: 30,
    catchUpHours: 24,
  },
  {
    name: "every 5 minutes (default lookback 10 min): overlap at least 5 min",
    input: { lastSuccessUntil: new Date(NOW.getTime() - 20 * MIN), defaultLookbackMs: 10 * MIN },
    since: "2026-03-10T11:35:00.000Z",
    reason: "catch_up",
    gapHours: 1 / 3,
    catchUpHours: 1 / 4,
  },
];

Deno.test("planWindow(): table of gaps, failed runs, cap, clock and explicit windows", () => {
  for (const c of CASES) {
    const w = planWindow({ ...HOURLY, ...c.input });
    assert.equal(w.since.toISOString(), c.since, c.name);
    assert.equal(w.until.toISOString(), NOW.toISOString(), c.name);
    assert.equal(w.reason, c.reason, c.name);
    assert.equal(w.gapMs, c.gapHours === undefined ? undefined : c.gapHours * HOUR, c.name);
    assert.equal(w.catchUpMs, c.catchUpHours * HOUR, c.name);
    const uncovered = w.uncovered &&
      [w.uncovered.since.toISOString(), w.uncovered.until.toISOString()];
    assert.deepEqual(uncovered, c.uncovered, c.name);
  }
});

Deno.test("planWindow(): DST changes do not move a window (maths on UTC instants)", () => {
  // America/Chicago springs forward at 2026-03-08 08:00Z (02:00 CST → 03:00 CDT) and falls back
  // at 2026-11-01 07:00Z (02:00 CDT → 01:00 CST). An hourly job's runs are 1 h apart in real time
  // even when the wall clock says 2 h or 0 h: the window stays the default one, never shorter.
  const cases = [
    { last: "2026-03-08T07:30:00Z", now: "2026-03-08T08:30:00Z", since: "2026-03-08T06:30:00Z" },
    { last: "2026-11-01T06:30:00Z", now: "2026-11-01T07:30:00Z", since: "2026-11-01T05:30:00Z" },
  ];
  for (const c of cases) {
    const w = planWindow({ ...HOURLY, now: new Date(c.now), lastSuccessUntil: new Date(c.last) });
    assert.equal(w.reason, "default", c.now);
    assert.equal(w.gapMs, HOUR, c.now);
    assert.equal(w.since.toISOString(), new Date(c.since).toISOString(), c.now);
  }
  // Down across the spring-forward night: 01:00 CST (07:00Z) to 09:00 CDT (14:00Z) is 7 h,
  // not the 8 h the wall clock suggests; the window starts at 06:00Z (00:00 CST).
  const w = planWindow({
    ...HOURLY,
    now: new Date("2026-03-08T14:00:00Z"),
    lastSuccessUntil: new Date("2026-03-08T07:00:00Z"),
  });
  assert.equal(w.reason, "catch_up");
  assert.equal(w.gapMs, 7 * HOUR);
  assert.equal(w.since.toISOString(), "2026-03-08T06:00:00.000Z");
});

Deno.test("planWindow() rejects an explicit since that is not before now", () => {
  assert.throws(() => planWindow({ ...HOURLY, since: NOW }), UsageError);
});

Deno.test("overlapMs() is half the default lookback, at least 5 minutes", () => {
  const table: [number, number][] = [[2 * HOUR, HOUR], [10 * MIN, 5 * MIN], [4 * MIN, 5 * MIN]];
  for (const [lookback, want] of table) assert.equal(overlapMs(lookback), want, String(lookback));
});

Deno.test("describeWindow() names the reason and the gap", () => {
  const table: [Partial<WindowPlanInput>, string][] = [
    [{}, "first run: default window of 2 h"],
    [{ lastSuccessUntil: hoursAgo(1) }, "default window of 2 h"],
    [{ lastSuccessUntil: hoursAgo(3) }, "catching up after a gap of 3 h: window of 4 h"],
    [
      { lastSuccessUntil: hoursAgo(200) },
      "catching up after a gap of 8 d 8 h, capped at 7 d 0 h by max_catch_up_hours",
    ],
    [{ lookbackMs: 45 * MIN }, "explicit window of 45 min (--since/--lookback)"],
  ];
  for (const [input, want] of table) {
    assert.equal(describeWindow(planWindow({ ...HOURLY, ...input })), want);
  }
  assert.equal(
    describeWindow(planWindow({ ...HOURLY, initialLookbackMs: 36 * HOUR }), {
      initialLookback: true,
    }),
    "first run: 36 h (initial_lookback_hours)",
  );
});

Deno.test("formatSpan() reads minutes, hours, then days", () => {
  const table: [number, string][] = [
    [45 * MIN, "45 min"],
    [3 * HOUR, "3 h"],
    [2.5 * HOUR, "2.5 h"],
    [47 * HOUR, "47 h"],
    [200 * HOUR, "8 d 8 h"],
  ];
  for (const [ms, want] of table) assert.equal(formatSpan(ms), want);
});

Deno.test("coverCommand() is the exact trigger that covers an interval", () => {
  const since = new Date("2026-03-02T03:00:00Z");
  assert.equal(coverCommand(since), "ingest trigger --since 2026-03-02T03:00:00.000Z");
  assert.equal(
    coverCommand(since, { configPath: "C:\\Program Files\\ingest\\settings.toml" }),
    'ingest --config "C:\\Program Files\\ingest\\settings.toml" trigger --since 2026-03-02T03:00:00.000Z',
  );
  assert.equal(
    coverCommand(since, { configPath: "/etc/ingest/settings.toml", job: "finance" }),
    "ingest --config /etc/ingest/settings.toml trigger --job finance --since 2026-03-02T03:00:00.000Z",
  );
});
