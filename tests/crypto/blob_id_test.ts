// Blob ids are HMAC-SHA256 of the plaintext under the id key (docs/format.md#encryption); kept computes
// them from SHA-256 states with the key's pads absorbed, copied per blob: the same bytes as an HMAC,
// for any key length (a key longer than SHA-256's block is hashed first) and any data.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { blobIdBytes, BlobIdStream, toHex } from "../../lib/crypto/mod.ts";

Deno.test("blobIdBytes() is HMAC-SHA256, for keys shorter, as long as and longer than a block", () => {
  for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
    const key = Uint8Array.from({ length: keyLength }, (_, i) => (i * 7 + keyLength) & 0xff);
    for (const dataLength of [0, 1, 55, 56, 64, 800, 100_000]) {
      const data = Uint8Array.from({ length: dataLength }, (_, i) => (i * 13) & 0xff);
      const expected = new Uint8Array(createHmac("sha256", key).update(data).digest());
      assert.deepEqual(blobIdBytes(key, data), expected, `key ${keyLength} B, data ${dataLength} B`);
      // Again with the states already made: copies, not used up.
      assert.deepEqual(blobIdBytes(key, data), expected);
    }
  }
});

Deno.test("blobIdBytes() keeps each key's states apart, and agrees with the streaming id", () => {
  const one = new Uint8Array(32).fill(1);
  const two = new Uint8Array(32).fill(2);
  const data = new TextEncoder().encode("the same plaintext");
  assert.notDeepEqual(blobIdBytes(one, data), blobIdBytes(two, data));
  const stream = new BlobIdStream(two);
  stream.update(data.subarray(0, 5));
  stream.update(data.subarray(5));
  assert.equal(stream.hex(), toHex(blobIdBytes(two, data)));
  // RFC 4231 test case 2: key "Jefe".
  const jefe = blobIdBytes(
    new TextEncoder().encode("Jefe"),
    new TextEncoder().encode("what do ya want for nothing?"),
  );
  assert.equal(toHex(jefe), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
});
