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

Deno.test("a blob id from toHex is one flat string: ~100 bytes of heap, not a tree of concatenations", () => {
  const output = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--v8-flags=--expose-gc",
      new URL("./_hex_heap_probe.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const { bytesPerId, count } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(count, 20_000);
  // A flat 64-character string is ~80 bytes, plus its slot in the array; built by += it was ~870.
  assert.ok(bytesPerId < 200, `${bytesPerId} bytes of heap per id`);
});
