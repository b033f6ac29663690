// Files are restored under a temporary name and renamed into place. That name must never be another
// entry's: a folder holding both `a` and `a.kept-partial` had the second renamed over the first's
// temporary copy while `a` was still being written, and `a` restored with the small file's bytes.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/local.ts";
import { backup } from "../../lib/backup/backup.ts";
import { partialNames, restore } from "../../lib/restore/mod.ts";
import type { TreeNode } from "../../lib/repo/types.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";

const file = (name: string): TreeNode => ({ name, type: "file", mode: 0o644, mtime: 0, uid: 0, gid: 0 });

Deno.test("temporary names are never an entry's name, nor each other's, and the same every run", () => {
  const long = "x".repeat(250);
  const nodes = [
    file("a"),
    file("a.kept-partial"),
    file("a.kept-partial.kept-partial"),
    file(long),
    { ...file("d"), type: "dir" as const },
  ];
  const partials = partialNames(nodes);
  const names = new Set(nodes.map((node) => node.name));
  assert.deepEqual([...partials.keys()], ["a", "a.kept-partial", "a.kept-partial.kept-partial", long]);
  for (const partial of partials.values()) {
    assert.ok(!names.has(partial), `${partial} is an entry's name`);
    assert.ok(new TextEncoder().encode(partial).length <= 255);
  }
  assert.equal(new Set(partials.values()).size, partials.size);
  assert.deepEqual(partialNames(nodes), partials);
  assert.equal(partialNames([file("b")]).get("b"), "b.kept-partial");
});

async function backupAndRestore(files: Record<string, Uint8Array>) {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-partial-" }));
  const src = `${root}/src`;
  Deno.mkdirSync(src);
  for (const [name, bytes] of Object.entries(files)) Deno.writeFileSync(`${src}/${name}`, bytes);
  const repository = await testRepository(await LocalBackend.create(`${root}/repo`));
  const done = await backup(repository, backupOptions([src]));
  const snapshot = await repository.readMeta<{ tree: string }>("snapshots", done.snapshotId!);
  const result = await restore(repository, { tree: snapshot.tree, target: `${root}/out`, asRoot: false });
  return { root, restored: `${root}/out${src}`, result };
}

Deno.test("a file and one named like its temporary copy are both restored intact", async () => {
  const files = {
    "a": randomBytes(48 * 1024 * 1024, 3),
    "a.kept-partial": new TextEncoder().encode("small\n"),
    "a.kept-partial.kept-partial": new TextEncoder().encode("smaller\n"),
  };
  const { root, restored, result } = await backupAndRestore(files);
  try {
    assert.deepEqual(result.problems, []);
    assert.deepEqual(
      [...Deno.readDirSync(restored)].map((entry) => entry.name).sort(),
      Object.keys(files).sort(),
    );
    for (const [name, bytes] of Object.entries(files)) {
      assert.ok(Deno.readFileSync(`${restored}/${name}`).every((byte, i) => byte === bytes[i]), name);
      assert.equal(Deno.statSync(`${restored}/${name}`).size, bytes.length, name);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("restore counts the bytes of every file written at once", async () => {
  const files = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`f${i}`, randomBytes(1_000_000, 50 + i)]),
  );
  const { root, result } = await backupAndRestore(files);
  try {
    assert.equal(result.files, 10);
    assert.equal(result.bytes, 10_000_000);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
