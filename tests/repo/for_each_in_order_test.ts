// forEachInOrder hands results over in the order of the items whatever order they arrive in, runs at most
// `limit` at once, and lets few results wait behind a slow one (index files are added as they arrive).

import assert from "node:assert/strict";
import { forEachInOrder } from "../../lib/repo/repository.ts";

Deno.test("results come in item order, at most `limit` run at once, and few wait behind a slow item", async () => {
  const items = Array.from({ length: 300 }, (_, i) => i);
  const used: number[] = [];
  let running = 0;
  let mostRunning = 0;
  let mostWaiting = 0;
  await forEachInOrder(items, 3, async (i) => {
    running++;
    mostRunning = Math.max(mostRunning, running);
    // Every 50th is slow: the others pile up behind it, up to the bound.
    await new Promise((resolve) => setTimeout(resolve, i % 50 === 0 ? 30 : i % 3));
    running--;
    mostWaiting = Math.max(mostWaiting, i - used.length);
    return i * 2;
  }, (result, index) => {
    assert.equal(result, index * 2);
    used.push(index);
  });
  assert.deepEqual(used, items);
  assert.equal(mostRunning, 3);
  assert.ok(mostWaiting <= 12, `${mostWaiting} results waited`);
});

Deno.test("forEachInOrder rejects with the first failure, and does nothing for no items", async () => {
  await forEachInOrder([], 4, () => Promise.reject(new Error("never")), () => assert.fail());
  await assert.rejects(
    forEachInOrder(
      [1, 2, 3],
      2,
      (i) => i === 2 ? Promise.reject(new Error("two")) : Promise.resolve(i),
      () => {},
    ),
    /two/,
  );
});
