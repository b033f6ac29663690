// The password-to-key derivation of key files (docs/format.md#keys) against RFC 7914's own test vector.

import assert from "node:assert/strict";
import { deriveKey, toHex } from "../../lib/crypto/mod.ts";

Deno.test("scrypt: RFC 7914's vector (the first 32 bytes of its 64)", async () => {
  const key = await deriveKey("password", new TextEncoder().encode("NaCl"), { N: 1024, r: 8, p: 16 });
  assert.equal(toHex(key), "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162");
});

Deno.test("the password is NFC-normalised: a combining umlaut is the same password as a composed one", async () => {
  const salt = new Uint8Array(32);
  const params = { N: 1024, r: 8, p: 1 };
  const composed = await deriveKey("p\u00e4ssword", salt, params);
  assert.deepEqual(await deriveKey("pa\u0308ssword", salt, params), composed);
  assert.notDeepEqual(await deriveKey("passwort", salt, params), composed);
});
