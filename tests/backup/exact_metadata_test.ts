// With the C library (FFI) a backup records what Deno's file API cannot read: nanosecond times (before
// 1970 and after 2100 too), names and link targets that are not valid UTF-8, extended attributes and owner
// names (docs/format.md#trees). Without --allow-ffi it keeps milliseconds and skips such names, saying so.

import assert from "node:assert/strict";
import { runKeptWith } from "../_support/without_ffi.ts";
import { groupName, nameText, platform, userName } from "../../lib/platform/mod.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import type { TreeNode } from "../../lib/repo/types.ts";
import { camelKeys, type Fixture, makeFixture, nextSecond, nodeAt } from "../_support/fixture.ts";

const fs = platform();
const text = (value: string) => new TextEncoder().encode(value);
const bytes = (...parts: (string | number)[]) =>
  Uint8Array.from(parts.flatMap((part) => typeof part === "string" ? [...text(part)] : [part]));

/** A fixture backing up `root/src` as plan "p", with `src` made. */
async function sourceFixture(): Promise<Fixture & { src: string }> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  Deno.mkdirSync(`${fixture.root}/src`);
  return { ...fixture, src: `${fixture.root}/src` };
}

/** The node at `path` (a string that may carry escaped bytes) in snapshot `id`. */
async function nodeOf(fixture: Fixture, id: string, path: string): Promise<TreeNode> {
  return await nodeAt(await fixture.open(), id, path);
}

/** The content of a file node, joined from its blobs. */
async function contentOf(repository: Repository, node: TreeNode): Promise<Uint8Array> {
  const parts = await Promise.all((node.content ?? []).map((id) => repository.loadBlob(id)));
  return new Uint8Array(parts.flatMap((part) => [...part]));
}

/** A time in ns as a node records it: whole milliseconds, floored, and the nanoseconds past them. */
function split(ns: bigint): { mtime: number; mtimeNs?: number } {
  let ms = ns / 1_000_000n;
  if (ns < 0n && ms * 1_000_000n !== ns) ms -= 1n;
  const rest = Number(ns - ms * 1_000_000n);
  return rest === 0 ? { mtime: Number(ms) } : { mtime: Number(ms), mtimeNs: rest };
}

const pick = (node: TreeNode) => ({
  mtime: node.mtime,
  ...(node.mtimeNs === undefined ? {} : { mtimeNs: node.mtimeNs }),
});

Deno.test("a backup records nanosecond mtimes of files, folders and symlinks, before 1970 and after 2100", async () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  const fixture = await sourceFixture();
  try {
    const { src } = fixture;
    Deno.writeTextFileSync(`${src}/recent.txt`, "recent");
    Deno.writeTextFileSync(`${src}/old.txt`, "old");
    Deno.mkdirSync(`${src}/future`);
    Deno.symlinkSync("recent.txt", `${src}/link`);
    const times = {
      "recent.txt": 1_700_000_000_123_456_789n,
      "old.txt": -1_000_000_001n, // 1969-12-31T23:59:58.998999999: the ms floor, 999,999 ns past it
      "future": 4_200_000_000_987_654_321n, // 2103
      "link": -86_400_000_000_000_007n, // 1967
    };
    for (const [name, ns] of Object.entries(times)) fs.setTimes(`${src}/${name}`, { mtimeNs: ns });

    const { snapshotId } = await fixture.backup("p");
    for (const [name, ns] of Object.entries(times)) {
      assert.deepEqual(pick(await nodeOf(fixture, snapshotId!, `${src}/${name}`)), split(ns), name);
    }
    assert.deepEqual(split(-1_000_000_001n), { mtime: -1001, mtimeNs: 999_999 });
    // ctime as the file system has it, to the nanosecond.
    const file = await nodeOf(fixture, snapshotId!, `${src}/recent.txt`);
    const ctimeNs = fs.lstat(`${src}/recent.txt`).ctimeNs;
    assert.equal(BigInt(file.ctime!) * 1_000_000n + BigInt(file.ctimeNs ?? 0), ctimeNs);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("names and a symlink target that are not valid UTF-8 are backed up byte for byte", async () => {
  assert.equal(fs.kind, "ffi", fs.warning);
  const fixture = await sourceFixture();
  try {
    const { src } = fixture;
    const fileName = bytes("caf", 0xe9, ".txt");
    const folderName = bytes(0xff, 0xfe, "-folder");
    const innerName = bytes("inner", 0x80);
    const target = bytes(0xe9, "t", 0xe9);
    {
      using dir = fs.openDir(src);
      using file = dir.createFile(fileName, 0o644);
      file.write(text("latin-1 content"), 0);
      dir.mkdir(folderName, 0o755);
      using folder = dir.openDir(folderName);
      using inner = folder.createFile(innerName, 0o600);
      inner.write(text("inner content"), 0);
      dir.symlink(target, bytes("link-", 0x80));
    }

    const result = await fixture.backup("p");
    assert.deepEqual(result.warnings, []);
    assert.equal(result.stats.files, 2);
    const repository = await fixture.open();
    const file = await nodeAt(repository, result.snapshotId!, `${src}/${nameText(fileName)}`);
    assert.equal(file.name, "caf\udce9.txt");
    assert.equal(new TextDecoder().decode(await contentOf(repository, file)), "latin-1 content");
    const inner = await nodeAt(
      repository,
      result.snapshotId!,
      `${src}/${nameText(folderName)}/${nameText(innerName)}`,
    );
    assert.equal(new TextDecoder().decode(await contentOf(repository, inner)), "inner content");
    assert.equal(inner.mode, 0o600);
    const link = await nodeAt(repository, result.snapshotId!, `${src}/link-\udc80`);
    assert.equal(link.type, "symlink");
    assert.equal(link.target, "\udce9t\udce9");
    assert.deepEqual(platformBytes(link.target!), target);
  } finally {
    await fixture.cleanup();
  }
});

/** What the platform layer makes of a stored name: the bytes it stands for. */
function platformBytes(name: string): Uint8Array {
  return Uint8Array.from(
    [...name].flatMap((char) => {
      const code = char.charCodeAt(0);
      return code >= 0xdc80 && code <= 0xdcff ? [code - 0xdc00] : [...text(char)];
    }),
  );
}

Deno.test({
  name: "user.* xattrs of files and folders and a trusted.* one of a symlink are backed up, sorted by name",
  ignore: Deno.uid() !== 0, // trusted.* needs CAP_SYS_ADMIN
  fn: async () => {
    const fixture = await sourceFixture();
    try {
      const { src } = fixture;
      Deno.writeTextFileSync(`${src}/file`, "x");
      Deno.mkdirSync(`${src}/folder`);
      Deno.symlinkSync("file", `${src}/link`);
      Deno.writeTextFileSync(`${src}/plain`, "no attributes");
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      fs.setXattr(`${src}/file`, { name: "user.z", value: text("last") });
      fs.setXattr(`${src}/file`, { name: "user.a", value: binary });
      fs.setXattr(`${src}/file`, { name: "user.empty", value: new Uint8Array(0) });
      fs.setXattr(`${src}/folder`, { name: "user.comment", value: text("a folder") });
      fs.setXattr(`${src}/link`, { name: "trusted.kept", value: text("on the link") });
      await new Promise((resolve) => setTimeout(resolve, 50)); // out of the racy window

      const { snapshotId } = await fixture.backup("p");
      const xattrsOf = async (name: string) => (await nodeOf(fixture, snapshotId!, `${src}/${name}`)).xattrs;
      assert.deepEqual(await xattrsOf("file"), [
        { name: "user.a", value: binary.toBase64() },
        { name: "user.empty", value: "" },
        { name: "user.z", value: text("last").toBase64() },
      ]);
      assert.deepEqual(await xattrsOf("folder"), [{
        name: "user.comment",
        value: text("a folder").toBase64(),
      }]);
      assert.deepEqual(await xattrsOf("link"), [{
        name: "trusted.kept",
        value: text("on the link").toBase64(),
      }]);
      assert.equal(await xattrsOf("plain"), undefined);

      // Unchanged since: the next snapshot keeps them (taken from the parent, the ctime says they are the same).
      const second = await fixture.backup("p");
      assert.equal(second.stats.unchangedFiles, 2);
      const again = await nodeOf(fixture, second.snapshotId!, `${src}/file`);
      assert.equal(again.xattrs?.length, 3);
      // One removed: the ctime changes, so the next backup reads the list again.
      fs.removeXattr(`${src}/file`, "user.z");
      const third = await fixture.backup("p");
      assert.deepEqual((await nodeOf(fixture, third.snapshotId!, `${src}/file`)).xattrs?.map((x) => x.name), [
        "user.a",
        "user.empty",
      ]);
    } finally {
      await fixture.cleanup();
    }
  },
});

Deno.test("nodes carry the owner's user and group names; an id with no name gets none", async () => {
  const fixture = await sourceFixture();
  try {
    const { src } = fixture;
    Deno.writeTextFileSync(`${src}/mine`, "x");
    Deno.writeTextFileSync(`${src}/nobody-knows`, "y");
    const unknown = 3_999_999_999;
    const canChown = Deno.uid() === 0;
    if (canChown) fs.lchown(`${src}/nobody-knows`, { uid: unknown, gid: unknown });
    const { snapshotId } = await fixture.backup("p");
    const mine = await nodeOf(fixture, snapshotId!, `${src}/mine`);
    assert.equal(mine.user, userName(Deno.uid()!));
    assert.equal(mine.group, groupName(Deno.gid()!));
    if (Deno.uid() === 0) assert.equal(mine.user, "root");
    if (canChown) {
      const other = await nodeOf(fixture, snapshotId!, `${src}/nobody-knows`);
      assert.equal(other.uid, unknown);
      assert.equal("user" in other, false);
      assert.equal("group" in other, false);
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("an unchanged file is not read again, even seconds-close to the backup (its times are exact)", async () => {
  const fixture = await sourceFixture();
  try {
    const { src } = fixture;
    Deno.writeTextFileSync(`${src}/a.txt`, "a");
    await new Promise((resolve) => setTimeout(resolve, 50)); // out of the racy window, not the second
    const first = await fixture.backup("p");
    assert.equal(first.stats.newFiles, 1);
    const second = await fixture.backup("p");
    assert.deepEqual([second.stats.unchangedFiles, second.stats.changedFiles], [1, 0]);
    // The snapshot says so, for a next backup that meets a time on a whole second (file_changed.ts).
    const found = await (await fixture.open()).findSnapshot(second.snapshotId!);
    assert.equal(found.snapshot.exactTimes, true);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a file rewritten with the same size and the same millisecond, nanoseconds apart, is read again", async () => {
  const fixture = await sourceFixture();
  try {
    const { src } = fixture;
    const path = `${src}/a.txt`;
    const mtimeNs = 1_700_000_000_123_456_000n;
    Deno.writeTextFileSync(path, "first");
    fs.setTimes(path, { mtimeNs });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = await fixture.backup("p");
    Deno.writeTextFileSync(path, "other");
    fs.setTimes(path, { mtimeNs: mtimeNs + 1n });
    const second = await fixture.backup("p");
    assert.equal(second.stats.changedFiles, 1);
    const repository = await fixture.open();
    const before = await nodeAt(repository, first.snapshotId!, path);
    const after = await nodeAt(repository, second.snapshotId!, path);
    assert.deepEqual([before.mtime, before.mtimeNs, after.mtime, after.mtimeNs], [
      1_700_000_000_123,
      456_000,
      1_700_000_000_123,
      456_001,
    ]);
    assert.equal(new TextDecoder().decode(await contentOf(repository, after)), "other");
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("without --allow-ffi a backup keeps millisecond times and skips names that are not UTF-8, saying so", async () => {
  const fixture = await sourceFixture();
  try {
    const { src } = fixture;
    Deno.writeTextFileSync(`${src}/plain.txt`, "plain");
    fs.setTimes(`${src}/plain.txt`, { mtimeNs: 1_700_000_000_123_456_789n });
    {
      using dir = fs.openDir(src);
      dir.createFile(bytes("caf", 0xe9, ".txt"), 0o644).close();
    }
    await nextSecond(); // the fallback's ctime is whole seconds: a file of the backup's second is racy
    const output = await runKeptWith(fixture.config, ["backup", "p", "--json"]);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 3, stderr); // saved, with a file left out
    assert.match(
      stderr,
      new RegExp(
        `warning: ${src}/caf\uFFFD\\.txt: skipped: the name is not valid UTF-8, which Deno's file API`,
      ),
    );
    const [result] = camelKeys(JSON.parse(new TextDecoder().decode(output.stdout))) as {
      snapshotId: string;
      stats: { files: number; skipped: number };
    }[];
    assert.deepEqual([result!.stats.files, result!.stats.skipped], [1, 1]);
    const plain = await nodeOf(fixture, result!.snapshotId, `${src}/plain.txt`);
    assert.deepEqual(pick(plain), { mtime: 1_700_000_000_123 });
    assert.equal(plain.ctime! % 1000, 0, "the fallback reads ctime in whole seconds");
    assert.equal("xattrs" in plain, false);
    const found = await (await fixture.open()).findSnapshot(result!.snapshotId);
    assert.equal("exactTimes" in found.snapshot, false, "whole seconds here may be times cut to the second");

    // The same tree with FFI next: the file is not read again (times compared at the fallback's precision).
    const next = await fixture.backup("p");
    assert.equal(next.stats.unchangedFiles, 1);
    assert.equal(next.stats.newFiles, 1); // the name the fallback could not read
  } finally {
    await fixture.cleanup();
  }
});
