// A changed file is cut exactly as if it were read for the first time, although the workers take the
// parent snapshot's cuts where the bytes before them are unchanged (see ChunkHints): so dedup never
// depends on the history of a file.

import assert from "node:assert/strict";
import { Chunker, chunkLengths, gearTable } from "../../lib/chunker/mod.ts";
import { backup } from "../../lib/backup/backup.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import type { TreeNode } from "../../lib/repo/types.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { nextSecond } from "../_support/fixture.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { asBlobId } from "../../lib/repo/mod.ts";

const MiB = 1024 * 1024;

/** The file's content ids as a first backup of these bytes would record them. */
function freshIds(repository: Repository, bytes: Uint8Array): string[] {
  const chunker = new Chunker(gearTable(repository.workerKeys().chunker), repository.config.chunker);
  const ids: string[] = [];
  let start = 0;
  for (const length of chunkLengths(chunker, bytes)) {
    ids.push(repository.blobId(bytes.subarray(start, start + length)));
    start += length;
  }
  return ids;
}

async function fileNode(repository: Repository, root: string, tree: string): Promise<TreeNode> {
  let node: TreeNode | undefined;
  let id = tree;
  for (const name of [...root.split("/").filter((part) => part !== ""), "f.bin"]) {
    node = (await repository.loadTree(asBlobId(id))).nodes.find((n) => n.name === name);
    assert.ok(node, `${name} is in the snapshot`);
    id = node.subtree ?? "";
  }
  return node!;
}

const edits: [string, (bytes: Uint8Array) => Uint8Array][] = [
  ["appended to", (b) => concat(b, randomBytes(300_000, 2))],
  ["changed in the middle", (b) => b.map((v, i) => i >= 3 * MiB && i < 3 * MiB + 10 ? v ^ 0xff : v)],
  ["given one byte more at the start", (b) => concat(Uint8Array.of(42), b)],
  ["cut to a little over half", (b) => b.slice(0, Math.floor(b.length * 0.55))],
  ["cut inside its first chunk", (b) => b.slice(0, 100_000)],
  ["replaced by other bytes of the same size", (b) => randomBytes(b.length, 3)],
  ["appended to by three bytes", (b) => concat(b, Uint8Array.of(1, 2, 3))],
];

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

Deno.test("a changed file is cut as if read for the first time, whatever the edit", async (t) => {
  for (const [edit, change] of edits) {
    await t.step(edit, async () => {
      using dir = tempDir("kept-hints-");
      const root = dir.path;
      const repository = await testRepository();
      const options = () => (backupOptions([root]));
      const before = randomBytes(7 * MiB, 1);
      Deno.writeFileSync(`${root}/f.bin`, before);
      const first = await backup(repository, options());
      const parentIds = (await fileNode(repository, root, await snapshotTree(repository, first.snapshotId!)))
        .content!;
      assert.deepEqual(parentIds, freshIds(repository, before));
      assert.ok(parentIds.length >= 3, `${parentIds.length} chunks before the edit`);

      await nextSecond();
      const after = change(before);
      Deno.writeFileSync(`${root}/f.bin`, after);
      const second = await backup(repository, options());
      assert.deepEqual(second.warnings, []);
      const node = await fileNode(repository, root, await snapshotTree(repository, second.snapshotId!));
      assert.equal(node.size, after.length);
      assert.deepEqual(node.content, freshIds(repository, after));
      for (const id of node.content!) {
        assert.ok(repository.index.has(id) || (await repository.loadBlob(id)));
      }
    });
  }
});

async function snapshotTree(repository: Repository, id: string): Promise<string> {
  const snapshots = await repository.listSnapshots();
  return snapshots.find((entry) => entry.id === id)!.snapshot.tree;
}

Deno.test("a file many times the workers' read buffer is cut as if read in one piece, new and after an edit", async () => {
  // Zeros make largest (8 MiB) chunks, so cuts fall at every offset of the 9 MiB buffer; random bytes
  // between them make ~1 MiB chunks that end where the buffer has to be refilled.
  const parts = [
    randomBytes(5 * MiB, 4),
    new Uint8Array(17 * MiB),
    randomBytes(10 * MiB, 5),
    new Uint8Array(3 * MiB),
  ];
  const before = parts.reduce(concat);
  using dir = tempDir("kept-big-");
  const root = dir.path;
  const repository = await testRepository();
  Deno.writeFileSync(`${root}/f.bin`, before);
  const first = await backup(repository, backupOptions([root]));
  const firstNode = await fileNode(repository, root, await snapshotTree(repository, first.snapshotId!));
  const expected = freshIds(repository, before);
  assert.ok(expected.length >= 15, `${expected.length} chunks`);
  assert.deepEqual(firstNode.content, expected);

  await nextSecond();
  const after = before.slice();
  after.fill(1, 20 * MiB, 20 * MiB + 100); // inside the first run of zeros: hints hold up to there
  Deno.writeFileSync(`${root}/f.bin`, after);
  const second = await backup(repository, backupOptions([root]));
  const node = await fileNode(repository, root, await snapshotTree(repository, second.snapshotId!));
  assert.deepEqual(node.content, freshIds(repository, after));
});
