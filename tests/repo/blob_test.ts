import assert from "node:assert/strict";
import { randomBytes as secureRandom } from "../../lib/crypto/mod.ts";
import {
  BLOB_PIECE_BYTES,
  BlobCheckStream,
  BlobOpener,
  decodeBlob,
  encodeBlob,
  encodeBlobParts,
  isLargeBlob,
  openBlob,
} from "../../lib/repo/blob.ts";
import { blobIdBytes, toHex } from "../../lib/crypto/mod.ts";
import { randomBytes } from "../_support/random_bytes.ts";

const keys = { encrypt: secureRandom(32), id: secureRandom(32) };
const compressible = new TextEncoder().encode("kept ".repeat(100_000));
const incompressible = randomBytes(300_000, 11);

Deno.test("blobs round-trip compressed and raw, with and without their known size", () => {
  for (const plain of [compressible, incompressible, new Uint8Array(0), Uint8Array.of(7)]) {
    const sealed = encodeBlob(keys.encrypt, plain);
    assert.deepEqual(decodeBlob(keys.encrypt, sealed), plain);
    assert.deepEqual(decodeBlob(keys.encrypt, sealed, plain.length), plain);
  }
  assert.ok(encodeBlob(keys.encrypt, compressible).length < compressible.length / 10, "text is compressed");
});

Deno.test("a blob whose size differs from the expected one does not open", () => {
  for (const plain of [compressible, incompressible]) {
    const sealed = encodeBlob(keys.encrypt, plain);
    assert.equal(decodeBlob(keys.encrypt, sealed, plain.length - 1), undefined);
    assert.equal(decodeBlob(keys.encrypt, sealed, plain.length + 1), undefined);
  }
});

Deno.test("openBlob checks the keyed id as well as the seal", () => {
  const id = toHex(blobIdBytes(keys.id, compressible));
  const sealed = encodeBlob(keys.encrypt, compressible);
  assert.deepEqual(openBlob(keys, id, compressible.length, sealed), compressible);
  assert.equal(
    openBlob(keys, id.replace(/^./, (c) => c === "0" ? "1" : "0"), compressible.length, sealed),
    undefined,
  );
  const flipped = sealed.slice();
  flipped[flipped.length >> 1]! ^= 1;
  // (assert.ok, not equal: a failing equal would spend minutes printing a 500 kB diff)
  assert.ok(openBlob(keys, id, compressible.length, flipped) === undefined, "a flipped byte is detected");
});

/** log2 of the window a zstd frame declares (RFC 8878 §3.1.1.1.2; 0 when it declares none). */
function frameWindowLog(frame: Uint8Array): number {
  const singleSegment = (frame[4]! & 0x20) !== 0;
  return singleSegment ? 0 : 10 + (frame[5]! >> 3);
}

Deno.test("small blobs are compressed with the window zstd picks for their size, and still round-trip", () => {
  const text = (bytes: number) =>
    new TextEncoder().encode("a line of log text, number 12345\n".repeat(bytes / 33));
  // A context reused for every chunk is not told the input's size: without parameters for the size,
  // every frame declares the window of the level's parameters for large inputs (2^19, 2^20 and 2^21 at
  // levels 1, 2 and 3), and a 10 KiB file pays for tables sized for megabytes.
  const largeWindow = [19, 20, 21];
  for (const level of [1, 2, 3]) {
    const cases = [[10_000, 14], [100_000, 17], [200_000, 18], [1_000_000, largeWindow[level - 1]!]];
    for (const [size, windowLog] of cases) {
      const plain = text(size!);
      const [encoding, body] = encodeBlobParts(plain, level);
      assert.equal(encoding![0], 1, `${size} bytes are compressed at level ${level}`);
      assert.equal(frameWindowLog(body!), windowLog, `window for ${size} bytes at level ${level}`);
    }
  }
  for (const size of [64, 1000, 5000, 16_384, 16_385, 70_000, 131_072, 131_073, 262_144, 262_145, 300_000]) {
    const plain = text(size);
    assert.deepEqual(
      decodeBlob(keys.encrypt, encodeBlob(keys.encrypt, plain), plain.length),
      plain,
      `${size}`,
    );
  }
});

Deno.test("BlobOpener opens blob after blob into reused memory, and frees what it does not reuse", () => {
  const opener = new BlobOpener(keys);
  const idOf = (plain: Uint8Array) => toHex(blobIdBytes(keys.id, plain));
  const otherText = new TextEncoder().encode("pack ".repeat(80_000));
  const sealedText = encodeBlob(keys.encrypt, compressible);
  const sealedOther = encodeBlob(keys.encrypt, otherText);
  const sealedNoise = encodeBlob(keys.encrypt, incompressible);

  const first = opener.open(idOf(compressible), compressible.length, sealedText)!;
  assert.deepEqual(first, compressible);
  const second = opener.open(idOf(otherText), otherText.length, sealedOther)!;
  assert.deepEqual(second, otherText);
  assert.equal(second.buffer, first.buffer, "compressed blobs are decompressed into one buffer");

  // A raw blob is its decrypted bytes, in a buffer of their own: freed at the next call, not kept.
  const raw = opener.open(idOf(incompressible), incompressible.length, sealedNoise)!;
  assert.deepEqual(raw, incompressible);
  assert.notEqual(raw.buffer, first.buffer);
  const rawBuffer = raw.buffer as ArrayBuffer;
  assert.deepEqual(opener.open(idOf(compressible), compressible.length, sealedText), compressible);
  assert.equal(rawBuffer.detached, true, "the raw blob's buffer was freed");

  // Damage and wrong ids are refused, and the opener works on afterwards.
  const flipped = sealedOther.slice();
  flipped[40]! ^= 1;
  assert.equal(opener.open(idOf(otherText), otherText.length, flipped), undefined);
  assert.equal(
    opener.open(idOf(compressible), otherText.length, sealedOther),
    undefined,
    "another blob's id",
  );
  assert.equal(opener.open(idOf(otherText), otherText.length - 1, sealedOther), undefined, "the wrong size");
  assert.deepEqual(opener.open(idOf(otherText), otherText.length, sealedOther), otherText);
});

Deno.test("BlobCheckStream opens a compressed blob a piece at a time, whatever the sizes of the pieces it is given", () => {
  // 3 MiB of text that seals to kilobytes: its plaintext must still never be held whole.
  const plain = new TextEncoder().encode("a line of a log file\n".repeat(150_000));
  const sealed = encodeBlob(keys.encrypt, plain);
  const id = toHex(blobIdBytes(keys.id, plain));
  assert.ok(
    sealed.length < BLOB_PIECE_BYTES && isLargeBlob({ length: sealed.length, rawLength: plain.length }),
  );
  for (const cut of [7, 4096, sealed.length]) {
    const pieces: { at: number; length: number }[] = [];
    const copy = new Uint8Array(plain.length);
    const check = new BlobCheckStream(keys, id, plain.length, sealed.length, (piece, at) => {
      pieces.push({ at, length: piece.length });
      copy.set(piece, at);
    });
    for (let at = 0; at < sealed.length; at += cut) check.write(sealed.subarray(at, at + cut));
    assert.equal(check.finish(), true, `cut ${cut}`);
    assert.ok(pieces.every((piece) => piece.length <= BLOB_PIECE_BYTES), `cut ${cut}: a piece over 1 MiB`);
    assert.deepEqual(copy, plain, `cut ${cut}`);
  }
  const finishes = (sealedBytes: Uint8Array, rawLength = plain.length, blobId = id) => {
    const check = new BlobCheckStream(keys, blobId, rawLength, sealedBytes.length);
    check.write(sealedBytes);
    return check.finish();
  };
  assert.equal(finishes(sealed), true);
  assert.equal(finishes(sealed, plain.length - 1), false, "the index says it is shorter");
  assert.equal(finishes(sealed, plain.length + 1), false, "the index says it is longer");
  assert.equal(
    finishes(sealed, plain.length, toHex(blobIdBytes(keys.id, compressible))),
    false,
    "another id",
  );
  for (const at of [20, sealed.length >> 1, sealed.length - 3]) {
    const flipped = sealed.slice();
    flipped[at]! ^= 1;
    assert.equal(finishes(flipped), false, `byte ${at} flipped`);
  }
  assert.equal(finishes(sealed), true, "and it works on after damage");
});
