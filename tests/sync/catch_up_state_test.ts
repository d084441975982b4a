import assert from "node:assert/strict";
import type { TimeWindow } from "../../src/db/db_service_client.ts";
import type { JobState } from "../../src/state/state_wire.ts";
import { planWindow, type WindowPlanInput } from "../../src/sync/catch_up.ts";
import {
  addInterval,
  applySuccessfulRun,
  subtractWindow,
  totalMs,
} from "../../src/sync/catch_up_state.ts";

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const span = (a: string, b: string): TimeWindow => ({ since: at(a), until: at(b) });
const iso = (w: TimeWindow[]) => w.map((i) => `${i.since.toISOString()}/${i.until.toISOString()}`);

function state(extra: Partial<JobState> = {}): JobState {
  return { version: 1, key: "k", updated_at: "2026-03-01T00:00:00Z", ...extra };
}

function success(input: Partial<WindowPlanInput> & { now: Date }, s: JobState): JobState {
  const window = planWindow({ defaultLookbackMs: 2 * HOUR, maxCatchUpMs: 168 * HOUR, ...input });
  applySuccessfulRun(s, { window, exitCode: 0, finishedAt: input.now });
  return s;
}

Deno.test("addInterval() keeps intervals sorted and joins overlapping or touching ones", () => {
  const table: [TimeWindow[], TimeWindow, string[]][] = [
    [[], span("2026-03-01T00:00Z", "2026-03-01T01:00Z"), [
      "2026-03-01T00:00:00.000Z/2026-03-01T01:00:00.000Z",
    ]],
    [
      [span("2026-03-01T05:00Z", "2026-03-01T06:00Z")],
      span("2026-03-01T00:00Z", "2026-03-01T01:00Z"),
      [
        "2026-03-01T00:00:00.000Z/2026-03-01T01:00:00.000Z",
        "2026-03-01T05:00:00.000Z/2026-03-01T06:00:00.000Z",
      ],
    ],
    [
      [span("2026-03-01T00:00Z", "2026-03-01T02:00Z")],
      span("2026-03-01T02:00Z", "2026-03-01T03:00Z"),
      [
        "2026-03-01T00:00:00.000Z/2026-03-01T03:00:00.000Z",
      ],
    ],
  ];
  for (const [list, added, want] of table) assert.deepEqual(iso(addInterval(list, added)), want);
});

Deno.test("subtractWindow() removes what a window covered, splitting when needed", () => {
  const gap = [span("2026-03-01T00:00Z", "2026-03-01T10:00Z")];
  const table: [TimeWindow, string[]][] = [
    [span("2026-02-28T00:00Z", "2026-03-02T00:00Z"), []],
    [span("2026-03-01T04:00Z", "2026-03-02T00:00Z"), [
      "2026-03-01T00:00:00.000Z/2026-03-01T04:00:00.000Z",
    ]],
    [span("2026-03-01T02:00Z", "2026-03-01T03:00Z"), [
      "2026-03-01T00:00:00.000Z/2026-03-01T02:00:00.000Z",
      "2026-03-01T03:00:00.000Z/2026-03-01T10:00:00.000Z",
    ]],
    [span("2026-03-01T10:00Z", "2026-03-01T12:00Z"), [
      "2026-03-01T00:00:00.000Z/2026-03-01T10:00:00.000Z",
    ]],
  ];
  for (const [window, want] of table) assert.deepEqual(iso(subtractWindow(gap, window)), want);
});

Deno.test("applySuccessfulRun(): a run records its end; the next one catches up from it", () => {
  const s = success({ now: at("2026-03-10T12:00:00Z") }, state());
  assert.equal(s.last_success?.until, "2026-03-10T12:00:00.000Z");
  assert.equal(s.last_success?.exit_code, 0);
  assert.equal(s.uncovered, undefined);
  const next = planWindow({
    now: at("2026-03-10T15:00:00Z"),
    defaultLookbackMs: 2 * HOUR,
    maxCatchUpMs: 168 * HOUR,
    lastSuccessUntil: at(s.last_success!.until),
  });
  assert.equal(next.since.toISOString(), "2026-03-10T11:00:00.000Z");
});

Deno.test("applySuccessfulRun(): a capped run keeps the uncovered interval until a run covers it", () => {
  const s = state({
    last_success: {
      until: "2026-03-01T00:00:00.000Z",
      finished_at: "2026-03-01T00:00:05.000Z",
      exit_code: 0,
    },
  });
  success({ now: at("2026-03-10T12:00:00Z"), lastSuccessUntil: at("2026-03-01T00:00:00Z") }, s);
  assert.equal(s.last_success?.until, "2026-03-10T12:00:00.000Z");
  assert.deepEqual(s.uncovered, [{
    since: "2026-02-28T23:00:00.000Z",
    until: "2026-03-03T12:00:00.000Z",
    found_at: "2026-03-10T12:00:00.000Z",
  }]);
  // Later scheduled runs do not reach back to it: it stays.
  success({ now: at("2026-03-10T13:00:00Z"), lastSuccessUntil: at("2026-03-10T12:00:00Z") }, s);
  assert.equal(totalMs(s.uncovered!.map((u) => span(u.since, u.until))), 61 * HOUR);
  // A --since run that starts inside it covers the rest of it only.
  success({ now: at("2026-03-10T14:00:00Z"), since: at("2026-03-02T00:00:00Z") }, s);
  assert.deepEqual(s.uncovered?.map((u) => [u.since, u.until, u.found_at]), [[
    "2026-02-28T23:00:00.000Z",
    "2026-03-02T00:00:00.000Z",
    "2026-03-10T12:00:00.000Z",
  ]]);
  // The command check shows (--since the interval's start) clears it.
  success({ now: at("2026-03-10T15:00:00Z"), since: at("2026-02-28T23:00:00Z") }, s);
  assert.equal(s.uncovered, undefined);
  assert.equal(s.last_success?.until, "2026-03-10T15:00:00.000Z");
});

Deno.test("applySuccessfulRun(): an explicit window that leaves a hole does not move the record", () => {
  const s = state({
    last_success: {
      until: "2026-03-10T00:00:00.000Z",
      finished_at: "2026-03-10T00:00:05.000Z",
      exit_code: 3,
    },
  });
  success({ now: at("2026-03-10T12:00:00Z"), lookbackMs: HOUR }, s);
  assert.equal(s.last_success?.until, "2026-03-10T00:00:00.000Z");
  assert.equal(s.last_success?.exit_code, 3);
});

Deno.test("applySuccessfulRun(): after the clock moved back, the record moves back to now", () => {
  const s = state({
    last_success: {
      until: "2027-01-01T00:00:00.000Z",
      finished_at: "2027-01-01T00:00:05.000Z",
      exit_code: 0,
    },
  });
  success({ now: at("2026-03-10T12:00:00Z"), lastSuccessUntil: at("2027-01-01T00:00:00Z") }, s);
  assert.equal(s.last_success?.until, "2026-03-10T12:00:00.000Z");
});
