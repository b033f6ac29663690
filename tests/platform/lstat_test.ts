// lstat() agrees with Python's os.stat(..., follow_symlinks=False) on every field, for every file type.

import assert from "node:assert/strict";
import { type FileStat, platform, splitDevice } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { pythonLstats, type PythonStat } from "./_python.ts";

const fs = platform();

function assertSameAsPython(stat: FileStat, witness: PythonStat, label: string): void {
  assert.deepEqual(
    {
      mode: stat.mode,
      ino: stat.ino,
      dev: stat.dev,
      nlink: stat.nlink,
      uid: stat.uid,
      gid: stat.gid,
      size: stat.size,
      rdev: stat.rdev,
      blocks: stat.blocks,
      atimeNs: stat.atimeNs,
      mtimeNs: stat.mtimeNs,
      ctimeNs: stat.ctimeNs,
    },
    {
      mode: witness.mode,
      ino: witness.ino,
      dev: witness.dev,
      nlink: witness.nlink,
      uid: witness.uid,
      gid: witness.gid,
      size: witness.size,
      rdev: witness.rdev,
      blocks: witness.blocks,
      atimeNs: witness.atimeNs,
      mtimeNs: witness.mtimeNs,
      ctimeNs: witness.ctimeNs,
    },
    label,
  );
}

Deno.test("lstat() agrees with Python on every field of a file, folder, symlink, FIFO, socket and device", () => {
  using dir = tempDir("kept-platform-lstat-");
  const root = dir.path;
  Deno.writeTextFileSync(`${root}/file`, "x".repeat(5000));
  Deno.chmodSync(`${root}/file`, 0o4751);
  Deno.linkSync(`${root}/file`, `${root}/hardlink`);
  using sparse = Deno.openSync(`${root}/sparse`, { write: true, create: true });
  sparse.truncateSync(50 * 1024 * 1024);
  Deno.mkdirSync(`${root}/folder`, { mode: 0o1777 });
  Deno.symlinkSync("file", `${root}/link`);
  fs.mkfifo(`${root}/fifo`, 0o640);
  using _listener = Deno.listen({ transport: "unix", path: `${root}/socket` });
  const expected: Record<string, FileStat["type"]> = {
    file: "file",
    hardlink: "file",
    sparse: "file",
    folder: "dir",
    link: "symlink",
    fifo: "fifo",
    socket: "socket",
  };
  const paths = [...Object.keys(expected).map((name) => `${root}/${name}`), "/dev/null"];
  const witnesses = pythonLstats(paths);
  paths.forEach((path, i) => {
    const stat = fs.lstat(path);
    assertSameAsPython(stat, witnesses[i]!, path);
    assert.equal(stat.type, expected[path.slice(root.length + 1)] ?? "chardev", path);
  });
  assert.equal(fs.lstat(`${root}/hardlink`).nlink, 2);
  assert.equal(fs.lstat(`${root}/hardlink`).ino, fs.lstat(`${root}/file`).ino);
  assert.equal(fs.lstat(`${root}/file`).mode & 0o7777, 0o4751);
  assert.ok(fs.lstat(`${root}/sparse`).blocks * 512 < 50 * 1024 * 1024, "a sparse file has fewer blocks");
  assert.deepEqual(splitDevice(fs.lstat("/dev/null").rdev), { major: 1, minor: 3 });
});

Deno.test("lstat() takes the path as bytes as well as text", () => {
  using dir = tempDir("kept-platform-lstat-");
  Deno.writeTextFileSync(`${dir.path}/é.txt`, "abc");
  const byText = fs.lstat(`${dir.path}/é.txt`);
  const byBytes = fs.lstat(new TextEncoder().encode(`${dir.path}/é.txt`));
  assert.deepEqual(byBytes, byText);
  assert.equal(byBytes.size, 3);
});
