// Run by master_index_test.ts with --expose-gc: prints the heap, array-buffer and shared bytes a MasterIndex of
// 200,000 blobs (in packs of 200) keeps, per blob.

import { toHex } from "../../lib/crypto/mod.ts";
import { MasterIndex } from "../../lib/repo/master_index.ts";
import type { PackEntry } from "../../lib/repo/pack.ts";
import { asPackId } from "../../lib/repo/mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const id = new Uint8Array(32);
const randomId = () => toHex(crypto.getRandomValues(id));
// Twice, with a pause: V8 frees the memory of dead typed arrays (the index's columns before they grew) on
// another thread, a moment after a GC; measured at once, they count as the index's.
const used = async () => {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((done) => setTimeout(done, 50));
  }
  const memory = Deno.memoryUsage();
  return memory.heapUsed + memory.external;
};
const before = await used();
const index = new MasterIndex();
for (let p = 0; p < 1000; p++) {
  const entries: PackEntry[] = Array.from({ length: 200 }, (_, i) => ({
    type: "data",
    id: randomId(),
    offset: i * 1000,
    length: 1000,
    rawLength: 3000,
  }));
  index.addPack(asPackId(randomId()), entries);
}
// Its ids and lookup table are shared memory (chunk workers read them), which V8's figures leave out.
const bytesPerBlob = Math.round((await used() - before + index.sharedBytes) / index.size);
console.log(JSON.stringify({ bytesPerBlob, blobs: index.size }));
