// A restore gives back what the format keeps (docs/format.md#trees): times to the nanosecond, before 1970
// and after 2100, on files, folders and symlinks; names and link targets that are not UTF-8, byte for
// byte; extended attributes; FIFOs, hard links and holes. Python reads the result, not kept.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { nameText } from "../../lib/platform/mod.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import type { TreeNode } from "../../lib/repo/types.ts";
import { restore } from "../../lib/restore/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hex, python, pythonListdir, pythonLstat, pythonLstats, pythonXattrs } from "../platform/_python.ts";

const IS_ROOT = Deno.uid() === 0;
const BASE = { mode: 0o644, uid: 0, gid: 0 };
const encoder = new TextEncoder();

/** The tree's fields for a time in nanoseconds: whole milliseconds (floored) and the nanoseconds past them. */
function timeFields(ns: bigint): Pick<TreeNode, "mtime" | "mtimeNs"> {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const past = Number(ns - ms * 1_000_000n);
  return { mtime: Number(ms), ...(past !== 0 ? { mtimeNs: past } : {}) };
}

/** Bytes from latin-1 code points (each char one byte), for names that are not UTF-8. */
function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function base64(text: string): string {
  return encoder.encode(text).toBase64();
}

/** 1930-11-18 and 2103-02-10, with nanoseconds that are not a whole microsecond. */
const BEFORE_1970 = -1_234_567_890_123_456_789n;
const AFTER_2100 = 4_200_000_000_987_654_321n;
/** `caf` and 0xE9 (latin-1 é: not UTF-8), `dir` and 0xFF, and a link target `t` 0x80 `x`. */
const FILE_NAME = latin1("caf\xe9");
const DIR_NAME = latin1("dir\xff");
const LINK_TARGET = latin1("t\x80x");

async function repositoryIn(root: string): Promise<Repository> {
  return await testRepository(await LocalBackend.create(`${root}/repo`));
}

async function restoreSnapshot(
  repository: Repository,
  nodes: (craft: SnapshotCrafter) => TreeNode[],
  target: string,
) {
  const craft = new SnapshotCrafter(repository);
  const id = await craft.snapshot(nodes(craft));
  const { snapshot } = await repository.findSnapshot(id);
  return await restore(repository, { tree: snapshot.tree, target, asRoot: IS_ROOT });
}

Deno.test("restore sets times to the nanosecond, before 1970 and after 2100, on files, folders and symlinks", async () => {
  using dir = tempDir("kept-exact-");
  const repository = await repositoryIn(dir.path);
  const out = `${dir.path}/out`;
  const result = await restoreSnapshot(repository, (craft) => [
    {
      ...craft.dir("old", [{ ...craft.file("f", "old\n"), ...timeFields(BEFORE_1970) }]),
      ...timeFields(BEFORE_1970),
    },
    {
      ...craft.dir("new", [{ ...craft.file("f", "new\n"), ...timeFields(AFTER_2100) }]),
      ...timeFields(AFTER_2100),
    },
    { ...craft.symlink("old-link", "old/f"), ...timeFields(BEFORE_1970) },
    { ...craft.symlink("new-link", "new/f"), ...timeFields(AFTER_2100) },
    { ...BASE, name: "pipe", type: "fifo", mode: 0o640, ...timeFields(AFTER_2100 + 1n) },
  ], out);
  assert.deepEqual(result.problems, []);
  const paths = ["old", "old/f", "old-link", "new", "new/f", "new-link", "pipe"];
  const stats = pythonLstats(paths.map((path) => `${out}/${path}`));
  const times = Object.fromEntries(paths.map((path, i) => [path, [stats[i]!.mtimeNs, stats[i]!.atimeNs]]));
  assert.deepEqual(times, {
    "old": [BEFORE_1970, BEFORE_1970],
    "old/f": [BEFORE_1970, BEFORE_1970],
    "old-link": [BEFORE_1970, BEFORE_1970],
    "new": [AFTER_2100, AFTER_2100],
    "new/f": [AFTER_2100, AFTER_2100],
    "new-link": [AFTER_2100, AFTER_2100],
    "pipe": [AFTER_2100 + 1n, AFTER_2100 + 1n],
  });
  assert.equal(stats[6]!.mode & 0o170000, 0o010000); // a FIFO, made through the platform layer
  assert.equal(stats[6]!.mode & 0o7777, 0o640);
});

Deno.test("a snapshot without nanoseconds restores whole milliseconds, and a restore run again skips it all", async () => {
  using dir = tempDir("kept-exact-");
  const repository = await repositoryIn(dir.path);
  const out = `${dir.path}/out`;
  const craft = new SnapshotCrafter(repository);
  // As snapshots were written before nanoseconds were kept: no mtimeNs, ctimeNs, user, group or xattrs.
  const id = await craft.snapshot([
    craft.dir("d", [{ ...craft.file("a", "a\n"), mtime: -1_500 }]),
    { ...craft.file(nameText(FILE_NAME), "byte name\n"), ...timeFields(AFTER_2100) },
    { ...craft.symlink("l", nameText(LINK_TARGET)), ...timeFields(BEFORE_1970) },
  ]);
  const { snapshot } = await repository.findSnapshot(id);
  const first = await restore(repository, { tree: snapshot.tree, target: out, asRoot: IS_ROOT });
  assert.deepEqual(first.problems, []);
  assert.equal(pythonLstat(`${out}/d/a`).mtimeNs, -1_500_000_000n);
  assert.equal(pythonLstat(`${out}/d`).mtimeNs, 1_600_000_000_000_000_000n);
  // Resumed: each file matches to the nanosecond, the link by its target's bytes.
  const again = await restore(repository, { tree: snapshot.tree, target: out, asRoot: IS_ROOT });
  assert.deepEqual(again.problems, []);
  assert.deepEqual({ files: again.files, skipped: again.skipped }, { files: 0, skipped: 3 });
});

Deno.test("names and link targets that are not UTF-8 are restored byte for byte", async () => {
  using dir = tempDir("kept-exact-");
  const repository = await repositoryIn(dir.path);
  const out = `${dir.path}/out`;
  const result = await restoreSnapshot(repository, (craft) => [
    craft.dir(nameText(DIR_NAME), [
      craft.file(nameText(FILE_NAME), "caf\n"),
      craft.symlink(nameText(latin1("link\xfe")), nameText(LINK_TARGET)),
      craft.dir("plain", [craft.file(nameText(latin1("deep\xc3")), "deep\n")]),
    ]),
  ], out);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.files, 3);
  const folder = new Uint8Array([...encoder.encode(`${out}/`), ...DIR_NAME]);
  assert.deepEqual(pythonListdir(out), [hex(DIR_NAME)]);
  assert.deepEqual(pythonListdir(folder), [hex(FILE_NAME), hex(latin1("link\xfe")), hex("plain")].sort());
  const read = python<{ content: string; target: string; deep: string }>(
    `d = bytes.fromhex(args)
print(json.dumps({"content": open(d + b"/" + bytes.fromhex("${hex(FILE_NAME)}"), "rb").read().hex(),
  "target": os.readlink(d + b"/link\\xfe").hex(), "deep": open(d + b"/plain/deep\\xc3", "rb").read().hex()}))`,
    hex(folder),
  );
  assert.deepEqual(read, { content: hex("caf\n"), target: hex(LINK_TARGET), deep: hex("deep\n") });
});

Deno.test("extended attributes come back on files and folders, and trusted.* on a symlink as root", async () => {
  using dir = tempDir("kept-exact-");
  const repository = await repositoryIn(dir.path);
  const out = `${dir.path}/out`;
  const binary = new Uint8Array([0, 1, 2, 0xff]);
  const result = await restoreSnapshot(repository, (craft) => [
    {
      ...craft.dir("d", [{
        ...craft.file("f", "f\n"),
        ...timeFields(AFTER_2100),
        xattrs: [{ name: "user.binary", value: binary.toBase64() }, {
          name: "user.comment",
          value: base64("hi"),
        }],
      }]),
      ...timeFields(BEFORE_1970),
      xattrs: [{ name: "user.folder", value: base64("yes") }],
    },
    {
      ...craft.dir(nameText(DIR_NAME), []),
      ...timeFields(AFTER_2100),
      xattrs: [{ name: "user.bytes", value: base64("named") }],
    },
    {
      ...craft.symlink("l", "d/f"),
      ...timeFields(AFTER_2100),
      ...(IS_ROOT ? { xattrs: [{ name: "trusted.link", value: base64("root only") }] } : {}),
    },
  ], out);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(pythonXattrs(`${out}/d/f`), {
    [hex("user.binary")]: hex(binary),
    [hex("user.comment")]: hex("hi"),
  });
  assert.deepEqual(pythonXattrs(`${out}/d`), { [hex("user.folder")]: hex("yes") });
  const byteFolder = new Uint8Array([...encoder.encode(`${out}/`), ...DIR_NAME]);
  assert.deepEqual(pythonXattrs(byteFolder), { [hex("user.bytes")]: hex("named") });
  assert.equal(pythonLstat(byteFolder).mtimeNs, AFTER_2100);
  if (IS_ROOT) assert.deepEqual(pythonXattrs(`${out}/l`), { [hex("trusted.link")]: hex("root only") });
  // Setting them left the times as the snapshot has them.
  const [file, folder, link] = pythonLstats([`${out}/d/f`, `${out}/d`, `${out}/l`]);
  assert.deepEqual([file!.mtimeNs, folder!.mtimeNs, link!.mtimeNs], [AFTER_2100, BEFORE_1970, AFTER_2100]);
});

Deno.test("an extended attribute that cannot be set is a warning for its entry; the entry is restored", async () => {
  using dir = tempDir("kept-exact-");
  const repository = await repositoryIn(dir.path);
  const out = `${dir.path}/out`;
  // Linux allows user.* attributes only on files and folders, never on a symlink.
  const result = await restoreSnapshot(repository, (craft) => [
    { ...craft.symlink("l", "target"), xattrs: [{ name: "user.nope", value: base64("x") }] },
    {
      ...craft.file("f", "f\n"),
      xattrs: [{ name: "user.ok", value: base64("1") }, { name: "user.bad", value: "@@" }],
    },
  ], out);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.files, 2);
  assert.deepEqual(result.warnings.map((warning) => warning.path), ["/l", "/f"]);
  assert.match(
    result.warnings[0]!.message,
    /^extended attribute "user\.nope" not set: .*Operation not permitted/,
  );
  assert.match(
    result.warnings[1]!.message,
    /^extended attribute "user\.bad" not set: the snapshot holds no valid name or value for it$/,
  );
  assert.deepEqual(pythonXattrs(`${out}/f`), { [hex("user.ok")]: hex("1") });
  assert.equal(Deno.readLinkSync(`${out}/l`), "target");
});

Deno.test({
  name: "without root, security.*, system.posix_acl_* and trusted.* attributes are left out, as owners are",
  fn: async () => {
    using dir = tempDir("kept-exact-");
    const repository = await repositoryIn(dir.path);
    const out = `${dir.path}/out`;
    const craft = new SnapshotCrafter(repository);
    const id = await craft.snapshot([{
      ...craft.file("f", "f\n"),
      xattrs: [
        { name: "security.capability", value: base64("cap") },
        { name: "system.posix_acl_access", value: base64("acl") },
        { name: "trusted.x", value: base64("t") },
        { name: "user.x", value: base64("u") },
      ],
    }]);
    const { snapshot } = await repository.findSnapshot(id);
    const result = await restore(repository, { tree: snapshot.tree, target: out, asRoot: false });
    assert.deepEqual([result.problems, result.warnings], [[], []]);
    assert.deepEqual(pythonXattrs(`${out}/f`), { [hex("user.x")]: hex("u") });
  },
});

Deno.test("hard links are linked again and holes stay holes, with exact times", async () => {
  using dir = tempDir("kept-exact-");
  const repository = await repositoryIn(dir.path);
  const out = `${dir.path}/out`;
  const zeros = "\0".repeat(1024 * 1024);
  const result = await restoreSnapshot(repository, (craft) => {
    const hole = craft.file("z", zeros).content![0]!;
    const data = craft.file("d", "data").content![0]!;
    const linked = {
      ...craft.file("a", "linked\n"),
      links: 2,
      device: 7,
      inode: 99,
      ...timeFields(AFTER_2100),
    };
    return [
      linked,
      { ...linked, name: nameText(latin1("b\xe9")) },
      {
        ...BASE,
        name: "sparse",
        type: "file",
        size: 3 * zeros.length + 4,
        content: [hole, hole, data, hole],
        ...timeFields(BEFORE_1970),
      } as TreeNode,
    ];
  }, out);
  assert.deepEqual(result.problems, []);
  const [a, b, sparse] = pythonLstats([
    `${out}/a`,
    new Uint8Array([...encoder.encode(`${out}/`), ...latin1("b\xe9")]),
    `${out}/sparse`,
  ]);
  assert.equal(a!.ino, b!.ino);
  assert.equal(a!.nlink, 2);
  assert.equal(a!.mtimeNs, AFTER_2100);
  assert.equal(sparse!.size, 3 * zeros.length + 4);
  assert.ok(sparse!.blocks * 512 < zeros.length, `a sparse file of ${sparse!.blocks} blocks`);
  assert.equal(sparse!.mtimeNs, BEFORE_1970);
});
