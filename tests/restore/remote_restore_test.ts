// Restoring from storage whose packs are not files on this machine: the main thread reads the sealed blobs
// and hands them to the workers, a large file in parts, with the bytes in flight bounded.

import assert from "node:assert/strict";
import {
  type Backend,
  BackendWrapper,
  type ByteRange,
  type Handle,
  MemoryBackend,
} from "../../lib/backends/mod.ts";
import { backup } from "../../lib/backup/backup.ts";
import { BackendError } from "../../lib/errors.ts";
import { restore } from "../../lib/restore/mod.ts";
import { WINDOW_BYTES } from "../../lib/restore/_pack_windows.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { RICH, writeRichTree } from "../_support/rich_tree.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { assertSameTree, scanTree } from "../_support/tree_differ.ts";
import type { BlobId } from "../../lib/repo/mod.ts";

async function backUp(repository: Repository, src: string): Promise<BlobId> {
  const done = await backup(repository, backupOptions([src]));
  const { snapshot } = await repository.findSnapshot(done.snapshotId!);
  return snapshot.tree;
}

Deno.test("a restore from a repository in memory reproduces a rich tree exactly, in parts or whole", async () => {
  using dir = tempDir("kept-remote-");
  const src = `${dir.path}/src`;
  Deno.mkdirSync(src);
  writeRichTree(src);
  const before = scanTree(src);
  const repository = await testRepository(new MemoryBackend());
  const tree = await backUp(repository, src);
  assert.equal(repository.packs.localPath(repository.index.lookup(tree)!.pack), undefined);

  // 1 MiB in flight: parts of 256 KiB, so every file above a chunk is written in several.
  for (const bytesInFlight of [1024 * 1024, undefined]) {
    const out = `${dir.path}/out-${bytesInFlight ?? "default"}`;
    const result = await restore(repository, {
      tree,
      target: out,
      asRoot: Deno.uid() === 0,
      ...(bytesInFlight ? { bytesInFlight } : {}),
    });
    assert.deepEqual(result.problems, []);
    assertSameTree(before, `${out}${src}`);
    const sparse = Deno.statSync(`${out}${src}/${RICH.sparse}`);
    assert.ok(
      sparse.blocks! * 512 <= 16 * 1024 * 1024,
      `the sparse file takes ${sparse.blocks! * 512} bytes`,
    );
  }
});

/** Storage whose reads of one range fail, as a network can. */
class FailingRange extends BackendWrapper {
  fail: { pack: string; offset: number } | undefined;

  constructor(inner: Backend) {
    super(inner);
  }

  override get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    const covers = range !== undefined && this.fail !== undefined && range.offset <= this.fail.offset &&
      this.fail.offset < range.offset + range.length;
    if (this.fail && handle.name === this.fail.pack && covers) {
      return Promise.reject(
        new BackendError(`Cannot read pack "${handle.name}": connection reset`, { permanent: false }),
      );
    }
    return super.get(handle, range);
  }
}

Deno.test("a read that fails in the middle of a file fails that file alone and leaves no partial copy", async () => {
  using dir = tempDir("kept-remote-");
  const src = `${dir.path}/src`;
  Deno.mkdirSync(src);
  // Larger than one read window, so that the failing read comes after the file was started.
  Deno.writeFileSync(`${src}/big`, randomBytes(12 * 1024 * 1024, 7));
  Deno.writeTextFileSync(`${src}/small`, "small\n");
  const backend = new FailingRange(new MemoryBackend());
  const repository = await testRepository(backend);
  const tree = await backUp(repository, src);
  // Follow the snapshot's folders down to src/big.
  let nodes = (await repository.loadTree(tree)).nodes;
  for (const part of src.split("/").slice(1)) {
    const node = nodes.find((n) => n.name === part)!;
    nodes = node.subtree ? (await repository.loadTree(node.subtree)).nodes : [];
  }
  const content = nodes.find((n) => n.name === "big")!.content!;
  const first = repository.index.lookup(content[0]!)!;
  const third = content.map((id) => repository.index.lookup(id)!)
    .find((location) => location.offset - first.offset > WINDOW_BYTES);
  assert.ok(third !== undefined && third.pack === first.pack, "a chunk beyond the first read window");
  backend.fail = { pack: third.pack, offset: third.offset };

  const out = `${dir.path}/out`;
  const result = await restore(repository, { tree, target: out, asRoot: false, bytesInFlight: 256 * 1024 });
  assert.deepEqual(
    result.problems.map((problem) => [problem.path, problem.error?.kind, problem.error?.message]),
    [[`${src}/big`, "io", `Cannot read pack "${third.pack}": connection reset`]],
  );
  assert.deepEqual([...Deno.readDirSync(`${out}${src}`)].map((entry) => entry.name), ["small"]);
  assert.equal(Deno.readTextFileSync(`${out}${src}/small`), "small\n");
});
