// Restoring from storage whose packs are not files on this machine: by default each pack is downloaded whole,
// once, into a spool folder in the target that the workers read; without a spool the main thread reads the
// sealed blobs and hands them to the workers, a large file in parts, with the bytes in flight bounded.

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
import { removeLeftSpools } from "../../lib/restore/_pack_spool.ts";
import { WINDOW_BYTES } from "../../lib/restore/_pack_windows.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { RICH, writeRichTree } from "../_support/rich_tree.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { assertSameTree, scanTree } from "../_support/tree_differ.ts";
import type { BlobId, PackId } from "../../lib/repo/mod.ts";

async function backUp(repository: Repository, src: string): Promise<BlobId> {
  const done = await backup(repository, backupOptions([src]));
  const { snapshot } = await repository.findSnapshot(done.snapshotId!);
  return snapshot.tree;
}

/** Counts the reads that reach storage, by pack, and whether each was whole. */
class CountingReads extends BackendWrapper {
  readonly reads: string[] = [];
  failWhole: string | undefined;

  override get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (handle.kind === "data") this.reads.push(`${handle.name}${range ? "@range" : ""}`);
    if (handle.name === this.failWhole && range === undefined) {
      return Promise.reject(
        new BackendError(`Cannot read pack "${handle.name}": connection reset`, { permanent: false }),
      );
    }
    return super.get(handle, range);
  }
}

/** The entries of `folder` whose names say they are a restore's spool. */
function spools(folder: string): string[] {
  return [...Deno.readDirSync(folder)].map((entry) => entry.name).filter((name) => name.includes("spool"));
}

Deno.test("a restore from a repository in memory reproduces a rich tree exactly, with or without a spool", async () => {
  using dir = tempDir("kept-remote-");
  const src = `${dir.path}/src`;
  Deno.mkdirSync(src);
  writeRichTree(src);
  const before = scanTree(src);
  const repository = await testRepository(new MemoryBackend());
  const tree = await backUp(repository, src);
  assert.equal(repository.packs.localPath(repository.index.lookup(tree)!.pack), undefined);

  // Without a spool and 1 MiB in flight: parts of 256 KiB, so every file above a chunk is written in
  // several. A spool of 1 byte keeps no pack it is not reading: it downloads packs again and again.
  const ways = [
    { name: "no-spool-parts", spoolBytes: 0, bytesInFlight: 1024 * 1024 },
    { name: "tiny-spool", spoolBytes: 1 },
    { name: "default" },
  ];
  for (const { name, ...options } of ways) {
    const out = `${dir.path}/out-${name}`;
    const result = await restore(repository, { tree, target: out, asRoot: Deno.uid() === 0, ...options });
    assert.deepEqual(result.problems, [], name);
    assert.deepEqual(spools(out), [], "the spool is removed");
    assertSameTree(before, `${out}${src}`);
    const sparse = Deno.statSync(`${out}${src}/${RICH.sparse}`);
    assert.ok(
      sparse.blocks! * 512 <= 16 * 1024 * 1024,
      `the sparse file takes ${sparse.blocks! * 512} bytes`,
    );
  }
});

Deno.test("the spool of a restore that was killed is removed by the next restore into the same target", async () => {
  using dir = tempDir("kept-left-spool-");
  const out = `${dir.path}/out`;
  Deno.mkdirSync(out);
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_spool_holder.ts", import.meta.url).pathname, out],
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  const line = new TextDecoder().decode((await reader.read()).value);
  const spool = line.trim().split("/").slice(0, -1).join("/");
  assert.deepEqual(spools(out), [spool.split("/").pop()], "the holder's spool is there");
  assert.deepEqual(await removeLeftSpools(out), [], "a running restore's spool stays");
  holder.kill("SIGKILL");
  await holder.status;
  reader.releaseLock();
  await holder.stdout.cancel();
  // Spools of other hosts, and entries that only look like one, stay.
  const others = [".kept-restore-spool-1@another-host.abc123", ".kept-restore-spool-x@host.abc123"];
  for (const name of others) Deno.mkdirSync(`${out}/${name}`);

  const src = `${dir.path}/src`;
  Deno.mkdirSync(src);
  Deno.writeTextFileSync(`${src}/a.txt`, "a");
  const repository = await testRepository(new MemoryBackend());
  const tree = await backUp(repository, src);
  const result = await restore(repository, { tree, target: out, asRoot: Deno.uid() === 0 });
  assert.deepEqual(result.problems, []);
  assert.deepEqual(spools(out).sort(), [...others].sort());
  assert.equal(Deno.readTextFileSync(`${out}${src}/a.txt`), "a");
});

Deno.test("leftover spools: a target that does not exist yet has none", async () => {
  using dir = tempDir("kept-left-spool-");
  assert.deepEqual(await removeLeftSpools(`${dir.path}/missing`), []);
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
  const result = await restore(repository, {
    tree,
    target: out,
    asRoot: false,
    bytesInFlight: 256 * 1024,
    spoolBytes: 0,
  });
  assert.deepEqual(
    result.problems.map((problem) => [problem.path, problem.error?.kind, problem.error?.message]),
    [[`${src}/big`, "io", `Cannot read pack "${third.pack}": connection reset`]],
  );
  assert.deepEqual([...Deno.readDirSync(`${out}${src}`)].map((entry) => entry.name), ["small"]);
  assert.equal(Deno.readTextFileSync(`${out}${src}/small`), "small\n");
});

Deno.test("with a spool, each pack is read from storage once, whole; a pack that cannot be read fails its files alone", async () => {
  using dir = tempDir("kept-remote-");
  const src = `${dir.path}/src`;
  Deno.mkdirSync(src);
  // Files of one pack each, many small files across packs, and files that share blobs.
  for (let i = 0; i < 3; i++) Deno.writeFileSync(`${src}/big${i}`, randomBytes(9 * 1024 * 1024, 10 + i));
  for (let i = 0; i < 200; i++) Deno.writeFileSync(`${src}/small${i}`, randomBytes(3000 + i, 100 + i));
  Deno.writeFileSync(`${src}/copy`, Deno.readFileSync(`${src}/big1`));
  const storage = new CountingReads(new MemoryBackend());
  const repository = await testRepository(storage);
  const tree = await backUp(repository, src);
  storage.reads.length = 0;
  const treePacks = new Set(
    [...repository.index.packIds()].filter((pack) =>
      repository.index.packEntries(pack)?.[0]?.type === "tree"
    ),
  );

  const out = `${dir.path}/out`;
  const result = await restore(repository, { tree, target: out, asRoot: false });
  assert.deepEqual(result.problems, []);
  assertSameTree(scanTree(src), `${out}${src}`);
  const dataReads = storage.reads.filter((read) => !treePacks.has(read.split("@")[0]! as PackId));
  assert.ok(dataReads.length > 1, "several data packs");
  assert.deepEqual(dataReads.filter((read) => read.includes("@")), [], "whole packs only");
  assert.equal(new Set(dataReads).size, dataReads.length, `each pack once: ${dataReads.join(" ")}`);
  assert.deepEqual(spools(out), []);

  // The pack of big2's first chunk cannot be read: big2 (and whatever else needs that pack) fails.
  let nodes = (await repository.loadTree(tree)).nodes;
  for (const part of src.split("/").slice(1)) {
    const node = nodes.find((n) => n.name === part)!;
    nodes = node.subtree ? (await repository.loadTree(node.subtree)).nodes : [];
  }
  const bad = repository.index.lookup(nodes.find((n) => n.name === "big2")!.content![0]!)!.pack;
  storage.failWhole = bad;
  const again = `${dir.path}/again`;
  const failed = await restore(repository, { tree, target: again, asRoot: false });
  const failedNames = failed.problems.map((problem) => problem.path.slice(src.length + 1));
  assert.ok(failedNames.includes("big2"), failedNames.join(" "));
  for (const problem of failed.problems) {
    assert.equal(problem.error?.message, `Cannot read pack "${bad}": connection reset`);
  }
  const restored = [...Deno.readDirSync(`${again}${src}`)].map((entry) => entry.name);
  assert.equal(restored.length + failed.problems.length, 204, "every other file is restored");
  assert.ok(restored.every((name) => !failedNames.includes(name)), "no partial copy of a failed file");
  assert.deepEqual(spools(again), []);
});
