import assert from "node:assert/strict";
import type { ByteRange, Handle } from "../../lib/backends/backend.ts";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { Repository } from "../../lib/repo/repository.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { asBlobId } from "../../lib/repo/mod.ts";

/** Counts whole-pack reads. */
class CountingBackend extends MemoryBackend {
  wholeReads = new Map<string, number>();
  override get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (handle.kind === "data" && range === undefined) {
      this.wholeReads.set(handle.name, (this.wholeReads.get(handle.name) ?? 0) + 1);
    }
    return super.get(handle, range);
  }
}

Deno.test("concurrent tree loads share one read of their pack", async () => {
  // A backup walks many folders at once; each missing the cache used to read the whole pack again,
  // which took a no-change backup of 1,800 folders from 180 MiB to 650 MiB.
  const backend = new CountingBackend();
  const meta = { host: "h", username: "u", now: new Date(), kdf: { N: 1024, r: 8, p: 1 } };
  const repository = await Repository.init(backend, "pw", meta);
  const crafter = new SnapshotCrafter(repository);
  const trees = Array.from({ length: 50 }, (_, i) => crafter.tree([crafter.file(`f${i}`, `content ${i}`)]));
  await crafter.snapshot([]);
  await repository.loadIndex();
  repository.cachePacks(8);
  const loaded = await Promise.all(trees.map((id) => repository.loadTree(asBlobId(id))));
  assert.equal(loaded.length, 50);
  assert.equal(loaded[7]!.nodes[0]!.name, "f7");
  assert.deepEqual([...backend.wholeReads.values()], [1], "one tree pack, read once");
});
