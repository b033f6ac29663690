import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { Chunker, type ChunkerParams, chunkLengths, gearTable } from "../../lib/chunker/mod.ts";
import { CHUNKER_V1 } from "../../lib/repo/mod.ts";
import { seededBytes, seededKey } from "./_seeded_bytes.ts";

const SMALL: ChunkerParams = { minSize: 64, avgSize: 256, maxSize: 1024 };
const MiB = 1024 * 1024;

/**
 * Feeds `data` to the chunker like a streaming reader would: a buffer of `capacity` bytes
 * (>= maxSize), filled by reads whose sizes cycle through `readSizes`, compacted when the
 * chunker asks for more. Stale bytes after the filled part are left in place (poisoned)
 * so that reading past `end` would change the result.
 */
function streamedLengths(
  chunker: Chunker,
  data: Uint8Array,
  capacity: number,
  readSizes: readonly number[],
): number[] {
  const buf = new Uint8Array(capacity).fill(0xa5);
  const lengths: number[] = [];
  let pos = 0;
  let fill = 0;
  let consumed = 0;
  let readIndex = 0;
  const maxSize = chunker.params.maxSize;
  for (;;) {
    const eof = consumed === data.length;
    const result = chunker.nextChunkLength(buf, pos, fill, eof);
    if (result === -1) {
      assert.ok(!eof, "-1 at end of input");
      assert.ok(fill - pos < maxSize, "-1 although maxSize bytes were available");
      buf.copyWithin(0, pos, fill);
      fill -= pos;
      pos = 0;
      const want = readSizes[readIndex++ % readSizes.length]!;
      const n = Math.min(want, capacity - fill, data.length - consumed);
      assert.ok(n > 0 || consumed === data.length);
      buf.set(data.subarray(consumed, consumed + n), fill);
      fill += n;
      consumed += n;
      continue;
    }
    assert.ok(result >= 0 && result <= fill - pos, `result ${result} out of [0, ${fill - pos}]`);
    if (result === 0) {
      assert.ok(eof && pos === fill, "0 before end of input");
      break;
    }
    lengths.push(result);
    pos += result;
  }
  return lengths;
}

function assertChunkInvariants(lengths: number[], total: number, params: ChunkerParams): void {
  assert.equal(lengths.reduce((a, b) => a + b, 0), total);
  lengths.forEach((length, i) => {
    assert.ok(length > 0, `chunk ${i} is empty`);
    assert.ok(length <= params.maxSize, `chunk ${i} has ${length} > maxSize bytes`);
    if (i < lengths.length - 1) {
      assert.ok(length >= params.minSize, `chunk ${i} has ${length} < minSize bytes`);
    }
  });
}

function chunkHashes(data: Uint8Array, lengths: number[]): string[] {
  const hashes: string[] = [];
  let offset = 0;
  for (const length of lengths) {
    hashes.push(createHash("sha256").update(data.subarray(offset, offset + length)).digest("hex"));
    offset += length;
  }
  return hashes;
}

Deno.test("gearTable() is deterministic and depends on the key", () => {
  const a = gearTable(seededKey(1));
  assert.equal(a.length, 256);
  assert.deepEqual(gearTable(seededKey(1)), a);
  assert.notDeepEqual(gearTable(seededKey(2)), a);
  assert.ok(new Set(a).size > 250, "gear entries look random");
});

Deno.test("gearTable() rejects keys that are not 32 bytes", () => {
  assert.throws(() => gearTable(new Uint8Array(31)), RangeError);
  assert.throws(() => gearTable(new Uint8Array(33)), RangeError);
  assert.throws(() => gearTable([1, 2, 3] as unknown as Uint8Array), TypeError);
});

Deno.test("Chunker rejects bad tables and parameters", () => {
  const gear = gearTable(seededKey(1));
  assert.throws(() => new Chunker(new Uint32Array(255), CHUNKER_V1), RangeError);
  assert.throws(() => new Chunker(gear, { minSize: 0, avgSize: 256, maxSize: 1024 }), RangeError);
  assert.throws(() => new Chunker(gear, { minSize: 512, avgSize: 256, maxSize: 1024 }), RangeError);
  assert.throws(() => new Chunker(gear, { minSize: 64, avgSize: 2048, maxSize: 1024 }), RangeError);
  assert.throws(() => new Chunker(gear, { minSize: 1.5, avgSize: 256, maxSize: 1024 }), RangeError);
  assert.throws(() => new Chunker(gear, { minSize: 1, avgSize: 4, maxSize: 1024 }), RangeError);
  const chunker = new Chunker(gear, SMALL);
  const data = new Uint8Array(100);
  assert.throws(() => chunker.nextChunkLength(data, 0, 101, true), RangeError);
  assert.throws(() => chunker.nextChunkLength(data, 50, 40, true), RangeError);
  assert.throws(() => chunker.nextChunkLength(data, -1, 40, true), RangeError);
  assert.throws(() => chunker.nextChunkLength(data, 0, 40.5, true), RangeError);
});

Deno.test("nextChunkLength() handles empty, short and not-final inputs", () => {
  const chunker = new Chunker(gearTable(seededKey(1)), SMALL);
  const data = seededBytes(4096, 7);
  assert.equal(chunker.nextChunkLength(data, 10, 10, true), 0);
  assert.equal(chunker.nextChunkLength(data, 10, 10, false), -1);
  assert.equal(chunker.nextChunkLength(data, 0, 5, true), 5);
  assert.equal(chunker.nextChunkLength(data, 0, 5, false), -1);
  assert.equal(chunker.nextChunkLength(data, 0, 64, true), 64);
  assert.deepEqual(chunkLengths(chunker, new Uint8Array(0)), []);
  // With maxSize bytes available the answer is always a length, final or not.
  for (let start = 0; start + SMALL.maxSize <= data.length; start += 97) {
    const length = chunker.nextChunkLength(data, start, start + SMALL.maxSize, false);
    assert.ok(length >= SMALL.minSize && length <= SMALL.maxSize);
    assert.equal(chunker.nextChunkLength(data, start, data.length, false), length);
  }
});

Deno.test("cut points do not depend on how the input is fed (property)", () => {
  const chunker = new Chunker(gearTable(seededKey(3)), SMALL);
  const dataArb = fc.oneof(
    fc.uint8Array({ maxLength: 12_000, size: "max" }),
    // Low-entropy data, so that maxSize cuts happen too.
    fc.uint8Array({ max: 1, maxLength: 6_000, size: "max" }),
    fc.tuple(
      fc.integer({ min: 0, max: 8_000 }),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 3000, size: "max" }),
    )
      .map(([n, byte, tail]) => {
        const out = new Uint8Array(n + tail.length).fill(byte);
        out.set(tail, n);
        return out;
      }),
  );
  fc.assert(
    fc.property(
      dataArb,
      fc.integer({ min: SMALL.maxSize, max: 3 * SMALL.maxSize }),
      fc.array(fc.integer({ min: 1, max: 2 * SMALL.maxSize }), { minLength: 1, maxLength: 8 }),
      (data, capacity, readSizes) => {
        const whole = chunkLengths(chunker, data);
        assertChunkInvariants(whole, data.length, SMALL);
        assert.deepEqual(streamedLengths(chunker, data, capacity, readSizes), whole);
      },
    ),
    { numRuns: 1000, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true },
  );
});

Deno.test("cut points are the same at any offset in a larger buffer (property)", () => {
  const chunker = new Chunker(gearTable(seededKey(4)), SMALL);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 8_000, size: "max" }),
      fc.uint8Array({ maxLength: 100, size: "max" }),
      fc.uint8Array({ maxLength: 100, size: "max" }),
      (data, before, after) => {
        const buf = new Uint8Array(before.length + data.length + after.length);
        buf.set(before, 0);
        buf.set(data, before.length);
        buf.set(after, before.length + data.length);
        const end = before.length + data.length;
        const lengths: number[] = [];
        for (let pos = before.length; pos < end;) {
          const length = chunker.nextChunkLength(buf, pos, end, true);
          lengths.push(length);
          pos += length;
        }
        assert.deepEqual(lengths, chunkLengths(chunker, data));
      },
    ),
    { numRuns: 500, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true },
  );
});

Deno.test("default parameters: streaming matches whole-buffer chunking on seeded data", () => {
  const { minSize, maxSize } = CHUNKER_V1;
  const chunker = new Chunker(gearTable(seededKey(5)), CHUNKER_V1);
  assert.deepEqual(chunker.params, CHUNKER_V1);
  // Random data, then a long zero run (forces maxSize cuts), then random data again.
  const data = new Uint8Array(6 * MiB + 17 * MiB + 3 * MiB + 12345);
  data.set(seededBytes(6 * MiB, 11), 0);
  data.set(seededBytes(3 * MiB + 12345, 12), 23 * MiB);
  const whole = chunkLengths(chunker, data);
  assertChunkInvariants(whole, data.length, CHUNKER_V1);
  assert.ok(whole.includes(maxSize), "the zero run is cut at maxSize");
  for (
    const [capacity, readSizes] of [
      [maxSize, [MiB]],
      [maxSize + 1, [65_521, 1_000_003]],
      [maxSize + 12_345, [minSize - 1, 3 * MiB + 7]],
      [16 * MiB, [16 * MiB]],
    ] as const
  ) {
    assert.deepEqual(streamedLengths(chunker, data, capacity, readSizes), whole, `capacity ${capacity}`);
  }
});

Deno.test("different keys give different cut points, the same key the same ones", () => {
  const data = seededBytes(64 * 1024, 21);
  const small1 = chunkLengths(new Chunker(gearTable(seededKey(1)), SMALL), data);
  const small1Again = chunkLengths(new Chunker(gearTable(seededKey(1)), SMALL), data);
  const small2 = chunkLengths(new Chunker(gearTable(seededKey(2)), SMALL), data);
  assert.deepEqual(small1Again, small1);
  assert.notDeepEqual(small2, small1);

  const big = seededBytes(16 * MiB, 22);
  const default1 = chunkLengths(new Chunker(gearTable(seededKey(1)), CHUNKER_V1), big);
  assert.deepEqual(chunkLengths(new Chunker(gearTable(seededKey(1)), CHUNKER_V1), big), default1);
  assert.notDeepEqual(chunkLengths(new Chunker(gearTable(seededKey(2)), CHUNKER_V1), big), default1);
});

Deno.test("inserting one byte at the start changes at most a few chunks", () => {
  const chunker = new Chunker(gearTable(seededKey(6)), CHUNKER_V1);
  const data = seededBytes(20 * MiB, 31);
  const shifted = new Uint8Array(data.length + 1);
  shifted[0] = 0x42;
  shifted.set(data, 1);
  const before = new Set(chunkHashes(data, chunkLengths(chunker, data)));
  const after = chunkHashes(shifted, chunkLengths(chunker, shifted));
  const changed = after.filter((hash) => !before.has(hash)).length;
  assert.ok(after.length > 10, `expected many chunks, got ${after.length}`);
  assert.ok(changed <= 3, `${changed} of ${after.length} chunks changed`);
});

Deno.test("all-zero input is cut at maxSize and does not hang", () => {
  const chunker = new Chunker(gearTable(seededKey(7)), CHUNKER_V1);
  const { maxSize } = CHUNKER_V1;
  const lengths = chunkLengths(chunker, new Uint8Array(5 * maxSize + 1000));
  assert.deepEqual(lengths, [maxSize, maxSize, maxSize, maxSize, maxSize, 1000]);
});

Deno.test("mean chunk size on random data is near avgSize", () => {
  const check = (params: ChunkerParams, size: number, seed: number) => {
    const lengths = chunkLengths(new Chunker(gearTable(seededKey(seed)), params), seededBytes(size, seed));
    const mean = size / lengths.length;
    assert.ok(
      mean >= 0.6 * params.avgSize && mean <= 1.6 * params.avgSize,
      `mean ${mean} for avgSize ${params.avgSize} over ${lengths.length} chunks`,
    );
  };
  check(SMALL, 4 * MiB, 41);
  check({ minSize: 2048, avgSize: 8192, maxSize: 65536 }, 8 * MiB, 42);
  check(CHUNKER_V1, 64 * MiB, 43);
});

Deno.test("cut points do not depend on the alignment of the buffer in memory", () => {
  const chunker = new Chunker(gearTable(seededKey(8)), SMALL);
  const data = seededBytes(256 * 1024, 51);
  const expected = chunkLengths(chunker, data);
  for (let shift = 0; shift < 8; shift++) {
    const backing = new Uint8Array(data.length + 16).fill(0xff);
    backing.set(data, shift);
    assert.deepEqual(
      chunkLengths(chunker, backing.subarray(shift, shift + data.length)),
      expected,
      `shift ${shift}`,
    );
  }
});

Deno.test("cut points are the same in a buffer that ends beyond 2 GiB", () => {
  const chunker = new Chunker(gearTable(seededKey(9)), SMALL);
  const data = seededBytes(MiB, 52);
  const expected = chunkLengths(chunker, data);
  // Untouched pages of a big ArrayBuffer cost no memory; only the last MiB is written.
  const big = new ArrayBuffer(2 ** 31 + MiB);
  const view = new Uint8Array(big, 2 ** 31 - 3, MiB);
  view.set(data);
  assert.deepEqual(chunkLengths(chunker, view), expected);
});
