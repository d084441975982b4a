import assert from "node:assert/strict";
import { startTimer, systemClock } from "../src/clock.ts";
import { SteppedClock } from "./helpers/clocks.ts";

Deno.test("startTimer on the wall clock fires once, and not after cancel", async () => {
  let fired = 0;
  startTimer(systemClock, 1, () => fired++);
  const cancel = startTimer(systemClock, 1, () => fired += 10);
  cancel();
  cancel();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fired, 1);
});

Deno.test("startTimer falls back to sleep on a clock without timer", async () => {
  const clock = new SteppedClock();
  let fired = 0;
  startTimer(clock, 100, () => fired++);
  const cancel = startTimer(clock, 100, () => fired += 10);
  cancel();
  await clock.advance(99);
  assert.equal(fired, 0);
  await clock.advance(1);
  assert.equal(fired, 1);
  assert.equal(clock.pending, 0, "the cancelled sleep is gone too");
});
