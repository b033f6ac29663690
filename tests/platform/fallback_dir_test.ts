// The fallback's folder handles (no FFI): a handle opened again as "." is the same folder, known by the same
// real path, and is refused like any other once its path leads through a symlink.

import assert from "node:assert/strict";
import { fallbackPlatform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const fallback = fallbackPlatform();
const names = (path: string) => [...Deno.readDirSync(path)].map((entry) => entry.name).sort();

Deno.test('fallback: openDir(".") opens the folder itself again, which works like the first handle', () => {
  using dir = tempDir("kept-platform-fallback-dir-");
  using root = fallback.openDir(dir.path);
  root.mkdir("a", 0o700);
  using a = root.openDir("a");
  for (const name of [".", new Uint8Array([0x2e])]) {
    using again = a.openDir(name);
    assert.equal(again.path, `${dir.path}/a`);
    again.createFile(`f${typeof name}`, 0o600).close();
    using sub = again.openDir(".");
    assert.equal(sub.lstat().type, "dir");
  }
  assert.deepEqual(names(`${dir.path}/a`), ["fobject", "fstring"]);
});

Deno.test('fallback: openDir(".") of a folder swapped for a symlink is refused, never followed', () => {
  using dir = tempDir("kept-platform-fallback-dir-");
  Deno.mkdirSync(`${dir.path}/outside`, { mode: 0o700 });
  using root = fallback.openDir(dir.path);
  root.mkdir("a", 0o700);
  using a = root.openDir("a");
  Deno.renameSync(`${dir.path}/a`, `${dir.path}/aside`);
  Deno.symlinkSync(`${dir.path}/outside`, `${dir.path}/a`);
  assert.throws(() => a.openDir("."), Deno.errors.FilesystemLoop);
  assert.deepEqual(names(`${dir.path}/outside`), []);
});
