// Folder handles: every call works relative to the folder that was opened, never following a symlink in
// the name it is given; a folder moved away keeps receiving what is written through its handle, and a
// symlink put in its place is never followed. The fallback (no FFI) refuses what it can see is a symlink.

import assert from "node:assert/strict";
import { fallbackPlatform, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const ffi = platform();
const fallback = fallbackPlatform();
const names = (path: string) => [...Deno.readDirSync(path)].map((entry) => entry.name).sort();
const mode = (path: string) => Deno.lstatSync(path).mode! & 0o7777;

for (const fs of [ffi, fallback]) {
  Deno.test(`${fs.kind}: a handle creates, writes, renames and sets metadata relative to its folder`, () => {
    assert.equal(ffi.kind, "ffi", ffi.warning);
    using dir = tempDir("kept-platform-dir-");
    using root = fs.openDir(dir.path);
    root.mkdir("a", 0o700);
    using a = root.openDir("a");
    using file = a.createFile("f.partial", 0o600);
    file.write(new TextEncoder().encode("hello"), 0);
    file.write(new TextEncoder().encode("!"), 7);
    file.truncate(8);
    file.setMode(0o640);
    file.setTimes({ atimeNs: 1_000_000_000n, mtimeNs: 2_000_000_000n });
    file.close();
    a.rename("f.partial", "f");
    a.symlink("../nowhere", "link");
    a.mkfifo("fifo", 0o666);
    a.setMode(0o751);
    a.setTimes({ mtimeNs: 3_000_000_000n });
    assert.equal(Deno.readTextFileSync(`${dir.path}/a/f`), "hello\0\0!");
    assert.equal(mode(`${dir.path}/a/f`), 0o640);
    assert.equal(Deno.lstatSync(`${dir.path}/a/f`).mtime?.getTime(), 2000);
    assert.equal(Deno.readLinkSync(`${dir.path}/a/link`), "../nowhere");
    assert.equal(mode(`${dir.path}/a/fifo`), 0o666, "exactly, whatever the umask");
    assert.equal(mode(`${dir.path}/a`), 0o751);
    assert.equal(Deno.lstatSync(`${dir.path}/a`).mtime?.getTime(), 3000);
    assert.deepEqual(a.readDir().map((entry) => new TextDecoder().decode(entry.name)).sort(), [
      "f",
      "fifo",
      "link",
    ]);
  });

  Deno.test(`${fs.kind}: a symlink in a handle's way is refused, never followed`, () => {
    using dir = tempDir("kept-platform-dir-");
    Deno.mkdirSync(`${dir.path}/outside`, { mode: 0o700 });
    Deno.writeTextFileSync(`${dir.path}/outside/file`, "kept\n");
    Deno.symlinkSync(`${dir.path}/outside`, `${dir.path}/link`);
    Deno.symlinkSync(`${dir.path}/outside/file`, `${dir.path}/file-link`);
    using root = fs.openDir(dir.path);
    assert.throws(() => root.openDir("link"), Deno.errors.FilesystemLoop);
    assert.throws(() => fs.openDir(`${dir.path}/link`), Deno.errors.FilesystemLoop);
    assert.throws(() => root.openFileForWrite("file-link"), Deno.errors.FilesystemLoop);
    assert.throws(() => root.createFile("file-link", 0o600), Deno.errors.AlreadyExists);
    assert.throws(() => root.setMode(0o777, "link"));
    root.removeTree("link"); // the symlink, not what it points at
    assert.deepEqual(names(`${dir.path}/outside`), ["file"]);
    assert.equal(mode(`${dir.path}/outside`), 0o700);
  });

  Deno.test(`${fs.kind}: removeTree() empties a folder without following a symlink inside it`, () => {
    using dir = tempDir("kept-platform-dir-");
    Deno.mkdirSync(`${dir.path}/outside`, { mode: 0o700 });
    Deno.writeTextFileSync(`${dir.path}/outside/file`, "kept\n");
    Deno.mkdirSync(`${dir.path}/tree/deep`, { recursive: true });
    Deno.writeTextFileSync(`${dir.path}/tree/deep/file`, "gone\n");
    Deno.symlinkSync(`${dir.path}/outside`, `${dir.path}/tree/deep/link`);
    using root = fs.openDir(dir.path);
    assert.throws(() => root.remove("tree"), "remove() takes an empty folder only");
    root.removeTree("tree");
    assert.deepEqual(names(dir.path), ["outside"]);
    assert.deepEqual(names(`${dir.path}/outside`), ["file"]);
  });
}

Deno.test("ffi: a folder swapped for a symlink after it was opened keeps receiving what its handle writes", () => {
  using dir = tempDir("kept-platform-dir-");
  Deno.mkdirSync(`${dir.path}/outside`, { mode: 0o700 });
  using root = ffi.openDir(dir.path);
  root.mkdir("a", 0o700);
  using a = root.openDir("a");
  Deno.renameSync(`${dir.path}/a`, `${dir.path}/aside`);
  Deno.symlinkSync(`${dir.path}/outside`, `${dir.path}/a`);
  a.mkdir("sub", 0o700);
  a.createFile("file", 0o600).close();
  a.setOwner({ uid: Deno.uid()!, gid: Deno.gid()! });
  a.setMode(0o755);
  assert.deepEqual(names(`${dir.path}/outside`), []);
  assert.equal(mode(`${dir.path}/outside`), 0o700);
  assert.deepEqual(names(`${dir.path}/aside`), ["file", "sub"]);
  assert.equal(mode(`${dir.path}/aside`), 0o755);
  assert.throws(() => root.openDir("a"), Deno.errors.FilesystemLoop);
});

Deno.test("fallback: a handle whose path now leads through a symlink refuses every call", () => {
  using dir = tempDir("kept-platform-dir-");
  Deno.mkdirSync(`${dir.path}/outside`, { mode: 0o700 });
  using root = fallback.openDir(dir.path);
  root.mkdir("a", 0o700);
  using a = root.openDir("a");
  Deno.renameSync(`${dir.path}/a`, `${dir.path}/aside`);
  Deno.symlinkSync(`${dir.path}/outside`, `${dir.path}/a`);
  for (const call of [() => a.mkdir("sub", 0o700), () => a.setMode(0o755), () => a.createFile("f", 0o600)]) {
    assert.throws(call, Deno.errors.FilesystemLoop);
  }
  assert.deepEqual(names(`${dir.path}/outside`), []);
  assert.equal(mode(`${dir.path}/outside`), 0o700);
});

Deno.test("ffi: a handle shared with a worker is used there, and closing the borrowed one leaves it open", async () => {
  using dir = tempDir("kept-platform-dir-");
  using root = ffi.openDir(dir.path);
  const source = `
    import { platform } from "${new URL("../../lib/platform/mod.ts", import.meta.url).href}";
    self.onmessage = (event) => {
      const dir = platform().borrowDir(event.data);
      dir.createFile("from-worker", 0o600).close();
      dir.close();
      self.postMessage("done");
    };`;
  const url = `data:application/typescript,${encodeURIComponent(source)}`;
  const worker = new Worker(url, { type: "module" });
  try {
    const done = new Promise((resolve) => worker.onmessage = resolve);
    worker.postMessage(root.share());
    await done;
  } finally {
    worker.terminate();
  }
  root.mkdir("after", 0o700); // still open
  assert.deepEqual(names(dir.path), ["after", "from-worker"]);
});

Deno.test("ffi: an unnamed file appears only once linked, with its content and metadata, never over a name", () => {
  using dir = tempDir("kept-platform-dir-");
  using root = ffi.openDir(dir.path);
  const file = root.createUnnamedFile(0o600);
  assert.ok(file, "ext4 and tmpfs make unnamed files");
  try {
    file.write(new TextEncoder().encode("whole"), 0);
    file.setMode(0o640);
    file.setTimes({ mtimeNs: 1_700_000_000_123_456_789n });
    assert.deepEqual(names(dir.path), [], "nothing to see while it is written");
    file.linkAs("done");
    Deno.writeTextFileSync(`${dir.path}/taken`, "someone else's");
    assert.throws(() => file.linkAs("taken"), Deno.errors.AlreadyExists);
  } finally {
    file.close();
  }
  assert.deepEqual(names(dir.path), ["done", "taken"]);
  assert.equal(Deno.readTextFileSync(`${dir.path}/done`), "whole");
  assert.equal(Deno.readTextFileSync(`${dir.path}/taken`), "someone else's");
  assert.equal(mode(`${dir.path}/done`), 0o640);
  assert.equal(ffi.lstat(`${dir.path}/done`).mtimeNs, 1_700_000_000_123_456_789n);

  // One never linked leaves nothing behind.
  root.createUnnamedFile(0o600)!.close();
  assert.deepEqual(names(dir.path), ["done", "taken"]);
});

Deno.test("fallback: no unnamed files (Deno's file API has no O_TMPFILE): a named file is written instead", () => {
  using dir = tempDir("kept-platform-dir-");
  using root = fallback.openDir(dir.path);
  assert.equal(root.createUnnamedFile(0o600), undefined);
});
