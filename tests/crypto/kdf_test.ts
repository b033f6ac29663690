// The password-to-key derivations of key files (docs/format.md#keys), against answers computed outside kept:
// RFC 7914's own test vector for `scrypt`, and Python's hashlib for `scrypt-lanes`:
//
//   python3 -c 'import hashlib as h; pw = "pässword".encode(); s = bytes(range(32)); p = 2
//   lanes = b"".join(h.scrypt(pw, salt=s + bytes([i]), n=1024, r=8, p=1, dklen=32) for i in range(p))
//   print(h.pbkdf2_hmac("sha256", pw, lanes, 1, 32).hex())'

import assert from "node:assert/strict";
import { DEFAULT_KDF_NAME, deriveKey, kdfThreads, toHex } from "../../lib/crypto/mod.ts";

const SALT = Uint8Array.from({ length: 32 }, (_, i) => i);
/** "pässword" with the umlaut as a combining mark: NFC makes it the same password as the composed one. */
const DECOMPOSED = "pa\u0308ssword";

Deno.test("scrypt: RFC 7914's vector (the first 32 bytes of its 64)", async () => {
  const key = await deriveKey(
    "password",
    new TextEncoder().encode("NaCl"),
    { N: 1024, r: 8, p: 16 },
    "scrypt",
  );
  assert.equal(toHex(key), "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162");
});

Deno.test("scrypt-lanes: each lane a scrypt of the salt and its number, joined by PBKDF2 (Python's answers)", async () => {
  const two = await deriveKey(DECOMPOSED, SALT, { N: 1024, r: 8, p: 2 }, "scrypt-lanes");
  assert.equal(toHex(two), "84c6c0544e19b07aa630e37a5f2a9b6a7b6991b680521865fde95b48443c4aed");
  // Three lanes on fewer cores run in waves: the answer does not depend on how many run at once.
  const three = await deriveKey("pässword", SALT, { N: 1024, r: 8, p: 3 }, "scrypt-lanes");
  assert.equal(toHex(three), "20ef209043044b132dd1c8dbde223dca66ffb352e31ec0fc7fcceba89be56958");
});

Deno.test("new key files use scrypt-lanes, which keeps as many cores busy as it has lanes, at most all", () => {
  assert.equal(DEFAULT_KDF_NAME, "scrypt-lanes");
  const cores = navigator.hardwareConcurrency;
  assert.equal(kdfThreads({ N: 1024, r: 8, p: 2 }, "scrypt"), 1);
  assert.equal(kdfThreads({ N: 1024, r: 8, p: 1 }, "scrypt-lanes"), 1);
  assert.equal(kdfThreads({ N: 1024, r: 8, p: 16 }, "scrypt-lanes"), Math.min(16, cores));
});
