import assert from "node:assert/strict";
import { AbortedError } from "../../src/errors.ts";
import { TransferSlots } from "../../src/sync/transfer_slots.ts";

Deno.test("TransferSlots hands out at most its count, then serves waiters in order", async () => {
  const slots = new TransferSlots(2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  assert.equal(slots.free, 0);
  const order: string[] = [];
  const c = slots.acquire().then((release) => (order.push("c"), release));
  const d = slots.acquire().then((release) => (order.push("d"), release));
  await Promise.resolve();
  assert.deepEqual(order, []);
  a();
  a();
  const releaseC = await c;
  assert.deepEqual(order, ["c"], "a second release of the same slot frees nothing more");
  b();
  const releaseD = await d;
  assert.deepEqual(order, ["c", "d"]);
  releaseC();
  releaseD();
  assert.equal(slots.free, 2);
});

Deno.test("TransferSlots: an aborted waiter holds no slot", async () => {
  const slots = new TransferSlots(1);
  const held = await slots.acquire();
  const controller = new AbortController();
  const waiting = slots.acquire(controller.signal);
  controller.abort();
  await assert.rejects(waiting, AbortedError);
  held();
  assert.equal(slots.free, 1);
  await assert.rejects(slots.acquire(controller.signal), AbortedError);
  assert.equal(slots.free, 1);
});
