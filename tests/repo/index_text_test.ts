// The next index file's text is written pack by pack as packs are stored (lib/repo/_index_text.ts): it
// must be, byte for byte, what JSON.stringify of the same index file gives, which the index reads back
// without a parser (_index_file_bytes.ts).

import assert from "node:assert/strict";
import { IndexText } from "../../lib/repo/_index_text.ts";
import { toIndexFile } from "../../lib/repo/master_index.ts";
import { MasterIndex } from "../../lib/repo/master_index.ts";
import type { PackEntry } from "../../lib/repo/pack.ts";
import { asPackId } from "../../lib/repo/mod.ts";
import { RandomBytes } from "../_support/random_bytes.ts";

/** `count` packs of 1-300 entries with random ids, types and places (offsets up to 2^32 - 1). */
function randomPacks(count: number, seed: number): { id: string; entries: PackEntry[] }[] {
  const random = new RandomBytes(seed);
  const hex = (n: number) =>
    [...random.fill(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const number = (max: number) => new DataView(random.fill(new Uint8Array(4)).buffer).getUint32(0) % max;
  return Array.from({ length: count }, () => ({
    id: hex(32),
    entries: Array.from({ length: 1 + number(300) }, () => ({
      type: number(2) === 0 ? "data" as const : "tree" as const,
      id: hex(32),
      offset: number(0xffffffff),
      length: number(1 << 24),
      rawLength: number(1 << 24),
    })),
  }));
}

Deno.test("IndexText writes what JSON.stringify writes, file after file", () => {
  const text = new IndexText();
  assert.equal(text.take(), undefined, "no pack, no file");
  for (const [count, seed] of [[1, 1], [40, 2], [3, 3]] as const) {
    const packs = randomPacks(count, seed);
    for (const pack of packs) text.addPack(pack.id, pack.entries);
    assert.equal(text.packs, count);
    assert.equal(text.blobs, packs.reduce((sum, pack) => sum + pack.entries.length, 0));
    const bytes = text.take()!;
    assert.equal(new TextDecoder().decode(bytes), JSON.stringify(toIndexFile(packs)));
    assert.equal(text.packs, 0);
    // And the index reads it back without a parser, to the same entries.
    const index = new MasterIndex();
    assert.equal(index.addIndexFileBytes(bytes), true, "in the form the index reads without a parser");
    for (const pack of packs) {
      assert.deepEqual(
        [...index.packEntries(asPackId(pack.id))!].map((entry) => ({ ...entry })),
        pack.entries.map((entry) => ({ ...entry })),
      );
    }
  }
});
