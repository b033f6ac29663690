import assert from "node:assert/strict";
import { RecentIds } from "../../lib/backup/_recent_ids.ts";

/** A 32-byte id whose first bytes are `n` (so that ids collide in a small table) and last byte `tag`. */
function id(n: number, tag = 0): Uint8Array {
  const bytes = new Uint8Array(32);
  bytes[3] = n;
  bytes[31] = tag;
  return bytes;
}

Deno.test("recent ids are remembered up to the limit, then the set starts over", () => {
  const ids = new RecentIds(3);
  for (const n of [1, 2, 3]) ids.add(id(n));
  assert.deepEqual([1, 2, 3, 4].map((n) => ids.has(id(n))), [true, true, true, false]);
  ids.add(id(4)); // the fourth: forgets the others
  assert.equal(ids.size, 1);
  assert.deepEqual([1, 4].map((n) => ids.has(id(n))), [false, true]);
});

Deno.test("recent ids tell apart ids that land in the same slot, and the all-zero id", () => {
  const ids = new RecentIds(100);
  ids.add(id(7, 1));
  ids.add(id(7, 2));
  ids.add(id(7, 2)); // again: counted once
  assert.equal(ids.size, 2);
  assert.deepEqual([1, 2, 3].map((tag) => ids.has(id(7, tag))), [true, true, false]);
  assert.equal(ids.has(new Uint8Array(32)), false);
  ids.add(new Uint8Array(32));
  assert.equal(ids.has(new Uint8Array(32)), true);
});
