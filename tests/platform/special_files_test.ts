// FIFOs and device nodes are made without a child process and with exactly the mode asked for; lchown
// changes a symlink's own owner. Python's os.stat(..., follow_symlinks=False) is the witness.

import assert from "node:assert/strict";
import { makeDevice, platform } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { pythonLstat } from "./_python.ts";

const fs = platform();
const IS_ROOT = Deno.uid() === 0;

Deno.test("mkfifo() makes a FIFO with exactly the mode asked for, whatever the umask", () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  using dir = tempDir("kept-platform-special-");
  // The umask is left as it is (usually 022, which would take 0o022 off): changing it would reach every
  // test running in this process at the same time.
  fs.mkfifo(`${dir.path}/pipe`, 0o666);
  fs.mkfifo(`${dir.path}/sticky`, 0o1640);
  assert.equal(pythonLstat(`${dir.path}/pipe`).mode, 0o010666);
  assert.equal(pythonLstat(`${dir.path}/sticky`).mode, 0o011640);
  assert.equal(fs.lstat(`${dir.path}/pipe`).type, "fifo");
});

Deno.test("mkfifo() over an existing entry throws AlreadyExists naming mkfifo and the path", () => {
  using dir = tempDir("kept-platform-special-");
  Deno.writeTextFileSync(`${dir.path}/taken`, "");
  assert.throws(() => fs.mkfifo(`${dir.path}/taken`, 0o600), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.AlreadyExists);
    assert.equal(error.message, `Cannot mkfifo "${dir.path}/taken": File exists (EEXIST)`);
    return true;
  });
});

Deno.test("mknod() makes the character device c 1 3 and a block device as root", { ignore: !IS_ROOT }, () => {
  using dir = tempDir("kept-platform-special-");
  fs.mknod(`${dir.path}/null`, { type: "chardev", mode: 0o666, rdev: makeDevice({ major: 1, minor: 3 }) });
  fs.mknod(`${dir.path}/block`, {
    type: "blockdev",
    mode: 0o600,
    rdev: makeDevice({ major: 7, minor: 300 }),
  });
  const chardev = pythonLstat(`${dir.path}/null`);
  assert.deepEqual([chardev.mode, chardev.major, chardev.minor], [0o020666, 1, 3]);
  const blockdev = pythonLstat(`${dir.path}/block`);
  assert.deepEqual([blockdev.mode, blockdev.major, blockdev.minor], [0o060600, 7, 300]);
  assert.equal(fs.lstat(`${dir.path}/null`).rdev, chardev.rdev);
  assert.equal(fs.lstat(`${dir.path}/block`).type, "blockdev");
  // It is the real device: what is written to it disappears.
  Deno.writeTextFileSync(`${dir.path}/null`, "gone");
  assert.equal(Deno.readTextFileSync(`${dir.path}/null`), "");
});

Deno.test(
  "lchown() changes a symlink's own owner and leaves its target's alone",
  { ignore: !IS_ROOT },
  () => {
    using dir = tempDir("kept-platform-special-");
    Deno.writeTextFileSync(`${dir.path}/target`, "");
    Deno.symlinkSync("target", `${dir.path}/link`);
    fs.lchown(`${dir.path}/link`, { uid: 12345, gid: 54321 });
    const link = pythonLstat(`${dir.path}/link`);
    assert.deepEqual([link.uid, link.gid], [12345, 54321]);
    const target = pythonLstat(`${dir.path}/target`);
    assert.deepEqual([target.uid, target.gid], [0, 0]);
    assert.deepEqual([fs.lstat(`${dir.path}/link`).uid, fs.lstat(`${dir.path}/link`).gid], [12345, 54321]);
  },
);
