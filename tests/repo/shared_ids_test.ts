// Chunk workers ask the index's own shared memory whether the repository has a chunk (_id_table.ts).

import assert from "node:assert/strict";
import { toHex } from "../../lib/crypto/mod.ts";
import { SharedIdSet } from "../../lib/repo/_id_table.ts";
import { asPackId, MasterIndex } from "../../lib/repo/mod.ts";
import { randomBytes } from "../_support/random_bytes.ts";

/** `count` random 32-byte ids, the first `sharedPrefix` of them starting with the same four bytes. */
function ids(count: number, seed: number, sharedPrefix = 0): Uint8Array[] {
  const all = Array.from({ length: count }, (_, i) => randomBytes(32, seed * 100_000 + i));
  for (const id of all.slice(0, sharedPrefix)) id.set([1, 2, 3, 4]); // same slot: probing must go on
  return all;
}

function addPacks(index: MasterIndex, stored: Uint8Array[], seed: number): void {
  for (let pack = 0; pack * 1000 < stored.length; pack++) {
    const entries = stored.slice(pack * 1000, (pack + 1) * 1000).map((id, i) => ({
      type: "data" as const,
      id: toHex(id),
      offset: i * 10,
      length: 10,
      rawLength: 10,
    }));
    index.addPack(asPackId(toHex(randomBytes(32, seed + pack))), entries);
  }
}

/** The set as a worker sees it: sent through a message, which shares the memory rather than copying it. */
async function throughMessage(set: ReturnType<MasterIndex["sharedIds"]>) {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<typeof set>((resolve) => port2.onmessage = (event) => resolve(event.data));
  port1.postMessage(set);
  const shared = await received;
  port1.close();
  port2.close();
  return shared;
}

Deno.test("the shared ids of an index have every indexed id and nothing else, across 65,536-row segments", async () => {
  const index = new MasterIndex();
  const stored = ids(70_000, 1, 50);
  addPacks(index, stored, 900);
  const shared = await throughMessage(index.sharedIds());
  assert.ok(shared.slots.buffer instanceof SharedArrayBuffer, "the table is shared, not copied");
  assert.equal(shared.segments.length, 2);
  const set = new SharedIdSet(shared);
  for (const id of stored) assert.ok(set.has(id), toHex(id));
  for (const id of ids(3000, 2, 50)) assert.equal(set.has(id), false, toHex(id));
});

Deno.test("shared ids show the index as it was: blobs added later are not seen, those before still are", () => {
  const index = new MasterIndex();
  const before = ids(1500, 3, 20);
  addPacks(index, before, 700);
  const set = new SharedIdSet(index.sharedIds());
  // Same home slots as ids already there, so a later row sits in the middle of their probe sequences.
  const after = ids(30, 4, 30);
  addPacks(index, after, 800);
  for (const id of before) assert.ok(set.has(id), toHex(id));
  for (const id of after) assert.equal(set.has(id), false, toHex(id));
  // Many more: the index rebuilds its table and copies its first segment; the snapshot stays as it was.
  addPacks(index, ids(200_000, 5), 600);
  for (const id of before) assert.ok(set.has(id), toHex(id));
  assert.equal(new SharedIdSet(index.sharedIds()).has(after[0]!), true);
});

Deno.test("the shared ids of an empty index have none", () => {
  assert.equal(new SharedIdSet(new MasterIndex().sharedIds()).has(randomBytes(32, 5)), false);
});
