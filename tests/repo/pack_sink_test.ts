// The pack sink closes a pack before a blob would take it past PACK_SIZE, while earlier packs are still
// being stored: blobs added meanwhile must all end up in exactly one stored pack, in order.

import assert from "node:assert/strict";
import type { Backend, Handle } from "../../lib/backends/backend.ts";
import { LocalBackend, MemoryBackend } from "../../lib/backends/mod.ts";
import { PACK_SIZE } from "../../lib/repo/pack_sink.ts";
import { blobIdBytes, toHex } from "../../lib/crypto/mod.ts";
import { encodeBlob } from "../../lib/repo/blob.ts";
import { Repository } from "../../lib/repo/repository.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { patchWriters, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { asBlobId } from "../../lib/repo/mod.ts";

/** Stores packs slowly, so that several adds wait behind one upload. */
class SlowBackend extends MemoryBackend {
  override async put(handle: Handle, data: Uint8Array): Promise<void> {
    if (handle.kind === "data") await new Promise((resolve) => setTimeout(resolve, 20));
    return await super.put(handle, data);
  }
}

async function repository(): Promise<{ repo: Repository; backend: Backend }> {
  const backend = new SlowBackend();
  return { repo: await testRepository(backend), backend };
}

/** A local folder whose packs are written through (Backend.openWriter) and committed slowly. */
async function slowLocalRepository(): Promise<
  { repo: Repository; backend: Backend; root: string; cleanup: () => void }
> {
  const root = Deno.makeTempDirSync({ prefix: "kept-sink-" });
  const backend = await LocalBackend.create(`${root}/repo`);
  patchWriters(backend, (writer) => ({
    commit: async (name) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await writer.commit(name);
    },
  }));
  return {
    repo: await testRepository(backend),
    backend,
    root,
    cleanup: () => Deno.removeSync(root, { recursive: true }),
  };
}

Deno.test("blobs added at once across several pack boundaries are all stored and readable", async () => {
  const local = await slowLocalRepository();
  const cases = [["tree", await repository()], ["data", await repository()], ["data", local]] as const;
  for (const [type, { repo, backend }] of cases) {
    const sink = repo.packSink();
    // Twelve blobs of just under a third of a pack each: four packs, each closed while the previous one
    // is still being stored.
    const blobs = Array.from({ length: 12 }, (_, i) => randomBytes(Math.floor(PACK_SIZE / 3) - 64, 100 + i));
    await Promise.all(
      blobs.map((plain) =>
        sink.add(
          type,
          blobIdBytes(repo.workerKeys().id, plain),
          encodeBlob(repo.workerKeys().encrypt, plain, 0),
          plain.length,
        )
      ),
    );
    assert.ok(sink.unindexedBlobs > 0);
    await sink.finish();
    assert.equal(sink.addedBlobs, 12);
    // Once their packs are indexed, the index answers for the blobs; the sink keeps no set of them.
    assert.equal(sink.unindexedBlobs, 0);
    assert.ok(sink.has(toHex(blobIdBytes(repo.workerKeys().id, blobs[0]!))));
    const reopened = await Repository.open(backend, "pw");
    await reopened.loadIndex();
    const packs = new Map<string, number>();
    for (const plain of blobs) {
      const id = toHex(blobIdBytes(repo.workerKeys().id, plain));
      const location = reopened.index.lookup(id);
      assert.ok(location, `${type} blob ${id.slice(0, 8)} is indexed`);
      packs.set(location.pack, (packs.get(location.pack) ?? 0) + 1);
      assert.deepEqual(await reopened.loadBlob(asBlobId(id)), plain);
    }
    assert.deepEqual([...packs.values()].sort(), [3, 3, 3, 3], `${type}: three blobs a pack`);
  }
  // Written through: four packs and nothing else (no temporary file) in the data folder.
  const files = [...Deno.readDirSync(`${local.root}/repo/data`)].flatMap((sub) =>
    sub.isDirectory
      ? [...Deno.readDirSync(`${local.root}/repo/data/${sub.name}`)].map((f) => f.name)
      : [sub.name]
  );
  assert.equal(files.length, 4, files.join(" "));
  local.cleanup();
});

Deno.test("on a local folder tree packs are written through as they fill, as data packs are", async () => {
  using dir = tempDir("kept-sink-trees-");
  const backend = await LocalBackend.create(`${dir.path}/repo`);
  let written = 0;
  patchWriters(backend, (writer) => ({
    write: (data) => {
      written += data.length;
      writer.write(data);
    },
  }));
  const repo = await testRepository(backend);
  const sink = repo.packSink();
  // 3 MiB of trees, raw: more than the 1 MiB gathered between writes, less than a pack.
  for (let i = 0; i < 3; i++) {
    const plain = randomBytes(1024 * 1024, 200 + i);
    await sink.add(
      "tree",
      blobIdBytes(repo.workerKeys().id, plain),
      encodeBlob(repo.workerKeys().encrypt, plain, 0),
      plain.length,
    );
  }
  assert.ok(written >= 2 * 1024 * 1024, `${written} bytes written before the pack is finished`);
  await sink.finish();
  const reopened = await Repository.open(backend, "pw");
  await reopened.loadIndex();
  assert.equal([...reopened.index.packIds()].length, 1, "one tree pack");
});

Deno.test("a blob that could not be added fails the sink: later adds and finish report it", async () => {
  const { repo } = await repository();
  const sink = repo.packSink();
  const blob = (seed: number) => {
    const plain = randomBytes(1000, seed);
    return [
      blobIdBytes(repo.workerKeys().id, plain),
      encodeBlob(repo.workerKeys().encrypt, plain, 0),
      plain.length,
    ] as const;
  };
  assert.throws(
    () =>
      sink.add("data", ...blob(1), () => {
        throw new Error("could not copy");
      }),
    /could not copy/,
  );
  assert.throws(() => sink.add("data", ...blob(2)), /could not copy/);
  await assert.rejects(sink.finish(), /could not copy/);
});

Deno.test("after discard() a late blob opens no new pack file", async () => {
  using dir = tempDir("kept-discard-");
  const root = dir.path;
  const repo = await testRepository(await LocalBackend.create(`${root}/repo`));
  const blob = (n: number) => {
    const plain = new TextEncoder().encode(`blob ${n}`);
    return [
      blobIdBytes(repo.workerKeys().id, plain),
      encodeBlob(repo.workerKeys().encrypt, plain),
      plain.length,
    ] as const;
  };
  const sink = repo.packSink();
  sink.add("data", ...blob(1));
  await sink.discard(); // the backup failed elsewhere (a worker died) ...
  assert.throws(() => sink.add("data", ...blob(2)), /abandoned/); // ... while another worker still sends blobs
  assert.deepEqual([...Deno.readDirSync(`${root}/repo/data`)], []);
});
