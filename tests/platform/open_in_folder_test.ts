// Files opened for reading relative to a folder handle (what the chunk workers do), and the extended
// attributes of an open file, read through its descriptor: the file that was opened, whatever its path
// has become since.

import assert from "node:assert/strict";
import { fallbackPlatform, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const ffi = platform();
const fallback = fallbackPlatform();
const text = (value: string) => new TextEncoder().encode(value);
const LARGE = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);

for (const fs of [ffi, fallback]) {
  Deno.test(`${fs.kind}: a folder handle opens its file for reading, never a symlink in its place`, () => {
    assert.equal(ffi.kind, "ffi", ffi.warning);
    using dir = tempDir("kept-platform-open-in-");
    Deno.writeTextFileSync(`${dir.path}/file`, "hello");
    Deno.writeTextFileSync(`${dir.path}/target`, "secret");
    Deno.symlinkSync("target", `${dir.path}/link`);
    using folder = fs.openDir(dir.path);
    using file = folder.openFile("file");
    const buffer = new Uint8Array(16);
    assert.equal(file.read(buffer, 1), 4);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, 4)), "ello");
    assert.equal(file.stat().size, 5);
    assert.throws(() => folder.openFile("link"), Deno.errors.FilesystemLoop);
    assert.throws(() => folder.openFile("missing"), Deno.errors.NotFound);
  });
}

Deno.test("ffi: a folder handle opens a FIFO without waiting for a writer", () => {
  using dir = tempDir("kept-platform-open-in-");
  ffi.mkfifo(`${dir.path}/fifo`, 0o600);
  using folder = ffi.openDir(dir.path);
  using fifo = folder.openFile("fifo");
  assert.equal(fifo.stat().type, "fifo");
});

Deno.test("ffi: an open file's extended attributes are read through its descriptor", () => {
  using dir = tempDir("kept-platform-open-in-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  Deno.writeTextFileSync(`${dir.path}/plain`, "y");
  ffi.setXattr(`${dir.path}/file`, { name: "user.large", value: LARGE });
  ffi.setXattr(`${dir.path}/file`, { name: "user.empty", value: new Uint8Array(0) });
  using folder = ffi.openDir(dir.path);
  using file = folder.openFile("file");
  // Renamed and replaced: the descriptor still reads the file that was opened.
  Deno.renameSync(`${dir.path}/file`, `${dir.path}/moved`);
  Deno.writeTextFileSync(`${dir.path}/file`, "new");
  const names = file.listXattrs().map((name) => new TextDecoder().decode(name)).sort();
  assert.deepEqual(names, ["user.empty", "user.large"]);
  assert.deepEqual(file.getXattr("user.large"), LARGE);
  assert.deepEqual(file.getXattr(text("user.empty")), new Uint8Array(0));
  assert.throws(() => file.getXattr("user.none"), Deno.errors.NotFound);
  using plain = ffi.openFile(`${dir.path}/plain`);
  assert.deepEqual(plain.listXattrs(), []);
  file.close();
  assert.throws(() => file.listXattrs(), Deno.errors.BadResource);
});

Deno.test("fallback: an open file has no extended attributes it can read", () => {
  using dir = tempDir("kept-platform-open-in-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  ffi.setXattr(`${dir.path}/file`, { name: "user.comment", value: text("hi") });
  using file = fallback.openFile(`${dir.path}/file`);
  assert.deepEqual(file.listXattrs(), []);
  assert.throws(() => file.getXattr("user.comment"), Deno.errors.NotSupported);
});
