import assert from "node:assert/strict";
import { backoffDelay, MAX_RETRY_DELAY_MS } from "../../src/sync/file_download.ts";
import { runPool } from "../../src/sync/worker_pool.ts";

Deno.test("runPool() keeps at most `concurrency` items in flight and processes each once", async () => {
  let active = 0;
  let peak = 0;
  const seen: number[] = [];
  await runPool([1, 2, 3, 4, 5, 6, 7], { concurrency: 3 }, async (item) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 2));
    seen.push(item);
    active--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("runPool() starts nothing new after the signal aborts", async () => {
  const controller = new AbortController();
  const started: number[] = [];
  await runPool([1, 2, 3, 4], { concurrency: 1, signal: controller.signal }, async (item) => {
    started.push(item);
    if (item === 2) controller.abort();
    await Promise.resolve();
  });
  assert.deepEqual(started, [1, 2]);
});

Deno.test("runPool() rethrows a worker's error after the others settle", async () => {
  const done: number[] = [];
  await assert.rejects(
    runPool([1, 2, 3], { concurrency: 3 }, async (item) => {
      await new Promise((r) => setTimeout(r, item));
      if (item === 1) throw new Error("boom");
      done.push(item);
    }),
    /boom/,
  );
  assert.deepEqual(done.sort(), [2, 3]);
});

Deno.test("runPool() with no items resolves without calling the worker", async () => {
  let calls = 0;
  await runPool([], { concurrency: 4 }, () => Promise.resolve(void calls++));
  assert.equal(calls, 0);
});

Deno.test("backoffDelay() doubles per attempt and is capped at one hour", () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(60_000, n)), [
    60_000,
    120_000,
    240_000,
    480_000,
  ]);
  assert.equal(backoffDelay(60_000, 40), MAX_RETRY_DELAY_MS);
  assert.equal(backoffDelay(0, 5), 0);
});
