import assert from "node:assert/strict";
import { AbortedError, LockedError } from "../../src/errors.ts";
import { SharedRunLock } from "../../src/schedule/shared_lock.ts";
import { SteppedClock } from "../helpers/clocks.ts";
import { MemoryLock } from "./scheduler_fakes.ts";

Deno.test("SharedRunLock takes the lock once for concurrent runs and releases it with the last", async () => {
  const memory = new MemoryLock();
  const shared = new SharedRunLock(memory.factory, { wait: false });
  const [a, b] = await Promise.all([shared.acquire(), shared.acquire()]);
  assert.equal(memory.acquisitions, 1);
  assert.equal(shared.held, true);
  await a.release();
  await a.release();
  assert.equal(memory.held, true, "still held by the second run");
  await b.release();
  assert.equal(memory.held, false);
  assert.equal(memory.releases, 1);
  const c = await shared.acquire();
  assert.equal(memory.acquisitions, 2);
  await c.release();
});

Deno.test("SharedRunLock fails every joiner with LockedError when another process holds it", async () => {
  const memory = new MemoryLock();
  memory.heldElsewhere = true;
  const shared = new SharedRunLock(memory.factory, { wait: false });
  const results = await Promise.allSettled([shared.acquire(), shared.acquire()]);
  for (const result of results) {
    assert.equal(result.status, "rejected");
    assert.ok(result.reason instanceof LockedError);
  }
  assert.equal(memory.requests.length, 1, "joiners share one attempt");
  assert.deepEqual(memory.requests[0]?.wait, false);
});

Deno.test("SharedRunLock keeps waiting while one joiner remains, and cancels when all gave up", async () => {
  const time = new SteppedClock("2026-11-26T10:00:00Z");
  const memory = new MemoryLock(time);
  memory.heldElsewhere = true;
  const shared = new SharedRunLock(memory.factory, { wait: true });
  const first = new AbortController();
  const second = new AbortController();
  const a = shared.acquire(first.signal);
  const b = shared.acquire(second.signal);
  await time.advance(1000);
  first.abort();
  await assert.rejects(a, AbortedError);
  const request = memory.requests[0];
  assert.equal(request?.signal?.aborted, false, "the second run still waits");

  memory.heldElsewhere = false;
  await time.advance(250);
  const lease = await b;
  assert.equal(memory.held, true);
  await lease.release();

  memory.heldElsewhere = true;
  const third = new AbortController();
  const c = shared.acquire(third.signal);
  await time.advance(500);
  third.abort();
  await assert.rejects(c, AbortedError);
  await time.advance(250);
  assert.equal(memory.requests[1]?.signal?.aborted, true, "nobody waits: acquisition cancelled");
  assert.equal(time.pending, 0);
});
