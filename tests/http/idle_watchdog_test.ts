import assert from "node:assert/strict";
import { IdleWatchdog } from "../../src/http/idle_watchdog.ts";
import { SteppedClock } from "../helpers/clocks.ts";

Deno.test("IdleWatchdog fires once after the timeout without activity", async () => {
  const clock = new SteppedClock();
  let fired = 0;
  const watchdog = new IdleWatchdog({ clock, timeoutMs: 1000, onIdle: () => fired++ });
  await clock.advance(999);
  assert.equal(fired, 0);
  await clock.advance(1);
  assert.equal(fired, 1);
  assert.equal(watchdog.fired, true);
  await clock.advance(5000);
  assert.equal(fired, 1, "fires only once");
  assert.equal(clock.pending, 0);
});

Deno.test("IdleWatchdog counts the timeout from the last activity", async () => {
  const clock = new SteppedClock();
  let fired = 0;
  const watchdog = new IdleWatchdog({ clock, timeoutMs: 1000, onIdle: () => fired++ });
  await clock.advance(600);
  watchdog.touch();
  await clock.advance(600);
  watchdog.touch();
  await clock.advance(999);
  assert.equal(fired, 0, "never 1000 ms without a touch");
  await clock.advance(1);
  assert.equal(fired, 1);
});

Deno.test("IdleWatchdog stop releases its timer and never fires", async () => {
  const clock = new SteppedClock();
  let fired = 0;
  const watchdog = new IdleWatchdog({ clock, timeoutMs: 1000, onIdle: () => fired++ });
  await clock.advance(500);
  watchdog.stop();
  assert.equal(clock.pending, 0);
  await clock.advance(5000);
  assert.equal(fired, 0);
  assert.equal(watchdog.fired, false);
});
