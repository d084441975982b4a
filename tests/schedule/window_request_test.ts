import assert from "node:assert/strict";
import { Metrics } from "../../src/metrics.ts";
import { Scheduler } from "../../src/scheduler.ts";
import { FakeJob, MemoryLock, testSettings } from "./scheduler_fakes.ts";

const HOUR = 3_600_000;

Deno.test("scheduled runs and plain triggers may catch up; --since/--lookback triggers are explicit", async () => {
  const job = new FakeJob();
  const lock = new MemoryLock();
  const scheduler = new Scheduler({
    settings: testSettings({ interval_minutes: 60 }),
    job,
    metrics: new Metrics(),
    lockFactory: lock.factory,
    random: () => 0,
  });
  await scheduler.runOnce();
  await scheduler.trigger();
  await scheduler.trigger({ lookbackMs: 7 * HOUR });
  await scheduler.trigger({ since: new Date("2026-03-01T00:00:00Z") });
  assert.deepEqual(
    job.calls.map((c) => [c.explicitWindow, c.lookbackMs]),
    [[false, 2 * HOUR], [false, 2 * HOUR], [true, 7 * HOUR], [true, undefined]],
  );
});
