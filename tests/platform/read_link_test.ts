// readLink() gives a symlink's target byte for byte, long targets and non-UTF-8 ones included; Python's
// os.readlink on bytes paths is the witness.

import assert from "node:assert/strict";
import { joinPath, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python } from "./_python.ts";

const fs = platform();
const text = (value: string) => new TextEncoder().encode(value);

Deno.test("readLink() gives a target that is not UTF-8, and one longer than its first buffer, exactly", () => {
  using dir = tempDir("kept-platform-readlink-");
  const odd = Uint8Array.from([0xe9, 0x74, 0xe9, 0x2f, 0x80]);
  const long = text("d/".repeat(1500) + "end"); // 3003 bytes: past the first 1024-byte try
  using folder = fs.openDir(dir.path);
  folder.symlink(odd, "odd");
  folder.symlink(long, Uint8Array.from([0x6c, 0xff]));
  assert.deepEqual(fs.readLink(`${dir.path}/odd`), odd);
  const longLink = joinPath(dir.path, Uint8Array.from([0x6c, 0xff]));
  assert.deepEqual(fs.readLink(longLink), long);
  assert.equal(
    python<string>("print(json.dumps(os.readlink(bytes.fromhex(args)).hex()))", hex(longLink)),
    hex(long),
  );
});

Deno.test("readLink() of what is not a symlink fails with InvalidData naming the path", () => {
  using dir = tempDir("kept-platform-readlink-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  assert.throws(
    () => fs.readLink(`${dir.path}/file`),
    (error) =>
      error instanceof Deno.errors.InvalidData &&
      error.message.includes(`"${dir.path}/file": it is not a symlink`),
  );
  assert.throws(() => fs.readLink(`${dir.path}/missing`), Deno.errors.NotFound);
});
