import assert from "node:assert/strict";
import {
  createRing,
  RING_BYTES,
  RingReader,
  type RingSlice,
  RingWriter,
} from "../../lib/backup/_blob_ring.ts";

Deno.test("ring: blobs written by the writer are read back intact, in order, across the ring's end", () => {
  const buffers = createRing();
  const writer = new RingWriter(buffers);
  const reader = new RingReader(buffers);
  const length = 3 * 1024 * 1024; // the third blob does not fit before the end and starts at 0
  const slices: RingSlice[] = [];
  for (let i = 0; i < 2; i++) {
    const slice = writer.reserve(length, () => assert.fail("must not wait"));
    writer.bytes.fill(i + 1, slice.offset, slice.offset + length);
    slices.push(slice);
  }
  assert.deepEqual(slices.map((s) => s.offset), [0, length]);
  reader.release(slices.shift()!);
  const third = writer.reserve(length, () => assert.fail("must not wait"));
  assert.equal(third.offset, 0);
  assert.equal(third.span, RING_BYTES - 2 * length + length, "the skipped tail belongs to the blob");
  writer.bytes.fill(3, 0, length);
  assert.ok(reader.view(slices[0]!).every((b) => b === 2));
  assert.ok(reader.view(third).every((b) => b === 3));
});

Deno.test("ring: a full ring hands over what it has, then waits until the reader frees space", () => {
  const buffers = createRing();
  const writer = new RingWriter(buffers);
  const reader = new RingReader(buffers);
  const pending = [writer.reserve(RING_BYTES / 2, () => {}), writer.reserve(RING_BYTES / 2, () => {})];
  let handedOver = 0;
  const next = writer.reserve(1024, () => {
    handedOver++;
    reader.release(pending.shift()!); // what the main thread does once it has the blobs
  });
  assert.equal(handedOver, 1);
  assert.equal(next.offset, 0);
});

Deno.test("ring: positions stay right after the 32-bit counters wrap around", () => {
  const buffers = createRing();
  const writer = new RingWriter(buffers);
  const reader = new RingReader(buffers);
  const step = RING_BYTES / 2 - 4096; // not a divisor of the ring: blobs skip the end now and then
  let previous: RingSlice | undefined;
  for (let i = 0; i < 1200; i++) { // 1200 × ~4 MiB > 2^32 bytes
    const slice = writer.reserve(step, () => {
      if (previous) reader.release(previous);
      previous = undefined;
    });
    assert.ok(slice.offset >= 0 && slice.offset + step <= RING_BYTES, `blob ${i} lies inside the ring`);
    if (previous) reader.release(previous);
    previous = slice;
  }
});
