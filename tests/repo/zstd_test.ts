import assert from "node:assert/strict";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { ZstdCompressor, ZstdDecompressor, ZstdPieceDecompressor } from "../../lib/repo/zstd.ts";
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

Deno.test("ZstdDecompressor reuses its context on this Deno", () => {
  assert.equal(new ZstdDecompressor().reuses, true);
});

Deno.test("ZstdDecompressor writes a frame of the expected size, and refuses short or broken frames", () => {
  const decompressor = new ZstdDecompressor();
  const input = text(20_000);
  const frame = zstdCompressSync(input);
  assert.deepEqual(decompressor.decompress(frame, input.length), input);
  assert.equal(decompressor.decompress(frame, input.length + 1), undefined, "the frame holds less");
  assert.equal(decompressor.decompress(frame.subarray(0, frame.length - 10), input.length), undefined);
  assert.equal(decompressor.decompress(randomBytes(1000, 3), 1000), undefined, "not a frame");
  // After failures the context is reset and works again.
  assert.deepEqual(decompressor.decompress(frame, input.length), input);
  assert.deepEqual(decompressor.decompress(zstdCompressSync(new Uint8Array(0)), 0), new Uint8Array(0));
});

Deno.test("ZstdPieceDecompressor hands a frame on in pieces of at most its size, however the frame is cut", () => {
  const input = text(200_000); // 3.5 MB
  const frame = new Uint8Array(zstdCompressSync(input));
  const decompressor = new ZstdPieceDecompressor(64 * 1024);
  for (const cut of [1, 1000, 100_000, frame.length]) {
    const pieces: Uint8Array[] = [];
    const emit = (piece: Uint8Array) => pieces.push(piece.slice());
    decompressor.begin();
    for (let at = 0; at < frame.length; at += cut) {
      assert.equal(decompressor.push(frame.subarray(at, at + cut), emit), true);
    }
    assert.equal(decompressor.end(emit), true);
    assert.ok(pieces.every((piece) => piece.length <= 64 * 1024), `cut ${cut}: a piece over 64 KiB`);
    assert.deepEqual(joined(pieces), input, `cut ${cut}`);
  }
});

Deno.test("ZstdPieceDecompressor refuses what is no frame, and a frame left open does not spill into the next", () => {
  const decompressor = new ZstdPieceDecompressor(64 * 1024);
  decompressor.begin();
  assert.equal(decompressor.push(randomBytes(1000, 5), () => {}), false, "not a frame");
  const input = text(20_000);
  const frame = new Uint8Array(zstdCompressSync(input));
  decompressor.begin();
  decompressor.push(frame.subarray(0, frame.length >> 1), () => {}); // abandoned half-way
  const pieces: Uint8Array[] = [];
  decompressor.begin();
  assert.equal(decompressor.push(frame, (piece) => pieces.push(piece.slice())), true);
  assert.deepEqual(joined(pieces), input);
});

function joined(pieces: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) bytes.set(piece, (at += piece.length) - piece.length);
  return bytes;
}
