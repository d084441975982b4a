import assert from "node:assert/strict";
import {
  intervalPlan,
  schedulePlan,
  type TickPlan,
  TickSource,
} from "../../src/schedule/tick_source.ts";
import { SteppedClock } from "../helpers/clocks.ts";

const START = "2026-03-08T07:00:00.000Z";

/** A started tick source on a stepped clock at START, recording its ticks. */
function ticking(plan: TickPlan) {
  const time = new SteppedClock(START);
  const ticks: string[] = [];
  const timer = new TickSource({ plan, clock: time, onTick: (d) => ticks.push(d.toISOString()) });
  timer.start();
  return { time, ticks, timer };
}

Deno.test("TickSource on an interval ticks at the start and then every period", async () => {
  const { time, ticks, timer } = ticking(intervalPlan(15 * 60_000));
  assert.deepEqual(ticks, [START]);
  assert.equal(timer.next?.toISOString(), "2026-03-08T07:15:00.000Z");
  await time.advance(15 * 60_000 - 1);
  assert.equal(ticks.length, 1);
  await time.advance(1);
  await time.advance(15 * 60_000);
  assert.deepEqual(ticks, [START, "2026-03-08T07:15:00.000Z", "2026-03-08T07:30:00.000Z"]);
  await timer.stop();
  assert.equal(timer.next, undefined);
  await time.advance(60 * 60_000);
  assert.equal(ticks.length, 3);
  assert.equal(time.pending, 0);
});

Deno.test("TickSource fires once for interval ticks missed while the clock jumped, then keeps its grid", async () => {
  const { time, ticks, timer } = ticking(intervalPlan(10 * 60_000));
  time.jump("2026-03-08T07:35:00.000Z");
  await time.advance(30_000);
  assert.deepEqual(ticks, [START, "2026-03-08T07:30:00.000Z"]);
  assert.equal(timer.next?.toISOString(), "2026-03-08T07:40:00.000Z");
  await time.advance(5 * 60_000);
  assert.equal(ticks.at(-1), "2026-03-08T07:40:00.000Z");
  await timer.stop();
});

Deno.test("TickSource on a cron waits in slices of at most 30 s and fires once after a jump", async () => {
  const { time, ticks, timer } = ticking(
    schedulePlan({ kind: "cron", expression: "0 * * * *" }, "UTC"),
  );
  assert.deepEqual(ticks, []);
  assert.equal(timer.next?.toISOString(), "2026-03-08T08:00:00.000Z");
  await time.advance(60 * 60_000);
  assert.deepEqual(ticks, ["2026-03-08T08:00:00.000Z"]);
  assert.ok(Math.max(...time.sleeps) <= 30_000);
  time.jump("2026-03-08T11:20:00.000Z");
  await time.advance(30_000);
  assert.deepEqual(ticks, ["2026-03-08T08:00:00.000Z", "2026-03-08T11:20:00.000Z"]);
  assert.equal(timer.next?.toISOString(), "2026-03-08T12:00:00.000Z");
  await timer.stop();
  assert.equal(time.pending, 0);
});

Deno.test("intervalPlan() rejects a period that is not positive", () => {
  assert.throws(() => intervalPlan(0), RangeError);
});
