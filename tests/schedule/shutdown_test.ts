import assert from "node:assert/strict";
import { type Clock, systemClock } from "../../src/clock.ts";
import { ExitCode } from "../../src/errors.ts";
import { Metrics } from "../../src/metrics.ts";
import { Scheduler } from "../../src/scheduler.ts";
import { runDaemon, runWithShutdown } from "../../src/schedule/daemon.ts";
import {
  exitCodeForSignal,
  REPEAT_WINDOW_MS,
  type ShutdownSignal,
  shutdownSignals,
  ShutdownWatcher,
  type SignalApi,
} from "../../src/schedule/shutdown.ts";
import { SteppedClock } from "../helpers/clocks.ts";
import { FakeJob, MemoryLock, testSettings } from "./scheduler_fakes.ts";

const START = "2026-03-08T07:00:00.000Z";

/** A signal API that rejects what the real one rejects on `os`, and delivers signals on demand. */
class FakeSignals implements SignalApi {
  readonly os: string;
  readonly #listeners = new Map<ShutdownSignal, Set<() => void>>();

  constructor(os = "linux") {
    this.os = os;
  }

  addSignalListener(signal: ShutdownSignal, handler: () => void): void {
    const windows = ["SIGINT", "SIGBREAK", "SIGHUP", "SIGTERM", "SIGWINCH"];
    if (this.os === "windows" ? !windows.includes(signal) : signal === "SIGBREAK") {
      throw new TypeError(`Invalid signal: ${signal}`);
    }
    const set = this.#listeners.get(signal) ?? new Set();
    set.add(handler);
    this.#listeners.set(signal, set);
  }

  removeSignalListener(signal: ShutdownSignal, handler: () => void): void {
    this.#listeners.get(signal)?.delete(handler);
  }

  /** Signals with at least one listener. */
  get registered(): ShutdownSignal[] {
    return [...this.#listeners].filter(([, set]) => set.size > 0).map(([signal]) => signal);
  }

  send(signal: ShutdownSignal): void {
    for (const handler of this.#listeners.get(signal) ?? []) handler();
  }
}

function setup(
  overrides: Record<string, unknown> = {},
  job = new FakeJob({ hold: true }),
  clock: Clock = systemClock,
) {
  const lock = new MemoryLock(clock);
  const scheduler = new Scheduler({
    settings: testSettings({ shutdown_timeout_seconds: 30, ...overrides }),
    job,
    clock,
    metrics: new Metrics(),
    lockFactory: lock.factory,
  });
  return { scheduler, job, lock };
}

Deno.test("shutdownSignals() registers SIGINT+SIGTERM on Linux/macOS and SIGINT+SIGBREAK on Windows", () => {
  assert.deepEqual(shutdownSignals("linux"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(shutdownSignals("darwin"), ["SIGINT", "SIGTERM"]);
  assert.deepEqual(shutdownSignals("windows"), ["SIGINT", "SIGBREAK"]);
});

Deno.test("exitCodeForSignal() maps SIGINT/SIGBREAK to 130 and SIGTERM to 143", () => {
  assert.equal(exitCodeForSignal("SIGINT"), 130);
  assert.equal(exitCodeForSignal("SIGBREAK"), 130);
  assert.equal(exitCodeForSignal("SIGTERM"), 143);
});

Deno.test("ShutdownWatcher counts signals, reports the first, and removes its listeners", async () => {
  for (const os of ["linux", "windows"]) {
    const api = new FakeSignals(os);
    const seen: string[] = [];
    const watcher = new ShutdownWatcher({ api, onSignal: (s, n) => seen.push(`${s}#${n}`) });
    assert.deepEqual(api.registered, shutdownSignals(os));
    const second = os === "windows" ? "SIGBREAK" : "SIGTERM";
    api.send(second);
    api.send("SIGINT");
    assert.equal(await watcher.first, second);
    assert.equal(watcher.signal, second);
    assert.equal(watcher.count, 2);
    assert.deepEqual(seen, [`${second}#1`, "SIGINT#2"]);
    watcher[Symbol.dispose]();
    assert.deepEqual(api.registered, []);
  }
});

Deno.test("ShutdownWatcher registers nothing on Linux the platform would reject", () => {
  const api = new FakeSignals("linux");
  using _watcher = new ShutdownWatcher({ api });
  assert.ok(!api.registered.includes("SIGBREAK"));
});

Deno.test("runDaemon() resolves 0 at once when scheduling is disabled", async () => {
  const api = new FakeSignals();
  const { scheduler } = setup({ enabled: false });
  assert.equal(await runDaemon(scheduler, { signals: api }), ExitCode.Ok);
  assert.deepEqual(api.registered, []);
});

Deno.test("runDaemon() exits 0 on SIGTERM while idle and stops scheduling", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals();
  const { scheduler, job } = setup({}, new FakeJob(), time);
  const daemon = runDaemon(scheduler, { signals: api, timeoutMs: 30_000 });
  await time.advance(10 * 60_000);
  assert.equal(job.calls.length, 1);
  api.send("SIGTERM");
  assert.equal(await daemon, ExitCode.Ok);
  assert.deepEqual(api.registered, []);
  await time.advance(2 * 60 * 60_000);
  assert.equal(job.calls.length, 1);
  assert.equal(time.pending, 0);
});

Deno.test("runDaemon() waits for the in-flight run on SIGTERM and exits 0 when it ends in time", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals();
  const { scheduler, job } = setup({}, undefined, time);
  const daemon = runDaemon(scheduler, { signals: api, timeoutMs: 30_000 });
  await time.advance(0);
  api.send("SIGTERM");
  await time.advance(29_000);
  assert.equal(job.calls[0]?.signal?.aborted, false);
  job.finish();
  assert.equal(await daemon, ExitCode.Ok);
});

Deno.test("runDaemon() aborts the run after the shutdown timeout and exits 143 on SIGTERM", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals();
  const { scheduler, job } = setup({}, undefined, time);
  let code: number | undefined;
  const daemon = runDaemon(scheduler, { signals: api, timeoutMs: 30_000 }).then((c) => code = c);
  await time.advance(0);
  api.send("SIGTERM");
  await time.advance(29_999);
  assert.equal(code, undefined);
  await time.advance(1);
  await daemon;
  assert.equal(code, ExitCode.Terminated);
  assert.equal(job.calls[0]?.signal?.aborted, true);
});

Deno.test("runDaemon() aborts at once on a second signal and exits 130 after SIGINT", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals();
  const { scheduler, job } = setup({}, undefined, time);
  const daemon = runDaemon(scheduler, { signals: api, timeoutMs: 30_000, now: () => time.now() });
  await time.advance(0);
  api.send("SIGINT");
  await time.advance(1_000);
  api.send("SIGINT");
  assert.equal(await daemon, ExitCode.Interrupted);
  assert.equal(job.inFlight, 0);
});

Deno.test("runWithShutdown() returns the run's exit code when no signal arrives", async () => {
  const api = new FakeSignals();
  const { scheduler, lock } = setup({}, new FakeJob());
  const done = await runWithShutdown(scheduler, () => scheduler.runOnce(), { signals: api });
  assert.equal(done.exitCode, ExitCode.Ok);
  assert.equal(done.signal, undefined);
  lock.heldElsewhere = true;
  const locked = await runWithShutdown(scheduler, () => scheduler.trigger(), { signals: api });
  assert.equal(locked.exitCode, ExitCode.Locked);
  assert.deepEqual(api.registered, []);
});

Deno.test("runWithShutdown() keeps the run's code when it ends within the timeout after a signal", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals();
  const { scheduler, job } = setup({}, undefined, time);
  const done = runWithShutdown(scheduler, () => scheduler.trigger(), {
    signals: api,
    timeoutMs: 5_000,
  });
  await time.advance(0);
  api.send("SIGTERM");
  await time.advance(4_000);
  job.finish();
  const result = await done;
  assert.equal(result.exitCode, ExitCode.Ok);
  assert.equal(result.signal, "SIGTERM");
});

Deno.test("runWithShutdown() exits 130 after SIGBREAK aborts a run on Windows", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals("windows");
  const { scheduler, job } = setup({}, undefined, time);
  const done = runWithShutdown(scheduler, () => scheduler.runOnce(), {
    signals: api,
    timeoutMs: 5_000,
  });
  await time.advance(0);
  api.send("SIGBREAK");
  await time.advance(5_000);
  const result = await done;
  assert.equal(result.exitCode, ExitCode.Interrupted);
  assert.equal(result.outcome.status, "aborted");
  assert.equal(job.calls[0]?.signal?.aborted, true);
});

Deno.test("runWithShutdown() exits 143 at once when SIGTERM arrives while waiting for the lock", async () => {
  const time = new SteppedClock(START);
  const api = new FakeSignals();
  const { scheduler, lock, job } = setup({ overlap_policy: "queue" }, undefined, time);
  lock.heldElsewhere = true;
  const done = runWithShutdown(scheduler, () => scheduler.runOnce(), {
    signals: api,
    timeoutMs: 60_000,
  });
  await time.advance(2_000);
  api.send("SIGTERM");
  await time.advance(0);
  const result = await done;
  assert.equal(result.exitCode, ExitCode.Terminated);
  assert.equal(job.calls.length, 0);
});

Deno.test("ShutdownWatcher treats the same signal twice within the repeat window as one delivery", () => {
  let now = 1_000;
  const api = new FakeSignals("linux");
  const seen: number[] = [];
  using _watcher = new ShutdownWatcher({ api, now: () => now, onSignal: (_s, n) => seen.push(n) });
  api.send("SIGINT");
  now += REPEAT_WINDOW_MS - 1;
  api.send("SIGINT");
  assert.deepEqual(seen, [1], "Ctrl+C forwarded by a launcher counts once");
  now += 1;
  api.send("SIGINT");
  assert.deepEqual(seen, [1, 2], "a later Ctrl+C is the second signal");
});
