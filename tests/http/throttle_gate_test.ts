import assert from "node:assert/strict";
import { AbortedError, ThrottledError } from "../../src/errors.ts";
import { ThrottleGate } from "../../src/http/throttle_gate.ts";
import { settle, SteppedClock } from "../helpers/clocks.ts";

const info = { action: "list the files", status: 429 };

Deno.test("ThrottleGate lets requests through while open", async () => {
  const clock = new SteppedClock();
  const gate = new ThrottleGate({ clock, maxWaitMs: 10_000 });
  await gate.pass();
  assert.equal(gate.isClosed, false);
  assert.equal(clock.sleeps.length, 0);
});

Deno.test("ThrottleGate holds every concurrent request until Retry-After elapsed", async () => {
  const clock = new SteppedClock();
  const gate = new ThrottleGate({ clock, maxWaitMs: 10_000 });
  const start = clock.now();
  gate.close(2000, info);
  const passedAt: number[] = [];
  const waiters = [1, 2, 3].map(() => gate.pass().then(() => passedAt.push(clock.now())));
  await clock.advance(1999);
  assert.deepEqual(passedAt, [], "nobody passes before the wait elapsed");
  await clock.advance(1);
  await Promise.all(waiters);
  assert.deepEqual(passedAt, [start + 2000, start + 2000, start + 2000]);
});

Deno.test("ThrottleGate extends but never shortens the pause", async () => {
  const clock = new SteppedClock();
  const gate = new ThrottleGate({ clock, maxWaitMs: 10_000 });
  const start = clock.now();
  gate.close(1000, info);
  let passed: number | undefined;
  const waiter = gate.pass().then(() => (passed = clock.now()));
  await clock.advance(500);
  gate.close(2000, info);
  gate.close(100, info);
  await clock.advance(1000);
  assert.equal(passed, undefined, "the later, longer pause holds the waiter");
  await clock.advance(1000);
  await waiter;
  assert.equal(passed, start + 2500);
  assert.equal(gate.episodeWaitMs, 2500, "overlapping pauses count once");
});

Deno.test("ThrottleGate throws ThrottledError when an episode would exceed the budget", () => {
  const clock = new SteppedClock();
  const gate = new ThrottleGate({ clock, maxWaitMs: 3000 });
  gate.close(2000, info);
  assert.throws(
    () => gate.close(5000, { ...info, url: "https://graph.example/v1.0/x", requestId: "r-1" }),
    (error: unknown) => {
      assert.ok(error instanceof ThrottledError);
      assert.equal(error.waitedMs, 2000);
      assert.equal(error.status, 429);
      assert.equal(error.requestId, "r-1");
      assert.match(error.message, /^Cannot list the files: still throttled after waiting 2 s/);
      assert.match(error.message, /max_throttle_wait_seconds is 3 s/);
      return true;
    },
  );
  assert.equal(gate.openAt, clock.now() + 2000, "a refused pause leaves the gate as it was");
});

Deno.test("ThrottleGate starts a new budget after a success once it is open", async () => {
  const clock = new SteppedClock();
  const gate = new ThrottleGate({ clock, maxWaitMs: 3000 });
  gate.close(2500, info);
  gate.recordSuccess();
  assert.equal(gate.episodeWaitMs, 2500, "a success while still closed does not end the episode");
  await clock.advance(2500);
  gate.recordSuccess();
  assert.equal(gate.episodeWaitMs, 0);
  gate.close(2500, info);
  assert.equal(gate.isClosed, true);
});

Deno.test("ThrottleGate.pass() rejects with AbortedError when the signal aborts", async () => {
  const clock = new SteppedClock();
  const gate = new ThrottleGate({ clock, maxWaitMs: 10_000 });
  gate.close(5000, info);
  const controller = new AbortController();
  const waiting = gate.pass(controller.signal);
  await settle();
  controller.abort();
  await assert.rejects(waiting, AbortedError);
  assert.equal(clock.pending, 0);
});
