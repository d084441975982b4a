import assert from "node:assert/strict";
import { IntervalTimer } from "../../src/schedule/interval_timer.ts";
import { fakeTime } from "./scheduler_fakes.ts";

const START = "2026-03-08T07:00:00.000Z";

Deno.test("IntervalTimer ticks at the start and then every period", async () => {
  using time = fakeTime(START);
  const ticks: string[] = [];
  const timer = new IntervalTimer({
    periodMs: 15 * 60_000,
    onTick: (d) => ticks.push(d.toISOString()),
  });
  timer.start();
  assert.deepEqual(ticks, [START]);
  assert.equal(timer.next?.toISOString(), "2026-03-08T07:15:00.000Z");
  await time.tickAsync(15 * 60_000 - 1);
  assert.equal(ticks.length, 1);
  await time.tickAsync(1);
  await time.tickAsync(15 * 60_000);
  assert.deepEqual(ticks, [START, "2026-03-08T07:15:00.000Z", "2026-03-08T07:30:00.000Z"]);
  await timer.stop();
  assert.equal(timer.next, undefined);
  await time.tickAsync(60 * 60_000);
  assert.equal(ticks.length, 3);
  assert.equal(time.countTimers(), 0);
});

Deno.test("IntervalTimer fires once for ticks missed while the clock jumped, then keeps its grid", async () => {
  using time = fakeTime(START);
  const ticks: string[] = [];
  const timer = new IntervalTimer({
    periodMs: 10 * 60_000,
    onTick: (d) => ticks.push(d.toISOString()),
  });
  timer.start();
  time.setSystemTime(Date.parse("2026-03-08T07:35:00.000Z"));
  await time.tickAsync(30_000);
  assert.deepEqual(ticks, [START, "2026-03-08T07:30:00.000Z"]);
  assert.equal(timer.next?.toISOString(), "2026-03-08T07:40:00.000Z");
  await time.tickAsync(5 * 60_000);
  assert.equal(ticks.at(-1), "2026-03-08T07:40:00.000Z");
  await timer.stop();
});

Deno.test("IntervalTimer rejects a period that is not positive", () => {
  assert.throws(() => new IntervalTimer({ periodMs: 0, onTick: () => {} }), RangeError);
});
