import assert from "node:assert/strict";
import { type Clock, systemClock } from "../../src/clock.ts";
import { AbortedError, ExitCode, LockedError } from "../../src/errors.ts";
import { Metrics } from "../../src/metrics.ts";
import { Scheduler, TICK_COUNT } from "../../src/scheduler.ts";
import { TICK_SKIPPED_OVERLAP_COUNT } from "../../src/schedule/run_requests.ts";
import { acquireRunLock } from "../../src/schedule/run_lock.ts";
import { SteppedClock } from "../helpers/clocks.ts";
import { FakeJob, MemoryLock, messages, recordLogs, testSettings } from "./scheduler_fakes.ts";

const START = "2026-03-08T07:00:00.000Z";
const MIN = 60_000;
const HOUR = 60 * MIN;

function setup(
  overrides: Record<string, unknown> = {},
  options: { job?: FakeJob; random?: () => number; abortGraceMs?: number; clock?: Clock } = {},
) {
  const job = options.job ?? new FakeJob();
  const clock = options.clock ?? systemClock;
  const lock = new MemoryLock(clock);
  const metrics = new Metrics();
  const scheduler = new Scheduler({
    settings: testSettings(overrides),
    job,
    clock,
    metrics,
    lockFactory: lock.factory,
    random: options.random ?? (() => 0),
    abortGraceMs: options.abortGraceMs,
  });
  return { scheduler, job, lock, metrics };
}

/** Waits on real timers until `condition` holds (tests on the wall clock). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 0));
  assert.ok(condition(), "condition not reached");
}

function references(job: FakeJob): string[] {
  return job.calls.map((call) => call.reference.toISOString());
}

Deno.test("runOnce() invokes SyncJob.run once under the lock, with the scheduled window", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, lock, metrics } = setup({ interval_minutes: 30 }, { clock: time });
  const outcome = await scheduler.runOnce();
  assert.equal(outcome.status, "completed");
  assert.equal(outcome.exitCode, ExitCode.Ok);
  assert.equal(job.calls.length, 1);
  const call = job.calls[0]!;
  assert.equal(call.trigger, "schedule");
  assert.equal(call.reference.toISOString(), START);
  assert.equal(call.lookbackMs, 60 * MIN);
  assert.equal(call.dryRun, false);
  assert.equal(call.signal?.aborted, false);
  assert.deepEqual([lock.acquisitions, lock.releases, lock.requests[0]?.wait], [1, 1, false]);
  assert.equal(metrics.value(TICK_COUNT), 1);
});

Deno.test("trigger() invokes SyncJob.run once as a manual run with the caller's window", async () => {
  const { scheduler, job } = setup({ lookback_minutes: 90 });
  const since = new Date("2026-03-01T00:00:00Z");
  const outcome = await scheduler.trigger({ since, dryRun: true });
  assert.equal(outcome.status, "completed");
  assert.equal(job.calls.length, 1);
  assert.equal(job.calls[0]?.trigger, "manual");
  assert.equal(job.calls[0]?.since, since);
  assert.equal(job.calls[0]?.lookbackMs, undefined);
  assert.equal(job.calls[0]?.dryRun, true);
  await scheduler.trigger({ lookbackMs: 7 * HOUR });
  await scheduler.trigger();
  assert.deepEqual(job.calls.map((c) => c.lookbackMs), [undefined, 7 * HOUR, 90 * MIN]);
});

Deno.test("interval: the first tick runs at start, then one per interval, until stopped", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, metrics } = setup({ interval_minutes: 60 }, { clock: time });
  assert.equal(scheduler.start(), true);
  await time.advance(0);
  assert.deepEqual(references(job), [START]);
  await time.advance(HOUR - 1);
  assert.equal(job.calls.length, 1);
  await time.advance(1);
  await time.advance(HOUR);
  assert.deepEqual(references(job), [
    START,
    "2026-03-08T08:00:00.000Z",
    "2026-03-08T09:00:00.000Z",
  ]);
  assert.equal(metrics.value(TICK_COUNT), 3);
  assert.deepEqual(await scheduler.stop(), { aborted: false });
  await time.advance(3 * HOUR);
  assert.equal(job.calls.length, 3);
  assert.equal(time.pending, 0);
});

Deno.test("interval: a tick during a run is skipped with a warning (overlap_policy skip)", async () => {
  const time = new SteppedClock(START);
  await using logs = await recordLogs();
  const { scheduler, job, metrics } = setup({}, { clock: time, job: new FakeJob({ hold: true }) });
  scheduler.start();
  await time.advance(HOUR);
  assert.equal(job.calls.length, 1, "the second tick did not start a run");
  assert.equal(metrics.value(TICK_COUNT), 2);
  assert.equal(metrics.value(TICK_SKIPPED_OVERLAP_COUNT), 1);
  const warning = logs.find((r) => r.level === "warning");
  assert.match(
    messages(warning ? [warning] : [])[0] ?? "",
    /Skipped tick: a run is still in progress/,
  );
  job.finish();
  await time.advance(HOUR);
  assert.deepEqual(references(job), [START, "2026-03-08T09:00:00.000Z"]);
  job.finish();
  await scheduler.stop();
});

Deno.test("interval: a tick during a run is queued and runs right after it; one queued at most", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, metrics } = setup({ overlap_policy: "queue" }, {
    clock: time,
    job: new FakeJob({ hold: true }),
  });
  scheduler.start();
  await time.advance(2 * HOUR);
  assert.equal(job.calls.length, 1);
  assert.equal(metrics.value(TICK_SKIPPED_OVERLAP_COUNT), 1, "the third tick found the queue full");
  await time.advance(10 * MIN);
  job.finish();
  await time.advance(0);
  assert.deepEqual(references(job), [START, "2026-03-08T09:10:00.000Z"]);
  assert.equal(job.peak, 1);
  job.finish();
  await time.advance(0);
  assert.equal(job.calls.length, 2, "nothing else was queued");
  await scheduler.stop();
});

Deno.test("interval: allow_overlap runs ticks concurrently under one process lock", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, lock } = setup({ allow_overlap: true }, {
    clock: time,
    job: new FakeJob({ hold: true }),
  });
  scheduler.start();
  await time.advance(HOUR);
  assert.equal(job.calls.length, 2);
  assert.equal(job.peak, 2);
  assert.equal(lock.acquisitions, 1);
  job.finish();
  job.finish();
  await time.advance(0);
  assert.equal(lock.held, false);
  await scheduler.stop();
});

Deno.test("trigger() while a run is in progress is skipped (exit 4) unless forced", async () => {
  const { scheduler, job, lock } = setup({}, { job: new FakeJob({ hold: true }) });
  const first = scheduler.trigger();
  await until(() => job.calls.length === 1);
  const second = await scheduler.trigger();
  assert.deepEqual(second, { status: "skipped", reason: "overlap", exitCode: ExitCode.Locked });
  assert.equal(job.calls.length, 1);
  const forced = scheduler.trigger({ force: true });
  await until(() => job.calls.length === 2);
  assert.equal(job.peak, 2, "the forced run runs concurrently");
  assert.equal(lock.acquisitions, 1, "and shares the process's lock");
  job.finish();
  job.finish();
  assert.equal((await first).status, "completed");
  assert.equal((await forced).status, "completed");
});

Deno.test("trigger() while a run is in progress is queued with overlap_policy queue", async () => {
  const { scheduler, job } = setup({ overlap_policy: "queue" }, {
    job: new FakeJob({ hold: true }),
  });
  const first = scheduler.trigger();
  await until(() => job.calls.length === 1);
  const queued = scheduler.trigger();
  const third = await scheduler.trigger();
  assert.equal(third.status, "skipped");
  assert.equal(job.calls.length, 1);
  job.finish();
  assert.equal((await first).status, "completed");
  await until(() => job.calls.length === 2);
  job.finish();
  assert.equal((await queued).status, "completed");
  assert.equal(job.peak, 1);
});

Deno.test("stop() waits for the in-flight run within the timeout and reports a clean stop", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job } = setup({}, { clock: time, job: new FakeJob({ hold: true }) });
  const run = scheduler.trigger();
  await time.advance(0);
  const stopping = scheduler.stop({ timeoutMs: 30_000 });
  await time.advance(20_000);
  assert.equal(job.calls[0]?.signal?.aborted, false);
  job.finish();
  assert.deepEqual(await stopping, { aborted: false });
  assert.equal((await run).status, "completed");
  assert.equal(time.pending, 0);
});

Deno.test("stop() aborts the in-flight run when shutdown_timeout_seconds passes", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job } = setup({ shutdown_timeout_seconds: 30 }, {
    clock: time,
    job: new FakeJob({ hold: true }),
  });
  const run = scheduler.runOnce();
  await time.advance(0);
  const stopping = scheduler.stop();
  await time.advance(29_999);
  assert.equal(job.calls[0]?.signal?.aborted, false);
  await time.advance(1);
  assert.equal(job.calls[0]?.signal?.aborted, true);
  assert.deepEqual(await stopping, { aborted: true });
  const outcome = await run;
  assert.equal(outcome.status, "aborted");
  assert.ok(outcome.status === "aborted" && outcome.error instanceof AbortedError);
});

Deno.test("stop() gives up on a run that ignores the abort after the grace period", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job } = setup({}, {
    clock: time,
    job: new FakeJob({ hold: true, ignoreAbort: true }),
    abortGraceMs: 1_000,
  });
  void scheduler.trigger();
  await time.advance(0);
  const stopping = scheduler.stop({ timeoutMs: 5_000 });
  await time.advance(6_000);
  assert.deepEqual(await stopping, { aborted: true });
  job.finish();
  await time.advance(0);
});

Deno.test("abort() ends the in-flight run at once (second signal)", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job } = setup({}, { clock: time, job: new FakeJob({ hold: true }) });
  const run = scheduler.trigger();
  await time.advance(0);
  const stopping = scheduler.stop({ timeoutMs: 60_000 });
  await time.advance(1_000);
  scheduler.abort();
  assert.deepEqual(await stopping, { aborted: true });
  assert.equal((await run).status, "aborted");
  assert.equal(job.inFlight, 0);
});

Deno.test("a throwing job is logged and the interval daemon runs the next tick", async () => {
  const time = new SteppedClock(START);
  await using logs = await recordLogs();
  const job = new FakeJob();
  job.failures = [new Error("boom")];
  const { scheduler } = setup({}, { clock: time, job });
  scheduler.start();
  await time.advance(HOUR);
  assert.equal(job.calls.length, 2);
  assert.ok(messages(logs).includes("Run failed: boom"));
  await scheduler.stop();
});

Deno.test("a throwing job does not stop croner ticks in cron mode", async () => {
  const time = new SteppedClock(START);
  const job = new FakeJob();
  job.failures = [new Error("first"), new TypeError("second")];
  const { scheduler } = setup({ cron: "*/5 * * * *", timezone: "UTC" }, { clock: time, job });
  scheduler.start();
  await time.advance(15 * MIN);
  assert.deepEqual(references(job), [
    "2026-03-08T07:05:00.000Z",
    "2026-03-08T07:10:00.000Z",
    "2026-03-08T07:15:00.000Z",
  ]);
  await scheduler.stop();
  assert.equal(time.pending, 0);
});

Deno.test("daily times fire across DST changes in America/Chicago", async (t) => {
  await t.step("spring forward: 02:30 does not exist and runs at 03:00 CDT", async () => {
    const time = new SteppedClock("2026-03-08T06:00:00Z"); // midnight CST
    const { scheduler, job } = setup({ quad_daily_times: ["02:30"], timezone: "America/Chicago" }, {
      clock: time,
    });
    scheduler.start();
    await time.advance(26 * HOUR);
    assert.deepEqual(references(job), ["2026-03-08T08:00:00.000Z", "2026-03-09T07:30:00.000Z"]);
    assert.equal(job.calls[0]?.lookbackMs, 48 * HOUR);
    await scheduler.stop();
  });
  await t.step("fall back: 01:30 happens twice and runs once", async () => {
    const time = new SteppedClock("2026-11-01T05:00:00Z"); // midnight CDT
    const { scheduler, job } = setup({ quad_daily_times: ["01:30"], timezone: "America/Chicago" }, {
      clock: time,
    });
    scheduler.start();
    await time.advance(27 * HOUR);
    assert.deepEqual(references(job), ["2026-11-01T06:30:00.000Z", "2026-11-02T07:30:00.000Z"]);
    await scheduler.stop();
  });
});

Deno.test("enabled = false: start() schedules nothing, run-once and trigger skip with exit 0, trigger --force runs", async () => {
  const time = new SteppedClock(START);
  await using logs = await recordLogs();
  const { scheduler, job } = setup({ enabled: false }, { clock: time });
  assert.equal(scheduler.start(), false);
  assert.ok(messages(logs).some((m) => m.startsWith("Scheduling is disabled")));
  await time.advance(3 * HOUR);
  assert.equal(job.calls.length, 0);
  assert.equal(time.pending, 0);
  const once = await scheduler.runOnce();
  assert.ok(once.status === "skipped" && once.reason === "disabled");
  assert.equal(once.exitCode, ExitCode.Ok);
  const trigger = await scheduler.trigger();
  assert.ok(trigger.status === "skipped" && trigger.reason === "disabled");
  assert.match(String((trigger.error as Error).message), /disabled .*pass --force/);
  assert.equal(job.calls.length, 0);
  assert.ok(
    messages(logs).some((m) => m.startsWith('Skipped run-once: job "default" is disabled')),
  );
  assert.equal((await scheduler.trigger({ force: true })).status, "completed");
  assert.equal(job.calls.length, 1);
});

Deno.test("a run that finds the lock held by another process is skipped with exit 4", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, lock, metrics } = setup({}, { clock: time });
  lock.heldElsewhere = true;
  const outcome = await scheduler.runOnce();
  assert.equal(outcome.exitCode, ExitCode.Locked);
  assert.ok(outcome.status === "skipped" && outcome.reason === "locked");
  assert.ok(outcome.error instanceof LockedError && outcome.error.message.includes("pid 4242"));
  scheduler.start();
  await time.advance(0);
  assert.equal(job.calls.length, 0);
  assert.equal(metrics.value(TICK_SKIPPED_OVERLAP_COUNT), 2);
  await scheduler.stop();
});

Deno.test("with overlap_policy queue a run waits for another process's lock", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, lock } = setup({ overlap_policy: "queue" }, { clock: time });
  lock.heldElsewhere = true;
  const run = scheduler.runOnce();
  await time.advance(10_000);
  assert.equal(job.calls.length, 0);
  lock.heldElsewhere = false;
  await time.advance(250);
  assert.equal((await run).status, "completed");
  assert.equal(job.calls[0]?.reference.toISOString(), "2026-03-08T07:00:10.250Z");
});

Deno.test("stop() cancels a run still waiting for the lock without waiting for the timeout", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job, lock } = setup({ overlap_policy: "queue" }, { clock: time });
  lock.heldElsewhere = true;
  const run = scheduler.runOnce();
  await time.advance(1_000);
  const stopping = scheduler.stop({ timeoutMs: 60_000 });
  await time.advance(0);
  assert.deepEqual(await stopping, { aborted: false });
  assert.equal((await run).status, "aborted");
  assert.equal(job.calls.length, 0);
});

Deno.test("jitter delays each interval tick by a random share of jitter_seconds", async () => {
  const time = new SteppedClock(START);
  const { scheduler, job } = setup({ jitter_seconds: 10 }, { clock: time, random: () => 0.5 });
  scheduler.start();
  await time.advance(4_999);
  assert.equal(job.calls.length, 0);
  await time.advance(1);
  await time.advance(HOUR);
  assert.deepEqual(references(job), ["2026-03-08T07:00:05.000Z", "2026-03-08T08:00:05.000Z"]);
  await scheduler.stop();
});

Deno.test("start() logs the mode, and the next planned run after every tick", async () => {
  const time = new SteppedClock(START);
  await using logs = await recordLogs();
  const { scheduler } = setup({ quad_daily_times: ["09:05", "18:05"], timezone: "Europe/Berlin" }, {
    clock: time,
  });
  scheduler.start();
  await time.advance(3 * HOUR);
  await scheduler.stop();
  const lines = messages(logs);
  assert.ok(lines.includes("Scheduler started: daily at 09:05, 18:05 (Europe/Berlin)"));
  const started = logs.find((r) => r.message[0] === "Scheduler started: ");
  assert.equal(started?.properties.mode, "daily");
  assert.deepEqual(lines.filter((m) => m.startsWith("Next run at")), [
    "Next run at 2026-03-08T08:05:00.000Z",
    "Next run at 2026-03-08T17:05:00.000Z",
  ]);
  assert.ok(lines.includes("Scheduler stopped"));
});

Deno.test("metrics are written to metrics_file after each run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-metrics-" });
  try {
    const { scheduler } = setup({ metrics_file: `${dir}/ingest.prom` });
    await scheduler.runOnce();
    const text = await Deno.readTextFile(`${dir}/ingest.prom`);
    assert.match(text, /^ingest_scheduler_tick_total 1$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runs requested after stop() are skipped", async () => {
  const { scheduler, job } = setup();
  await scheduler.stop();
  const outcome = await scheduler.trigger({ force: true });
  assert.ok(outcome.status === "skipped" && outcome.reason === "stopped");
  assert.equal(scheduler.start(), false);
  assert.equal(job.calls.length, 0);
});

Deno.test("by default every run holds settings.lock_file for its whole duration", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-sched-lock-" });
  const path = `${dir}/state/ingest.lock`;
  try {
    const job = new FakeJob({ hold: true });
    const scheduler = new Scheduler({
      settings: testSettings({ lock_file: path }),
      job,
      command: "run-once",
    });
    const run = scheduler.runOnce();
    await until(() => job.calls.length === 1);
    await assert.rejects(
      acquireRunLock({ path, command: "trigger", wait: false }),
      (error: unknown) =>
        error instanceof LockedError && error.message.includes(`pid ${Deno.pid}`) &&
        error.message.endsWith(", run-once)"),
    );
    job.finish();
    assert.equal((await run).status, "completed");
    await using lock = await acquireRunLock({ path, command: "trigger", wait: false });
    assert.equal(lock.info.command, "trigger");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
