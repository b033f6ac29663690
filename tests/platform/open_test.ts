// openFile() opens by path (text or bytes), refuses a symlink when asked, reads at a position without
// moving, and closes once.

import assert from "node:assert/strict";
import { platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const fs = platform();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("read() reads at the position it is given, and 0 at the end", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-open-");
  Deno.writeTextFileSync(`${dir.path}/file`, "0123456789");
  using file = fs.openFile(new TextEncoder().encode(`${dir.path}/file`));
  const buffer = new Uint8Array(4);
  assert.equal(file.read(buffer, 6), 4);
  assert.equal(decode(buffer), "6789");
  assert.equal(file.read(buffer, 0), 4, "pread does not move an offset");
  assert.equal(decode(buffer), "0123");
  assert.equal(file.read(buffer, 8), 2);
  assert.equal(decode(buffer.subarray(0, 2)), "89");
  assert.equal(file.read(buffer, 10), 0);
  assert.equal(file.read(buffer, 1_000_000), 0);
});

Deno.test("stat() of an open file describes the file opened, even after its path is replaced", () => {
  using dir = tempDir("kept-platform-open-");
  Deno.writeTextFileSync(`${dir.path}/file`, "first");
  using file = fs.openFile(`${dir.path}/file`);
  const before = file.stat();
  Deno.removeSync(`${dir.path}/file`);
  Deno.writeTextFileSync(`${dir.path}/file`, "second, longer");
  const after = file.stat();
  assert.equal(after.ino, before.ino);
  assert.equal(after.size, 5);
  assert.equal(after.nlink, 0);
  assert.notEqual(fs.lstat(`${dir.path}/file`).ino, before.ino);
});

Deno.test("openFile() with noFollow refuses a symlink; without it, it follows", () => {
  using dir = tempDir("kept-platform-open-");
  Deno.writeTextFileSync(`${dir.path}/target`, "target");
  Deno.symlinkSync("target", `${dir.path}/link`);
  assert.throws(() => fs.openFile(`${dir.path}/link`, { noFollow: true }), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.FilesystemLoop);
    assert.equal(
      error.message,
      `Cannot openat "${dir.path}/link": Too many levels of symbolic links (ELOOP)`,
    );
    return true;
  });
  using followed = fs.openFile(`${dir.path}/link`);
  assert.equal(followed.stat().type, "file");
  assert.equal(followed.stat().size, 6);
});

Deno.test("openFile() with directory refuses a file and opens a folder", () => {
  using dir = tempDir("kept-platform-open-");
  Deno.writeTextFileSync(`${dir.path}/file`, "");
  assert.throws(() => fs.openFile(`${dir.path}/file`, { directory: true }), Deno.errors.NotADirectory);
  using folder = fs.openFile(dir.path, { directory: true, noFollow: true });
  assert.equal(folder.stat().type, "dir");
});

Deno.test("openFile() does not wait on a FIFO that has no writer", () => {
  using dir = tempDir("kept-platform-open-");
  fs.mkfifo(`${dir.path}/pipe`, 0o600);
  using pipe = fs.openFile(`${dir.path}/pipe`);
  assert.equal(pipe.stat().type, "fifo");
});

Deno.test("close() releases the descriptor once; reading after it throws BadResource", () => {
  using dir = tempDir("kept-platform-open-");
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  const file = fs.openFile(`${dir.path}/file`);
  const fd = file.fd!;
  assert.equal(Deno.readLinkSync(`/proc/self/fd/${fd}`), `${dir.path}/file`);
  file.close();
  file.close();
  assert.equal(file.fd, undefined);
  // Closed: the number names nothing now, or (tests run in parallel in this process) another test's file.
  assert.notEqual(linkOrNothing(`/proc/self/fd/${fd}`), `${dir.path}/file`);
  assert.throws(() => file.read(new Uint8Array(1), 0), Deno.errors.BadResource);
  {
    using scoped = fs.openFile(`${dir.path}/file`);
    assert.equal(typeof scoped.fd, "number");
  }
});

/** Where a symbolic link points, or undefined when there is no such link. */
function linkOrNothing(path: string): string | undefined {
  try {
    return Deno.readLinkSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
