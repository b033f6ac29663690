// Without FFI (forced in this process with fallbackPlatform(), or for real in a child `deno run` without
// --allow-ffi) the same calls work through Deno's file API with millisecond times, report names that
// are not valid UTF-8 instead of mangling them, refuse extended attributes, and say so in one warning.

import assert from "node:assert/strict";
import { fallbackPlatform, joinPath, makeDevice } from "../../lib/platform/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python, pythonLstat, pythonLstats } from "./_python.ts";

const fs = fallbackPlatform();
const IS_ROOT = Deno.uid() === 0;
const text = (value: string) => new TextEncoder().encode(value);
const LOST = "times are kept to the millisecond (ctime to the second), names that are not valid UTF-8 " +
  "are skipped and extended attributes are not kept";

Deno.test("the fallback says in one line why it is used and what is lost", () => {
  assert.equal(fs.kind, "fallback");
  assert.equal(fs.warning, `Exact file metadata is not available (FFI turned off): ${LOST}`);
  assert.equal(fallbackPlatform("testing").warning?.includes("(testing)"), true);
  assert.ok(!fs.warning.includes("\n"));
});

Deno.test("a child `deno run` without --allow-ffi falls back and warns; with it, it uses FFI", () => {
  using dir = tempDir("kept-platform-fallback-");
  Deno.writeTextFileSync(`${dir.path}/file`, "");
  python(`open(bytes.fromhex(args) + b"/caf\\xe9", "wb").close()`, hex(dir.path));
  const probe = new URL("./_fallback_probe.ts", import.meta.url).pathname;
  const run = (flags: string[]) => {
    const output = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...flags, probe, dir.path],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    return JSON.parse(new TextDecoder().decode(output.stdout));
  };
  const without = run(["--allow-read", "--allow-write", "--allow-run"]);
  assert.equal(without.kind, "fallback");
  assert.equal(without.warning, `Exact file metadata is not available (--allow-ffi not granted): ${LOST}`);
  assert.equal(without.mtimeNs, "1700000000123000000");
  const lossy = without.entries.find((entry: { lossyName: boolean }) => entry.lossyName);
  assert.deepEqual(lossy?.name, Array.from(text("caf\uFFFD")));

  const withFfi = run(["--allow-read", "--allow-write", "--allow-run", "--allow-ffi"]);
  assert.equal(withFfi.kind, "ffi");
  assert.equal(withFfi.warning, null);
  assert.equal(withFfi.mtimeNs, "1700000000123456789");
  assert.ok(
    withFfi.entries.some((entry: { name: number[] }) => hex(Uint8Array.from(entry.name)) === "636166e9"),
  );
});

Deno.test("the fallback sets and reads times to the millisecond, a symlink's own included", () => {
  using dir = tempDir("kept-platform-fallback-");
  Deno.writeTextFileSync(`${dir.path}/file`, "");
  Deno.mkdirSync(`${dir.path}/folder`);
  Deno.symlinkSync("file", `${dir.path}/link`);
  Deno.symlinkSync("file", `${dir.path}/old-link`);
  const times = { atimeNs: 4_102_444_800_123_456_789n, mtimeNs: -1_000_000_001n };
  fs.setTimes(`${dir.path}/file`, times);
  fs.setTimes(`${dir.path}/folder`, times);
  fs.setTimes(`${dir.path}/link`, {
    atimeNs: 1_700_000_000_987_654_321n,
    mtimeNs: 4_102_444_800_123_456_789n,
  });
  // node:fs cannot set a symlink's time before 1970, so touch(1) does, to the nanosecond.
  fs.setTimes(`${dir.path}/old-link`, times);
  const paths = ["file", "folder", "link", "old-link"].map((name) => `${dir.path}/${name}`);
  const [file, folder, link, oldLink] = pythonLstats(paths);
  for (const witness of [file!, folder!]) {
    assert.deepEqual([witness.atimeNs, witness.mtimeNs], [4_102_444_800_123_000_000n, -1_001_000_000n]);
  }
  assert.deepEqual([link!.atimeNs, link!.mtimeNs], [1_700_000_000_987_000_000n, 4_102_444_800_123_000_000n]);
  assert.deepEqual([oldLink!.atimeNs, oldLink!.mtimeNs], [4_102_444_800_123_456_789n, -1_000_000_001n]);
  assert.equal(fs.lstat(`${dir.path}/file`).mtimeNs, -1_001_000_000n);
  assert.equal(fs.lstat(`${dir.path}/link`).mtimeNs, 4_102_444_800_123_000_000n);
  // Deno reads -1.000000001 s as -1000 ms (towards zero): still the millisecond the warning promises.
  assert.equal(fs.lstat(`${dir.path}/old-link`).mtimeNs, -1_000_000_000n);
  assert.equal(fs.lstat(`${dir.path}/link`).type, "symlink");
});

Deno.test("the fallback flags names that are not valid UTF-8 and refuses byte paths it cannot name", () => {
  using dir = tempDir("kept-platform-fallback-");
  python(
    `root = bytes.fromhex(args)
open(root + b"/caf\\xe9", "wb").close()
open(root + b"/real-\\xef\\xbf\\xbd", "wb").close()
open(root + b"/plain", "wb").close()`,
    hex(dir.path),
  );
  const entries = fs.readDir(dir.path).map((
    entry,
  ) => [new TextDecoder().decode(entry.name), entry.lossyName]);
  assert.deepEqual(entries.sort(), [["caf\uFFFD", true], ["plain", false], ["real-\uFFFD", false]]);
  const latin = joinPath(dir.path, new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
  assert.throws(() => fs.lstat(latin), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.NotSupported);
    assert.equal(
      error.message,
      `Cannot lstat "${dir.path}/caf\\xe9": the path is not valid UTF-8, and without FFI only text paths can be used`,
    );
    return true;
  });
});

Deno.test("the fallback lists no extended attributes and refuses to read or write one", () => {
  using dir = tempDir("kept-platform-fallback-");
  Deno.writeTextFileSync(`${dir.path}/file`, "");
  python(`os.setxattr(bytes.fromhex(args), "user.hidden", b"1")`, hex(`${dir.path}/file`));
  assert.deepEqual(fs.listXattrs(`${dir.path}/file`), []);
  assert.throws(() => fs.listXattrs(`${dir.path}/missing`), Deno.errors.NotFound);
  assert.throws(
    () => fs.setXattr(`${dir.path}/file`, { name: "user.a", value: text("1") }),
    (error: unknown) => {
      assert.ok(error instanceof Deno.errors.NotSupported);
      assert.equal(
        error.message,
        `Cannot setxattr "user.a" of "${dir.path}/file": extended attributes need the C library (FFI), which is not available`,
      );
      return true;
    },
  );
  assert.throws(() => fs.getXattr(`${dir.path}/file`, "user.hidden"), Deno.errors.NotSupported);
});

Deno.test("the fallback makes FIFOs and devices with mkfifo and mknod, and lchowns a symlink", () => {
  using dir = tempDir("kept-platform-fallback-");
  fs.mkfifo(`${dir.path}/pipe`, 0o666);
  assert.equal(pythonLstat(`${dir.path}/pipe`).mode, 0o010666);
  assert.equal(fs.lstat(`${dir.path}/pipe`).type, "fifo");
  if (!IS_ROOT) return;
  fs.mknod(`${dir.path}/null`, { type: "chardev", mode: 0o620, rdev: makeDevice({ major: 1, minor: 3 }) });
  const device = pythonLstat(`${dir.path}/null`);
  assert.deepEqual([device.mode, device.major, device.minor], [0o020620, 1, 3]);
  Deno.symlinkSync("pipe", `${dir.path}/link`);
  fs.lchown(`${dir.path}/link`, { uid: 4242, gid: 2424 });
  const link = pythonLstat(`${dir.path}/link`);
  assert.deepEqual([link.uid, link.gid], [4242, 2424]);
  assert.equal(pythonLstat(`${dir.path}/pipe`).uid, 0);
});

Deno.test("the fallback opens and reads by position, and refuses a symlink with noFollow and a FIFO", () => {
  using dir = tempDir("kept-platform-fallback-");
  Deno.writeTextFileSync(`${dir.path}/file`, "0123456789");
  Deno.symlinkSync("file", `${dir.path}/link`);
  fs.mkfifo(`${dir.path}/pipe`, 0o600);
  using file = fs.openFile(`${dir.path}/file`, { noFollow: true });
  assert.equal(file.fd, undefined);
  const buffer = new Uint8Array(3);
  assert.equal(file.read(buffer, 7), 3);
  assert.equal(new TextDecoder().decode(buffer), "789");
  assert.equal(file.read(buffer, 10), 0);
  assert.equal(file.stat().size, 10);
  assert.throws(() => fs.openFile(`${dir.path}/link`, { noFollow: true }), Deno.errors.FilesystemLoop);
  assert.throws(() => fs.openFile(`${dir.path}/file`, { directory: true }), Deno.errors.NotADirectory);
  assert.throws(() => fs.openFile(`${dir.path}/pipe`), Deno.errors.NotSupported);
});
