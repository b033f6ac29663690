// Remote packs are read for restore in aligned windows: small reads that lie close together cost one read
// of storage, a window never reaches past the pack's last blob, and a failed read is not kept.

import assert from "node:assert/strict";
import { PackWindows, WINDOW_BYTES } from "../../lib/restore/_pack_windows.ts";
import type { PackEntry, PackId } from "../../lib/repo/mod.ts";
import type { ByteRange } from "../../lib/backends/mod.ts";

const PACK = "ab".repeat(32) as PackId;
const OTHER = "cd".repeat(32) as PackId;

/** A pack of `size` bytes (byte i is i mod 251) whose blobs end at `size`, counting the reads. */
function packSource(size: number, fail?: (range: ByteRange) => boolean) {
  const reads: ByteRange[] = [];
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  const source = {
    index: {
      packEntries: (pack: PackId): PackEntry[] | undefined =>
        pack === PACK || pack === OTHER
          ? [{ type: "data", id: "x", offset: 0, length: size, rawLength: size }]
          : undefined,
    },
    packs: {
      read: (_pack: PackId, range?: ByteRange) => {
        reads.push(range!);
        if (range!.offset + range!.length > size) return Promise.reject(new Error("past the end"));
        if (fail?.(range!)) return Promise.reject(new Error("connection reset"));
        return Promise.resolve(bytes.slice(range!.offset, range!.offset + range!.length));
      },
    },
  };
  return { source, reads, bytes };
}

Deno.test("reads that lie in one window, in any order and at once, cost one read of storage", async () => {
  const { source, reads, bytes } = packSource(3 * WINDOW_BYTES);
  const windows = new PackWindows(source);
  const offsets = [5000, 100, 70_000, 3, WINDOW_BYTES - 10];
  const got = await Promise.all(
    offsets.map((offset) => windows.read(PACK, offset, 10).then((b) => b.slice())),
  );
  got.forEach((part, i) => assert.deepEqual(part, bytes.slice(offsets[i]!, offsets[i]! + 10)));
  assert.deepEqual(reads, [{ offset: 0, length: WINDOW_BYTES }]);
});

Deno.test("a window stops at the pack's last blob, and a read larger than a window gets all it asks for", async () => {
  const size = WINDOW_BYTES + 1000;
  const { source, reads, bytes } = packSource(size);
  const windows = new PackWindows(source);
  assert.deepEqual(
    (await windows.read(PACK, WINDOW_BYTES + 10, 20)).slice(),
    bytes.slice(WINDOW_BYTES + 10, WINDOW_BYTES + 30),
  );
  assert.deepEqual(reads, [{ offset: WINDOW_BYTES, length: 1000 }]);
  const big = await windows.read(PACK, 100, WINDOW_BYTES);
  assert.equal(big.length, WINDOW_BYTES);
  assert.deepEqual(reads[1], { offset: 0, length: WINDOW_BYTES + 100 });
});

Deno.test("at most four windows are kept: reading a fifth drops the oldest", async () => {
  const { source, reads } = packSource(6 * WINDOW_BYTES);
  const windows = new PackWindows(source);
  for (let n = 0; n < 5; n++) await windows.read(PACK, n * WINDOW_BYTES, 1);
  await windows.read(PACK, 4 * WINDOW_BYTES + 5, 1); // the newest: kept
  await windows.read(PACK, WINDOW_BYTES + 5, 1); // kept
  assert.equal(reads.length, 5);
  await windows.read(PACK, 5, 1); // the oldest was dropped
  assert.equal(reads.length, 6);
});

Deno.test("windows of different packs never serve each other", async () => {
  const { source, reads } = packSource(WINDOW_BYTES);
  const windows = new PackWindows(source);
  await windows.read(PACK, 0, 10);
  await windows.read(OTHER, 0, 10);
  assert.equal(reads.length, 2);
});

Deno.test("a failed read fails its callers and is not kept: the next read tries again", async () => {
  let failing = true;
  const { source, reads } = packSource(WINDOW_BYTES, () => failing);
  const windows = new PackWindows(source);
  await assert.rejects(windows.read(PACK, 0, 10), /connection reset/);
  failing = false;
  assert.equal((await windows.read(PACK, 0, 10)).length, 10);
  assert.equal(reads.length, 2);
});
