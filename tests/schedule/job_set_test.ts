import assert from "node:assert/strict";
import { Metrics } from "../../src/metrics.ts";
import { appRegistrationKey, buildJobsRuntime } from "../../src/runtime_jobs.ts";
import { combinedExitCode, type JobScheduler, JobSet } from "../../src/schedule/job_set.ts";
import { completed, skipped } from "../../src/schedule/run_outcome.ts";
import type { RunOutcome } from "../../src/schedule/run_outcome.ts";
import { Slots } from "../../src/slots.ts";
import { systemClock } from "../../src/clock.ts";
import { testSettings } from "../sync/test_settings.ts";
import { Scheduler } from "../../src/scheduler.ts";
import { scriptedFetch } from "../http/fetch_script.ts";
import { settle, SteppedClock } from "../helpers/clocks.ts";
import type { Settings } from "../../src/config/settings.ts";
import {
  FakeJob,
  MemoryLock,
  messages,
  recordLogs,
  testSettings as schedulerTestSettings,
} from "./scheduler_fakes.ts";

function schedulerSettings(overrides: Record<string, unknown>, job: string): Settings {
  return { ...schedulerTestSettings(overrides), job };
}

const EXIT_RULE: [number[], number][] = [
  [[], 0],
  [[0], 0],
  [[0, 0, 0], 0],
  [[0, 4], 4],
  [[3, 4, 0], 3],
  [[4, 3], 3],
  [[1, 3, 4, 0], 1],
  [[0, 1], 1],
  [[2, 1], 2],
  [[0, 2], 2],
  [[130, 1], 130],
  [[143, 130, 2], 143],
  [[0, 99], 1],
  [[4], 4],
];

for (const [codes, expected] of EXIT_RULE) {
  Deno.test(`combinedExitCode(${JSON.stringify(codes)}) = ${expected}`, () => {
    assert.equal(combinedExitCode(codes), expected);
  });
}

class FakeScheduler implements JobScheduler {
  started = false;
  stopped = false;
  constructor(readonly job: string, readonly enabled: boolean, readonly outcome: RunOutcome) {}
  start() {
    this.started = this.enabled;
    return this.enabled;
  }
  stop() {
    this.stopped = true;
    return Promise.resolve({ aborted: this.job === "b" });
  }
  abort() {}
  runOnce() {
    return Promise.resolve(this.outcome);
  }
  trigger() {
    return Promise.resolve(this.outcome);
  }
}

Deno.test("JobSet starts every enabled job, stops them all and reports each job's outcome", async () => {
  const a = new FakeScheduler("a", false, skipped("locked"));
  const b = new FakeScheduler("b", true, skipped("overlap"));
  const set = new JobSet([a, b]);
  assert.deepEqual(set.jobs, ["a", "b"]);
  assert.equal(set.start(), true);
  assert.deepEqual([a.started, b.started], [false, true]);
  assert.equal(new JobSet([a]).start(), false);
  const outcomes = await set.runAll("trigger");
  assert.deepEqual(outcomes.map((o) => [o.job, o.outcome.exitCode]), [["a", 4], ["b", 4]]);
  assert.deepEqual(await set.stop(), { aborted: true });
  assert.ok(a.stopped && b.stopped);
});

Deno.test("Slots lets `size` runs hold a slot, hands slots on in order, and drops aborted waits", async () => {
  const slots = new Slots(2);
  const first = await slots.acquire();
  const second = await slots.acquire();
  assert.equal(slots.free, 0);
  const order: string[] = [];
  const third = slots.acquire().then((release) => (order.push("third"), release));
  const controller = new AbortController();
  const aborted = slots.acquire(controller.signal);
  const fourth = slots.acquire().then((release) => (order.push("fourth"), release));
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.equal(slots.waiting, 2);
  first();
  first(); // a second release of the same slot does nothing
  (await third)();
  second();
  (await fourth)();
  assert.deepEqual(order, ["third", "fourth"]);
  assert.equal(slots.free, 2);
});

Deno.test("Metrics views label their series by job and share one textfile", () => {
  const root = new Metrics();
  const a = root.withLabels({ job: "reports" });
  const b = root.withLabels({ job: 'arch"ive' });
  a.inc("syncjob.download.success.count", 2, "Files placed");
  b.inc("syncjob.download.success.count");
  assert.equal(a.value("syncjob.download.success.count"), 2);
  assert.deepEqual(b.snapshot(), { "syncjob.download.success.count": 1 });
  assert.equal(
    root.toPrometheus(),
    [
      "# HELP ingest_syncjob_download_success_total Files placed",
      "# TYPE ingest_syncjob_download_success_total counter",
      'ingest_syncjob_download_success_total{job="arch\\"ive"} 1',
      'ingest_syncjob_download_success_total{job="reports"} 2',
      "",
    ].join("\n"),
  );
});

Deno.test("jobs with the same app registration share one throttle gate; others get their own", () => {
  const dir = "/tmp/ingest-gates";
  const a = testSettings(dir, { job: "a", lock_file: `${dir}/a.lock` });
  const b = testSettings(dir, {
    job: "b",
    lock_file: `${dir}/b.lock`,
    tenant_id: "CONTOSO.onmicrosoft.com",
  });
  const c = testSettings(dir, { job: "c", lock_file: `${dir}/c.lock`, client_id: "another-app" });
  assert.equal(appRegistrationKey(a), appRegistrationKey(b));
  assert.notEqual(appRegistrationKey(a), appRegistrationKey(c));
  const runtime = buildJobsRuntime([a, b, c], {
    fetch: () => Promise.reject(new Error("no network")),
    clock: systemClock,
    random: Math.random,
  }, "trigger");
  assert.equal(runtime.gates.get("a"), runtime.gates.get("b"));
  assert.notEqual(runtime.gates.get("a"), runtime.gates.get("c"));
  assert.deepEqual(runtime.jobs.jobs, ["a", "b", "c"]);
});

Deno.test("completed outcomes keep their exit code through the JobSet", async () => {
  const result = {
    run_id: "r",
    trigger: "manual",
    downloaded: [],
    failed: [{ name: "x", reason: "boom" }],
  } as unknown as Parameters<typeof completed>[0];
  const set = new JobSet([new FakeScheduler("a", true, completed(result))]);
  const [only] = await set.runAll("run-once");
  assert.equal(only!.outcome.exitCode, 1);
});

Deno.test("jobs share max_parallel_jobs slots: the third job waits until one of two ends", async () => {
  await using logs = await recordLogs();
  const slots = new Slots(2);
  const fakes = ["a", "b", "c"].map((job) => ({
    job,
    runner: new FakeJob({ hold: true }),
    lock: new MemoryLock(),
  }));
  const schedulers = fakes.map(({ job, runner, lock }) =>
    new Scheduler({
      settings: schedulerSettings({ max_parallel_jobs: 2 }, job),
      job: runner,
      lockFactory: lock.factory,
      slots,
    })
  );
  const set = new JobSet(schedulers);
  const all = set.runAll("trigger");
  await settle();
  assert.deepEqual(fakes.map((f) => f.runner.inFlight), [1, 1, 0]);
  assert.equal(slots.waiting, 1);
  fakes[0]!.runner.finish();
  await settle();
  assert.deepEqual(fakes.map((f) => f.runner.inFlight), [0, 1, 1]);
  fakes[1]!.runner.finish();
  fakes[2]!.runner.finish();
  const outcomes = await all;
  assert.deepEqual(outcomes.map((o) => [o.job, o.outcome.status]), [
    ["a", "completed"],
    ["b", "completed"],
    ["c", "completed"],
  ]);
  assert.equal(slots.free, 2);
  const waited = logs.filter((r) => messages([r])[0]!.includes("waits for a free slot"));
  assert.deepEqual(waited.map((r) => r.properties.job), ["c"]);
  const started = logs.filter((r) => messages([r])[0]!.startsWith("Manual trigger"));
  assert.deepEqual(started.map((r) => r.properties.job).sort(), ["a", "b", "c"]);
});

Deno.test("stopping while a job waits for a slot ends that job without running it", async () => {
  const slots = new Slots(1);
  const first = new FakeJob({ hold: true });
  const second = new FakeJob({ hold: true });
  const set = new JobSet([
    new Scheduler({
      settings: schedulerSettings({}, "a"),
      job: first,
      lockFactory: new MemoryLock().factory,
      slots,
    }),
    new Scheduler({
      settings: schedulerSettings({}, "b"),
      job: second,
      lockFactory: new MemoryLock().factory,
      slots,
    }),
  ]);
  const all = set.runAll("run-once");
  await settle();
  const stopping = set.stop({ timeoutMs: 1000 });
  first.finish();
  await stopping;
  const outcomes = await all;
  assert.equal(outcomes[0]!.outcome.status, "completed");
  assert.equal(outcomes[1]!.outcome.status, "aborted");
  assert.equal(second.calls.length, 0);
});

/** Two jobs' Graph clients over a scripted token endpoint whose first answer is a 429. */
async function throttledPair(clientIdOfB: string) {
  const clock = new SteppedClock();
  const dir = "/tmp/ingest-gate-pair";
  const a = testSettings(dir, { job: "a", lock_file: `${dir}/a.lock` });
  const b = testSettings(dir, { job: "b", lock_file: `${dir}/b.lock`, client_id: clientIdOfB });
  const { fetch, calls } = scriptedFetch(
    clock,
    (_call, n) =>
      n === 0
        ? new Response("{}", { status: 429, headers: { "retry-after": "5" } })
        : Response.json({ access_token: "t", expires_in: 3600, token_type: "Bearer" }),
  );
  const { runtimes } = buildJobsRuntime([a, b], { fetch, clock, random: () => 0 }, "trigger");
  const first = runtimes[0]!.sharepoint.authenticate();
  await settle();
  assert.equal(calls.length, 1, "job a was throttled");
  const second = runtimes[1]!.sharepoint.authenticate();
  await settle();
  return { clock, calls, done: Promise.all([first, second]) };
}

Deno.test("a Retry-After seen by one job pauses the other jobs of the same app registration", async () => {
  const { clock, calls, done } = await throttledPair("00000000-0000-0000-0000-000000000001");
  assert.equal(calls.length, 1, "job b waits behind the shared gate");
  await clock.advance(5000);
  await done;
  assert.equal(calls.length, 3);
  assert.ok(calls.slice(1).every((call) => call.at >= calls[0]!.at + 5000));
});

Deno.test("a Retry-After seen by one app does not pause a job of another app", async () => {
  const { clock, calls, done } = await throttledPair("another-app");
  assert.equal(calls.length, 2, "job b's request went out at once");
  await clock.advance(5000);
  await done;
});
