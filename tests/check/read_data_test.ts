// check reads packs through the repository's pack reader, so that --read-data works on any storage: packs
// in memory are read on the main thread and handed to the workers whole; a wrapper that alters reads is never
// gone around; --read-data-subset chooses with the random source it is given.

import assert from "node:assert/strict";
import {
  type Backend,
  BackendWrapper,
  type ByteRange,
  FaultyBackend,
  type Handle,
  LocalBackend,
  MemoryBackend,
} from "../../lib/backends/mod.ts";
import { check, type CheckProblem, type ReadProgress } from "../../lib/check/mod.ts";
import { Repository } from "../../lib/repo/mod.ts";
import { WorkerBugError } from "../../lib/workers/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { asPackId } from "../../lib/repo/mod.ts";

/** A snapshot of "/victim.txt" and "/sub/other.txt"; its data pack holds the victim's blob first. */
async function craftSnapshot(
  repository: Repository,
  tag: string,
): Promise<{ snapshot: string; victim: string }> {
  await repository.loadIndex();
  const craft = new SnapshotCrafter(repository);
  const victim = craft.file("victim.txt", `precious ${tag}`);
  const snapshot = await craft.snapshot([victim, craft.dir("sub", [craft.file("other.txt", `fine ${tag}`)])]);
  return { snapshot, victim: victim.content![0]! };
}

/** The packs holding data blobs, sorted, and those holding trees. */
function packsByType(repository: Repository): { data: string[]; tree: string[] } {
  const data: string[] = [];
  const tree: string[] = [];
  for (const pack of [...repository.index.packIds()].sort()) {
    (repository.index.packEntries(pack)![0]!.type === "data" ? data : tree).push(pack);
  }
  return { data, tree };
}

/** Flips the lowest bit of one stored byte of a pack: the damage a failing disk or a bad copy does. */
async function flipByte(backend: Backend, pack: string, offset: number): Promise<void> {
  const handle = { kind: "data", name: pack } as const;
  const bytes = await backend.get(handle);
  bytes[offset]! ^= 1;
  await backend.delete(handle);
  await backend.put(handle, bytes);
}

Deno.test("`check()` with readData on a repository in memory reads every pack and finds a flipped byte", async () => {
  const backend = new MemoryBackend();
  const repository = await testRepository(backend);
  const { snapshot, victim } = await craftSnapshot(repository, "a");
  const { data: [dataPack] } = packsByType(repository);
  assert.equal(repository.packs.localPath(asPackId(dataPack!)), undefined, "packs in memory have no path");
  const progress: ReadProgress[] = [];
  const clean = await check(repository, { readData: true, workers: 1, onProgress: (p) => progress.push(p) });
  assert.deepEqual(clean.problems, []);
  assert.equal(clean.ok, true);
  assert.deepEqual(clean.readPacks, [...repository.index.packIds()].sort());
  assert.equal(clean.packsRead, 2);
  assert.deepEqual(progress.map(({ packsRead, packsToRead }) => [packsRead, packsToRead]), [[1, 2], [2, 2]]);
  // Bytes as the index sizes the packs: they add up to what is stored.
  let stored = 0;
  for await (const entry of backend.list("data")) stored += entry.size;
  assert.equal(progress[1]!.bytesToRead, stored);
  assert.equal(progress[1]!.bytesRead, stored);
  assert.ok(progress[0]!.bytesRead > 0 && progress[0]!.bytesRead < stored);

  await flipByte(backend, dataPack!, 5);
  const reopened = await Repository.open(backend, "pw");
  assert.equal((await check(reopened, { workers: 1 })).ok, true, "without reading, the damage is unseen");
  const damaged = await check(reopened, { readData: true, workers: 1 });
  assert.equal(damaged.ok, false);
  assert.deepEqual(
    damaged.problems,
    [
      {
        kind: "pack-damaged",
        severity: "error",
        pack: dataPack!,
        damagedBlobs: [victim],
        hashMismatch: true,
        headerDamaged: false,
      },
      {
        kind: "snapshot-damaged",
        severity: "error",
        snapshot,
        paths: [{ path: "/victim.txt", what: "file" }],
      },
    ] satisfies CheckProblem[],
  );
});

Deno.test("`check()` names a pack missing from memory storage and every path it held, without reading data", async () => {
  const backend = new MemoryBackend();
  const repository = await testRepository(backend);
  const { snapshot } = await craftSnapshot(repository, "b");
  const { data: [dataPack] } = packsByType(repository);
  await backend.delete({ kind: "data", name: dataPack! });
  const result = await check(await Repository.open(backend, "pw"), { workers: 1 });
  assert.deepEqual(
    result.problems,
    [
      { kind: "pack-missing", severity: "error", pack: dataPack! },
      {
        kind: "snapshot-damaged",
        severity: "error",
        snapshot,
        paths: [{ path: "/victim.txt", what: "file" }, { path: "/sub/other.txt", what: "file" }],
      },
    ] satisfies CheckProblem[],
  );
  assert.equal(result.packs, 1);
  assert.equal(result.packsRead, 0);
});

Deno.test("`check()` with readDataSubset reads the packs its random source chooses, and only those", async () => {
  const backend = new MemoryBackend();
  const repository = await testRepository(backend);
  for (const tag of ["c", "d", "e"]) await craftSnapshot(repository, tag);
  const sorted = [...repository.index.packIds()].sort();
  assert.equal(sorted.length, 6);
  // Every data pack is damaged: only those read can be found so.
  const { data } = packsByType(repository);
  for (const pack of data) await flipByte(backend, pack, 5);
  // Pack ids change from run to run (nonces): draw so that one data pack and one tree pack are chosen.
  const wanted = new Set([data[0]!, sorted.find((pack) => !data.includes(pack))!]);
  const values = sorted.map((pack) => wanted.has(pack) ? 0.1 : 0.9);
  let drawn = 0;
  const random = () => values[drawn++]!;
  const result = await check(await Repository.open(backend, "pw"), {
    readDataSubset: 0.5,
    random,
    workers: 1,
  });
  assert.equal(drawn, 6, "one draw per pack");
  assert.deepEqual(result.readPacks, sorted.filter((pack) => wanted.has(pack)));
  assert.equal(result.packsRead, 2);
  const found = result.problems.flatMap((problem) => problem.kind === "pack-damaged" ? [problem.pack] : []);
  assert.deepEqual(found, result.readPacks.filter((pack) => data.includes(pack)));
  assert.ok(found.length > 0, "the choice holds a data pack");

  await assert.rejects(check(repository, { readDataSubset: 0.5 }), RangeError);
  await assert.rejects(check(repository, { readDataSubset: 1.5, random }), RangeError);
});

Deno.test("`check()` reads through a wrapper that alters reads instead of opening the local files around it", async () => {
  using temp = tempDir("kept-check-test-");
  const faulty = new FaultyBackend(await LocalBackend.create(temp.path));
  const repository = await testRepository(faulty);
  const { snapshot, victim } = await craftSnapshot(repository, "f");
  const { data: [dataPack] } = packsByType(repository);
  assert.ok(
    repository.packs.localPath(asPackId(dataPack!)),
    "a local folder: workers open the packs themselves",
  );
  assert.equal((await check(repository, { readData: true, workers: 1 })).ok, true);

  faulty.inject({
    operation: "get",
    fault: "corrupt",
    kind: "data",
    name: dataPack!,
    at: 5,
    times: Infinity,
  });
  assert.equal(
    repository.packs.localPath(asPackId(dataPack!)),
    undefined,
    "reads must go through the wrapper now",
  );
  const result = await check(repository, { readData: true, workers: 1 });
  assert.deepEqual(result.problems.map((problem) => problem.kind), ["pack-damaged", "snapshot-damaged"]);
  assert.deepEqual(result.problems[0], {
    kind: "pack-damaged",
    severity: "error",
    pack: dataPack,
    damagedBlobs: [victim],
    hashMismatch: true,
    headerDamaged: false,
  });
  assert.equal(result.problems[1]!.kind === "snapshot-damaged" && result.problems[1]!.snapshot, snapshot);

  faulty.clear();
  assert.equal(
    (await check(repository, { readData: true, workers: 1 })).ok,
    true,
    "the files were never changed",
  );
});

Deno.test("`check()` reports a pack that storage fails to read as unreadable, with every blob lost", async () => {
  const memory = new MemoryBackend();
  const faulty = new FaultyBackend(memory);
  const repository = await testRepository(faulty);
  const { snapshot } = await craftSnapshot(repository, "g");
  const { data: [dataPack] } = packsByType(repository);
  faulty.inject({ operation: "get", fault: "permanent", kind: "data", name: dataPack!, times: Infinity });
  const result = await check(await Repository.open(faulty, "pw"), { readData: true, workers: 1 });
  assert.deepEqual(
    result.problems,
    [
      {
        kind: "pack-unreadable",
        severity: "error",
        pack: dataPack!,
        cause: "io",
        reason: `Injected permanent fault: get of "data/${dataPack!.slice(0, 2)}/${dataPack}"`,
      },
      {
        kind: "snapshot-damaged",
        severity: "error",
        snapshot,
        paths: [{ path: "/victim.txt", what: "file" }, { path: "/sub/other.txt", what: "file" }],
      },
    ] satisfies CheckProblem[],
  );
});

/** Slows reads of whole packs down and notes how many are being read at once. */
class SlowPackReads extends BackendWrapper {
  reading = 0;
  mostAtOnce = 0;
  override async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (handle.kind !== "data" || range !== undefined) return await super.get(handle, range);
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.reading);
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return await super.get(handle);
    } finally {
      this.reading--;
    }
  }
}

Deno.test("`check()` holds at most two whole packs per worker while it reads storage that is no local folder", async () => {
  const slow = new SlowPackReads(new MemoryBackend());
  const repository = await testRepository(slow);
  for (const tag of ["h", "i", "j", "k"]) await craftSnapshot(repository, tag);
  const result = await check(repository, { readData: true, workers: 1 });
  assert.equal(result.ok, true);
  assert.equal(result.packsRead, 8);
  assert.equal(slow.mostAtOnce, 2);
});

/** Returns something that is not bytes for whole packs: a bug, as far as check can tell. */
class NotBytes extends BackendWrapper {
  override async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    const bytes = await super.get(handle, range);
    return handle.kind === "data" && range === undefined ? ("not bytes" as unknown as Uint8Array) : bytes;
  }
}

Deno.test("`check()` throws a bug in the verify worker as a bug, never as one more unreadable pack", async () => {
  const repository = await testRepository(new NotBytes(new MemoryBackend()));
  await craftSnapshot(repository, "l");
  await assert.rejects(check(repository, { readData: true, workers: 1 }), (error) => {
    assert.ok(error instanceof WorkerBugError, String(error));
    assert.match(error.message, /^verify worker: TypeError: /);
    return true;
  });
});

/** Counts the workers started while `run` runs. */
async function countWorkers<T>(run: () => Promise<T>): Promise<{ result: T; workers: number }> {
  const original = globalThis.Worker;
  let workers = 0;
  globalThis.Worker = class extends original {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      workers++;
    }
  };
  try {
    return { result: await run(), workers };
  } finally {
    globalThis.Worker = original;
  }
}

Deno.test("`check()` of a local repository checks packs on the main thread too, in place of one worker", async () => {
  using temp = tempDir("kept-check-here-");
  const backend = await LocalBackend.create(temp.path);
  const repository = await testRepository(backend);
  const victims: string[] = [];
  for (const tag of ["m", "n", "o", "p"]) victims.push((await craftSnapshot(repository, tag)).victim);
  const { data } = packsByType(repository);
  const damagedPacks = [data[1]!, data[2]!];
  for (const pack of damagedPacks) await flipByte(backend, pack, 5);
  const reopened = await Repository.open(backend, "pw");
  const checkWith = (workers: number) => countWorkers(() => check(reopened, { readData: true, workers }));

  const alone = await checkWith(1);
  assert.equal(alone.workers, 0, "one core: the main thread checks every pack");
  const shared = await checkWith(3);
  assert.equal(shared.workers, 2, "three cores: two workers and the main thread");
  assert.deepEqual(
    shared.result.problems,
    alone.result.problems,
    "wherever a pack is checked, the same verdicts",
  );
  const damaged = alone.result.problems.filter((problem) => problem.kind === "pack-damaged");
  assert.deepEqual(damaged.map((problem) => problem.pack), damagedPacks);
  for (const problem of damaged) {
    assert.equal(problem.damagedBlobs.length, 1);
    assert.ok(victims.includes(problem.damagedBlobs[0]!), "the blob at the flipped byte is named");
  }
});
