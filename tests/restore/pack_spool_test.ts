// A restore from remote storage downloads each pack whole, once, into a spool folder that the workers read:
// a pack used again is not downloaded again, packs in use are never removed, the least recently used of the
// others make room, a failed download is not kept, and closing removes the folder.

import assert from "node:assert/strict";
import { PackSpool } from "../../lib/restore/_pack_spool.ts";
import type { PackId } from "../../lib/repo/mod.ts";
import type { ByteRange } from "../../lib/backends/mod.ts";
import { exists } from "../_support/exists.ts";

const pack = (n: number) => n.toString(16).padStart(64, "0") as PackId;

/** Packs of `size` bytes (every byte the pack's number), counting the reads; `fail` rejects one read. */
function packSource(size: number) {
  const reads: PackId[] = [];
  let failNext = false;
  const source = {
    packs: {
      read: (id: PackId, range?: ByteRange) => {
        assert.equal(range, undefined, "packs are read whole");
        reads.push(id);
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error("connection reset"));
        }
        return Promise.resolve(new Uint8Array(size).fill(parseInt(id, 16)));
      },
    },
  };
  return { source, reads, failOnce: () => failNext = true };
}

function spoolIn(parent: string, source: ReturnType<typeof packSource>["source"], maxBytes: number) {
  return new PackSpool(source, { parent, maxBytes, downloads: 2 });
}

Deno.test("a pack acquired again, also at once, is downloaded once; its file holds the pack", async () => {
  const parent = Deno.makeTempDirSync();
  const { source, reads } = packSource(1000);
  const spool = spoolIn(parent, source, 10_000);
  try {
    const [a, b] = await Promise.all([spool.acquire(pack(1)), spool.acquire(pack(1))]);
    assert.equal(a, b);
    assert.deepEqual(Deno.readFileSync(a), new Uint8Array(1000).fill(1));
    spool.release(pack(1));
    spool.release(pack(1));
    assert.equal(await spool.acquire(pack(1)), a);
    assert.deepEqual(reads, [pack(1)]);
    assert.ok(a.startsWith(parent), "the spool is in the folder it was given");
  } finally {
    await spool.close();
  }
  assert.deepEqual([...Deno.readDirSync(parent)], [], "close removes the spool's folder");
  Deno.removeSync(parent);
});

Deno.test("over its bound, the spool removes the least recently used packs no file reads, never one in use", async () => {
  const parent = Deno.makeTempDirSync();
  const { source, reads } = packSource(1000);
  const spool = spoolIn(parent, source, 2500);
  try {
    const first = await spool.acquire(pack(1)); // held throughout
    const second = await spool.acquire(pack(2));
    spool.release(pack(2));
    const third = await spool.acquire(pack(3));
    spool.release(pack(3));
    await new Promise((resolve) => setTimeout(resolve, 50)); // removal is not awaited
    assert.equal(exists(second), false, "3,000 bytes > 2,500: the least recently used free pack went");
    assert.ok(exists(first) && exists(third));
    const fourth = await spool.acquire(pack(4));
    spool.release(pack(4));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(exists(first), "a pack in use stays, however old");
    assert.equal(exists(third), false);
    assert.ok(exists(fourth));
    await spool.acquire(pack(2));
    assert.deepEqual(
      reads,
      [pack(1), pack(2), pack(3), pack(4), pack(2)],
      "a removed pack is downloaded again",
    );
  } finally {
    await spool.close();
    Deno.removeSync(parent, { recursive: true });
  }
});

Deno.test("a failed download is reported to each file waiting for it and not kept: the next try downloads again", async () => {
  const parent = Deno.makeTempDirSync();
  const { source, reads, failOnce } = packSource(10);
  const spool = spoolIn(parent, source, 10_000);
  try {
    failOnce();
    const results = await Promise.allSettled([spool.acquire(pack(7)), spool.acquire(pack(7))]);
    assert.deepEqual(results.map((result) => result.status), ["rejected", "rejected"]);
    const path = await spool.acquire(pack(7));
    assert.deepEqual(Deno.readFileSync(path), new Uint8Array(10).fill(7));
    assert.deepEqual(reads, [pack(7), pack(7)]);
  } finally {
    await spool.close();
    Deno.removeSync(parent, { recursive: true });
  }
});
