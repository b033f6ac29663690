import assert from "node:assert/strict";
import { discard } from "../../lib/memory.ts";

Deno.test("discard frees a whole buffer: every view of it becomes empty", () => {
  const bytes = new Uint8Array(1024 * 1024).fill(1);
  const other = new Uint8Array(bytes.buffer, 10, 10);
  discard(bytes);
  assert.equal(bytes.buffer.detached, true);
  assert.equal(bytes.length, 0);
  assert.equal(other.length, 0);
});

Deno.test("discard leaves parts of buffers, shared buffers and small buffers alone", () => {
  const whole = new Uint8Array(1024 * 1024).fill(2);
  discard(whole.subarray(1));
  discard(whole.subarray(0, 100));
  assert.equal(whole.length, 1024 * 1024);
  const shared = new Uint8Array(new SharedArrayBuffer(1024 * 1024));
  discard(shared);
  assert.equal(shared.length, 1024 * 1024);
  const small = new Uint8Array(1000).fill(3);
  discard(small);
  assert.equal(small.length, 1000);
  assert.equal(small[999], 3);
});

Deno.test("discard of an already discarded buffer is harmless", () => {
  const bytes = new Uint8Array(128 * 1024);
  discard(bytes);
  discard(bytes);
  assert.equal(bytes.length, 0);
});
