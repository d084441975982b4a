import assert from "node:assert/strict";
import {
  defaultLookbackMs,
  describeSchedule,
  effectiveLookbackMs,
  jitterMs,
  largestDailyGapMs,
  nextRuns,
  toZonedIso,
} from "../../src/schedule/schedule_math.ts";
import type { ScheduleMode } from "../../src/config/settings.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function iso(dates: Date[]): string[] {
  return dates.map((d) => d.toISOString());
}

Deno.test("nextRuns() for an interval starts at `from` and steps by the interval", () => {
  const runs = nextRuns({ kind: "interval", minutes: 90 }, {
    from: new Date("2026-03-08T07:00:00Z"),
    count: 3,
    timezone: "America/Chicago",
  });
  assert.deepEqual(iso(runs), [
    "2026-03-08T07:00:00.000Z",
    "2026-03-08T08:30:00.000Z",
    "2026-03-08T10:00:00.000Z",
  ]);
  assert.deepEqual(
    nextRuns({ kind: "interval", minutes: 1 }, { from: new Date(0), count: 0, timezone: "UTC" }),
    [],
  );
});

Deno.test("nextRuns() runs a daily time in a spring-forward gap at the first instant after it", () => {
  // America/Chicago, 2026-03-08: 02:00 CST jumps to 03:00 CDT, so 02:30 does not exist.
  const runs = nextRuns({ kind: "daily", times: ["02:30", "09:05"] }, {
    from: new Date("2026-03-07T12:00:00Z"),
    count: 5,
    timezone: "America/Chicago",
  });
  assert.deepEqual(iso(runs), [
    "2026-03-07T15:05:00.000Z", // 09:05 CST
    "2026-03-08T08:00:00.000Z", // 03:00 CDT, the first instant after the gap
    "2026-03-08T14:05:00.000Z", // 09:05 CDT
    "2026-03-09T07:30:00.000Z", // 02:30 CDT
    "2026-03-09T14:05:00.000Z",
  ]);
});

Deno.test("nextRuns() runs two daily times that fall on the same instant of a DST gap once", () => {
  const runs = nextRuns({ kind: "daily", times: ["02:30", "03:00"] }, {
    from: new Date("2026-03-08T00:00:00Z"),
    count: 3,
    timezone: "America/Chicago",
  });
  assert.deepEqual(iso(runs), [
    "2026-03-08T08:00:00.000Z",
    "2026-03-09T07:30:00.000Z",
    "2026-03-09T08:00:00.000Z",
  ]);
});

Deno.test("nextRuns() runs a daily time that occurs twice on a fall-back night once", () => {
  // America/Chicago, 2026-11-01: 02:00 CDT falls back to 01:00 CST, so 01:30 happens twice.
  const runs = nextRuns({ kind: "daily", times: ["01:30"] }, {
    from: new Date("2026-10-31T12:00:00Z"),
    count: 3,
    timezone: "America/Chicago",
  });
  assert.deepEqual(iso(runs), [
    "2026-11-01T06:30:00.000Z", // 01:30 CDT, the first occurrence only
    "2026-11-02T07:30:00.000Z", // 01:30 CST
    "2026-11-03T07:30:00.000Z",
  ]);
});

Deno.test("nextRuns() handles Europe/Berlin's DST changes for daily times", () => {
  const spring = nextRuns({ kind: "daily", times: ["02:30"] }, {
    from: new Date("2026-03-28T12:00:00Z"),
    count: 2,
    timezone: "Europe/Berlin",
  });
  assert.deepEqual(iso(spring), ["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
  const autumn = nextRuns({ kind: "daily", times: ["02:30"] }, {
    from: new Date("2026-10-24T12:00:00Z"),
    count: 2,
    timezone: "Europe/Berlin",
  });
  assert.deepEqual(iso(autumn), ["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
});

Deno.test("nextRuns() for cron reads the fields in the zone", () => {
  const runs = nextRuns({ kind: "cron", expression: "0 9 * * MON-FRI" }, {
    from: new Date("2026-03-06T12:00:00Z"), // a Friday
    count: 3,
    timezone: "America/Chicago",
  });
  assert.deepEqual(iso(runs), [
    "2026-03-06T15:00:00.000Z",
    "2026-03-09T14:00:00.000Z", // Monday, after the DST change
    "2026-03-10T14:00:00.000Z",
  ]);
  const utc = nextRuns({ kind: "cron", expression: "*/20 * * * *" }, {
    from: new Date("2026-03-06T12:00:00Z"),
    count: 2,
    timezone: "UTC",
  });
  assert.deepEqual(iso(utc), ["2026-03-06T12:20:00.000Z", "2026-03-06T12:40:00.000Z"]);
});

Deno.test("largestDailyGapMs() measures gaps between daily times, wrapping midnight", () => {
  const cases: [string[], number][] = [
    [["09:05", "12:05", "15:05", "18:05"], 15 * HOUR],
    [["00:00", "12:00"], 12 * HOUR],
    [["23:30", "00:30"], 23 * HOUR],
    [["06:00"], DAY],
    [["06:00", "06:00"], DAY],
  ];
  for (const [times, want] of cases) assert.equal(largestDailyGapMs(times), want, times.join());
});

Deno.test("defaultLookbackMs() is twice the schedule's longest pause", () => {
  const from = new Date("2026-03-06T12:00:00Z");
  const cases: [ScheduleMode, number][] = [
    [{ kind: "interval", minutes: 60 }, 2 * HOUR],
    [{ kind: "interval", minutes: 5 }, 10 * MIN],
    [{ kind: "daily", times: ["09:05", "12:05", "15:05", "18:05"] }, 30 * HOUR],
    [{ kind: "daily", times: ["07:00"] }, 2 * DAY],
    [{ kind: "cron", expression: "*/5 * * * *" }, 10 * MIN],
    [{ kind: "cron", expression: "0 */6 * * *" }, 12 * HOUR],
    // Weekdays only: the weekend gap (Fri 09:00 to Mon 09:00) counts.
    [{ kind: "cron", expression: "0 9 * * 1-5" }, 2 * 72 * HOUR],
    // Every minute in office hours on weekdays: Fri 17:59 to Mon 09:00.
    [{ kind: "cron", expression: "* 9-17 * * 1-5" }, 2 * (63 * HOUR + MIN)],
  ];
  for (const [mode, want] of cases) {
    assert.equal(defaultLookbackMs(mode, "UTC", from), want, JSON.stringify(mode));
  }
});

Deno.test("effectiveLookbackMs() prefers lookback_minutes over the derived default", () => {
  const schedule: ScheduleMode = { kind: "interval", minutes: 30 };
  assert.equal(
    effectiveLookbackMs({ schedule, timezone: "UTC", lookback_minutes: 600 }),
    600 * MIN,
  );
  assert.equal(effectiveLookbackMs({ schedule, timezone: "UTC" }), 60 * MIN);
});

Deno.test("jitterMs() stays within [0, jitter] for any random value", () => {
  assert.equal(jitterMs(0, () => 0.99), 0);
  assert.equal(jitterMs(10, () => 0), 0);
  assert.equal(jitterMs(10, () => 0.5), 5000);
  assert.equal(jitterMs(10, () => 0.9999999999), 10_000);
  assert.equal(jitterMs(10, () => 1), 10_000);
  assert.equal(jitterMs(10, () => -1), 0);
  let seed = 42;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 1000; i++) {
    const value = jitterMs(2.5, random);
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 2500, String(value));
  }
});

Deno.test("toZonedIso() prints the instant with the zone's offset", () => {
  const instant = new Date("2026-03-08T08:00:00Z");
  assert.equal(toZonedIso(instant, "America/Chicago"), "2026-03-08T03:00:00-05:00");
  assert.equal(
    toZonedIso(new Date("2026-03-08T07:59:00Z"), "America/Chicago"),
    "2026-03-08T01:59:00-06:00",
  );
  assert.equal(toZonedIso(instant, "UTC"), "2026-03-08T08:00:00Z");
  assert.equal(toZonedIso(instant, "Asia/Kolkata"), "2026-03-08T13:30:00+05:30");
});

Deno.test("describeSchedule() names the mode and zone", () => {
  assert.equal(describeSchedule({ kind: "interval", minutes: 60 }, "local"), "every 60 minutes");
  assert.equal(
    describeSchedule({ kind: "daily", times: ["09:05", "18:05"] }, "Europe/Berlin"),
    "daily at 09:05, 18:05 (Europe/Berlin)",
  );
  assert.equal(
    describeSchedule({ kind: "cron", expression: "*/5 * * * *" }, "local"),
    'cron "*/5 * * * *" (local)',
  );
});
