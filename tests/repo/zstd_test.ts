import assert from "node:assert/strict";
import { zstdDecompressSync } from "node:zlib";
import { ZstdCompressor } from "../../lib/repo/zstd.ts";
import { randomBytes } from "../_support/random_bytes.ts";

const text = (n: number) =>
  new TextEncoder().encode(Array.from({ length: n }, (_, i) => `line ${i} of text\n`).join(""));

Deno.test("ZstdCompressor reuses its context and buffer on this Deno (else it is a sixth slower)", () => {
  // Fails when Deno's node:zlib no longer has the handle the fast path uses: the fallback still
  // works, but backups get slower and make more garbage, so an upgrade must look at lib/repo/zstd.ts.
  assert.equal(new ZstdCompressor(3).reuses, true);
});

Deno.test("ZstdCompressor output decompresses to the input, call after call", () => {
  const compressor = new ZstdCompressor(3);
  for (const input of [text(10), text(50_000), text(3)]) {
    const compressed = compressor.compress(input, input.length);
    assert.ok(compressed, `${input.length} bytes of text compress`);
    assert.deepEqual(new Uint8Array(zstdDecompressSync(compressed)), input);
  }
});

Deno.test("ZstdCompressor gives up when the output would not be shorter than the limit, and recovers", () => {
  const compressor = new ZstdCompressor(3);
  const noise = randomBytes(256 * 1024, 7);
  assert.equal(compressor.compress(noise, noise.length), undefined);
  const small = text(1000);
  assert.equal(compressor.compress(small, 10), undefined, "a limit below the compressed size");
  // The context was reset: the next frame is whole and correct.
  const compressed = compressor.compress(small, small.length);
  assert.ok(compressed);
  assert.deepEqual(new Uint8Array(zstdDecompressSync(compressed)), small);
});

Deno.test("ZstdCompressor results are views of one buffer, overwritten by the next call", () => {
  const compressor = new ZstdCompressor(1);
  const first = compressor.compress(text(2000), 100_000)!;
  const firstCopy = first.slice();
  compressor.compress(text(3000).reverse(), 100_000);
  assert.equal(first.buffer, compressor.compress(text(10), 100_000)!.buffer);
  assert.notDeepEqual(first, firstCopy);
});
