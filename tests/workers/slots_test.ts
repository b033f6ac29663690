import assert from "node:assert/strict";
import { Slots } from "../../lib/workers/mod.ts";

Deno.test("slots are handed out one at a time by default, to the longest waiter first", async () => {
  const slots = new Slots(1);
  assert.equal(slots.acquire(), undefined);
  const order: string[] = [];
  const first = slots.acquire()!.then(() => order.push("first"));
  const second = slots.acquire()!.then(() => order.push("second"));
  slots.release();
  await first;
  slots.release();
  await second;
  assert.deepEqual(order, ["first", "second"]);
});

Deno.test("weighted slots: a large request is served in its turn, and one above all slots waits for all", async () => {
  const bytes = new Slots(100);
  assert.equal(bytes.acquire(60), undefined);
  const order: string[] = [];
  const large = bytes.acquire(50)!.then(() => order.push("large"));
  // Fits in the 40 free, but waits behind the large one so that it is not overtaken forever.
  const small = bytes.acquire(10)!.then(() => order.push("small"));
  await Promise.resolve();
  assert.equal(order.length, 0);
  bytes.release(60);
  await Promise.all([large, small]);
  assert.deepEqual(order, ["large", "small"]);
  bytes.release(50);
  bytes.release(10);
  // More than all: taken alone once all are free.
  assert.equal(bytes.acquire(500), undefined);
  const next = bytes.acquire(1)!.then(() => order.push("after all"));
  bytes.release(500);
  await next;
  assert.deepEqual(order, ["large", "small", "after all"]);
});
