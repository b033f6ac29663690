import assert from "node:assert/strict";
import { randomBytes as secureRandom } from "../../lib/crypto/mod.ts";
import { decodeBlob, encodeBlob, openBlob } from "../../lib/repo/blob.ts";
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
