import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fromHex, hexInto, toHex } from "../../lib/crypto/mod.ts";

Deno.test("toHex writes every byte value as two lower-case digits, and fromHex reads it back", () => {
  const every = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(toHex(every), Buffer.from(every).toString("hex"));
  assert.deepEqual(fromHex(toHex(every)), every);
  assert.equal(toHex(every.subarray(250, 253)), "fafbfc", "views start at their own offset");
  assert.equal(toHex(new Uint8Array(0)), "");
});

Deno.test("fromHex refuses odd lengths and non-hex characters", () => {
  assert.throws(() => fromHex("abc"), TypeError);
  assert.throws(() => fromHex("zz"), TypeError);
  assert.throws(() => fromHex("0g"), TypeError);
  assert.throws(() => fromHex("é0"), TypeError, "characters beyond ASCII");
  assert.deepEqual(fromHex("ABcd"), Uint8Array.of(0xab, 0xcd));
});

Deno.test("hexInto writes at an offset and leaves the rest alone", () => {
  const out = new Uint8Array(6);
  hexInto("a1b2", out, 3);
  assert.deepEqual(out, Uint8Array.of(0, 0, 0, 0xa1, 0xb2, 0));
});
