// A failed call throws one error naming the call, the path (escaped when it is not UTF-8) and the reason,
// as the Deno.errors class callers already test for.

import assert from "node:assert/strict";
import { fallbackPlatform, isPlatformError, joinPath, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { errnoError } from "../../lib/platform/_errors.ts";
import { errorKind } from "../../lib/workers/mod.ts";

const fs = platform();
const ENOENT = "No such file or directory (ENOENT)";

Deno.test("every call on a missing path throws NotFound naming the C call and the path", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-errors-");
  const missing = `${dir.path}/missing`;
  const calls: Array<[string, () => unknown]> = [
    ["statx", () => fs.lstat(missing)],
    ["openat", () => fs.readDir(missing)],
    ["openat", () => fs.openFile(missing)],
    ["utimensat", () => fs.setTimes(missing, { mtimeNs: 0n })],
    ["lchown", () => fs.lchown(missing, { uid: 0, gid: 0 })],
    ["llistxattr", () => fs.listXattrs(missing)],
  ];
  for (const [call, run] of calls) {
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof Deno.errors.NotFound, call);
      assert.equal(error.message, `Cannot ${call} "${missing}": ${ENOENT}`);
      assert.ok(isPlatformError(error));
      assert.deepEqual([error.call, error.path, error.code, error.errno], [call, missing, "ENOENT", 2]);
      return true;
    });
  }
  assert.throws(() => fs.getXattr(missing, "user.a"), {
    message: `Cannot lgetxattr "user.a" of "${missing}": ${ENOENT}`,
  });
  assert.throws(() => fs.mkfifo(`${missing}/pipe`, 0o600), {
    message: `Cannot mkfifo "${missing}/pipe": ${ENOENT}`,
  });
});

Deno.test("a missing path that is not valid UTF-8 is named with its stray bytes escaped", () => {
  using dir = tempDir("kept-platform-errors-");
  const path = joinPath(dir.path, new Uint8Array([0x6e, 0xe9, 0x0a]));
  assert.throws(() => fs.lstat(path), {
    name: "NotFound",
    message: `Cannot statx "${dir.path}/n\\xe9\\n": ${ENOENT}`,
  });
});

Deno.test("other failures keep their own class: a file is not a folder", () => {
  using dir = tempDir("kept-platform-errors-");
  Deno.writeTextFileSync(`${dir.path}/file`, "");
  assert.throws(() => fs.readDir(`${dir.path}/file`), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.NotADirectory);
    assert.equal(error.message, `Cannot openat "${dir.path}/file": Not a directory (ENOTDIR)`);
    return true;
  });
  assert.throws(() => fs.lstat(`${dir.path}/file/below`), Deno.errors.NotADirectory);
});

Deno.test("a path with a NUL byte is refused before any call", () => {
  assert.throws(() => fs.lstat("/tmp/a\0b"), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, `Cannot statx "/tmp/a\\x00b": it contains a NUL byte`);
    return true;
  });
  assert.throws(() => fs.lstat(new Uint8Array([0x2f, 0, 0x61])), TypeError);
  assert.throws(() => fs.lstat("/tmp/\ud800"), { name: "TypeError", message: /lone surrogate/ });
});

Deno.test("the fallback words Deno's errors the same way and keeps their class", () => {
  using dir = tempDir("kept-platform-errors-");
  const fallback = fallbackPlatform();
  const missing = `${dir.path}/missing`;
  assert.throws(() => fallback.lstat(missing), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.NotFound);
    assert.equal(error.message, `Cannot lstat "${missing}": No such file or directory (os error 2)`);
    assert.ok(isPlatformError(error));
    assert.equal(error.code, "ENOENT");
    return true;
  });
  assert.throws(() => fallback.lchown(missing, { uid: 0, gid: 0 }), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.NotFound);
    assert.equal(error.message, `Cannot lchown "${missing}": No such file or directory (os error 2)`);
    return true;
  });
  assert.throws(() => fallback.readDir(missing), { name: "NotFound", message: /^Cannot readDir "/ });
  assert.throws(() => fallback.mkfifo(`${missing}/pipe`, 0o600), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.NotFound);
    assert.match(error.message, /^Cannot mkfifo ".*\/missing\/pipe": "mkfifo" failed with exit code 1: /);
    return true;
  });
});

Deno.test("a read the system refuses for any reason is an I/O error, never a bug: ESPIPE of a file become a FIFO", () => {
  using dir = tempDir("kept-platform-errors-");
  const fifo = `${dir.path}/was-a-file`;
  const made = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  assert.ok(made.success);
  // What a backup's worker meets when a file is swapped for a FIFO after the walk saw it.
  using file = fs.openFile(fifo);
  assert.throws(() => file.read(new Uint8Array(16), 0), (error: unknown) => {
    assert.ok(isPlatformError(error));
    assert.equal(error.code, "ESPIPE");
    assert.equal(errorKind(error), "io");
    return true;
  });
  // An errno the layer has no name for still counts as the system's answer, with its number said.
  const unnamed = errnoError("linux", 250, "Unknown error 250", { call: "pread", path: "/x" });
  assert.equal(unnamed.message, 'Cannot pread "/x": Unknown error 250 (errno 250)');
  assert.equal(errorKind(unnamed), "io");
  // Only kept's own calls can hand the C library a bad address: that is a bug.
  assert.equal(errorKind(errnoError("linux", 14, "Bad address", { call: "pread", path: "/x" })), "bug");
});
