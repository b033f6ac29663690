import assert from "node:assert/strict";
import { toHex } from "../../lib/crypto/mod.ts";
import { buildSharedIdSet, SharedIdSet } from "../../lib/backup/_shared_id_set.ts";
import { MasterIndex } from "../../lib/repo/master_index.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { asPackId } from "../../lib/repo/mod.ts";

/** `count` random 32-byte ids, the first `sharedPrefix` of them starting with the same four bytes. */
function ids(count: number, seed: number, sharedPrefix = 0): Uint8Array[] {
  const all = Array.from({ length: count }, (_, i) => randomBytes(32, seed * 100_000 + i));
  for (const id of all.slice(0, sharedPrefix)) id.set([1, 2, 3, 4]); // same slot: probing must go on
  return all;
}

Deno.test("SharedIdSet built from an index's ids has every one of them and nothing else", () => {
  const index = new MasterIndex();
  const stored = ids(3000, 1, 50);
  for (let pack = 0; pack < 3; pack++) {
    const entries = stored.slice(pack * 1000, (pack + 1) * 1000).map((id, i) => ({
      type: "data" as const,
      id: toHex(id),
      offset: i * 10,
      length: 10,
      rawLength: 10,
    }));
    index.addPack(asPackId(toHex(randomBytes(32, 900 + pack))), entries);
  }
  const buffer = buildSharedIdSet((visit) => index.forEachId(visit), index.size);
  assert.equal(buffer.byteLength, 8192 * 32, "capacity: a power of two at least twice the count");
  const set = new SharedIdSet(buffer); // as a worker sees it
  for (const id of stored) assert.ok(set.has(id), toHex(id));
  for (const id of ids(3000, 2, 50)) assert.equal(set.has(id), false, toHex(id));
});

Deno.test("SharedIdSet of no ids has none", () => {
  const set = new SharedIdSet(buildSharedIdSet(() => {}, 0));
  assert.equal(set.has(randomBytes(32, 5)), false);
});
