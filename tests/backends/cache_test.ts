// The metadata cache: what it keeps, that a copy is used only when it matches its name, that a listing
// drops copies of files that are gone, and that it never serves one repository's files to another.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  type Backend,
  type ByteRange,
  CachingBackend,
  defaultCacheRoot,
  type Handle,
  MemoryBackend,
} from "../../lib/backends/mod.ts";
import { BackendWrapper } from "../../lib/backends/mod.ts";
import { seededBytes } from "./_content.ts";
import { collect } from "./conformance.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Records every `get` that reaches the storage. */
class CountingBackend extends BackendWrapper {
  readonly gets: string[] = [];
  override get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    this.gets.push(`${handle.kind}/${handle.name}${range ? `@${range.offset}+${range.length}` : ""}`);
    return super.get(handle, range);
  }
}

const ID_A = "a".repeat(32);
const ID_B = "b".repeat(32);

function config(id: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: "kept", version: 1, id }));
}

/** Stores `bytes` under the name the format gives it (its SHA-256) and returns the handle. */
async function putNamed(backend: Backend, kind: Handle["kind"], bytes: Uint8Array): Promise<Handle> {
  const handle = { kind, name: createHash("sha256").update(bytes).digest("hex") };
  await backend.put(handle, bytes);
  return handle;
}

/** A storage with a config of `id`, seen through a counting layer and a cache in `root`. */
async function cachedRepository(root: string, id = ID_A, storage = new MemoryBackend()) {
  if (!await storage.stat({ kind: "config", name: "config" })) {
    await storage.put({ kind: "config", name: "config" }, config(id));
  }
  const counting = new CountingBackend(storage);
  const cache = new CachingBackend(counting, root);
  return { storage, counting, cache };
}

Deno.test("an index file is downloaded once, then read from the cache, also by the next process", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, counting, cache } = await cachedRepository(dir.path);
  const index = await putNamed(storage, "index", seededBytes("index", 5000));
  await cache.get({ kind: "config", name: "config" });
  assert.deepEqual(await cache.get(index), seededBytes("index", 5000));
  assert.deepEqual(await cache.get(index), seededBytes("index", 5000));
  assert.deepEqual(counting.gets, ["config/config", `index/${index.name}`]);

  const next = await cachedRepository(dir.path, ID_A, storage);
  await next.cache.get({ kind: "config", name: "config" });
  assert.deepEqual(await next.cache.get(index), seededBytes("index", 5000));
  assert.deepEqual(next.counting.gets, ["config/config"]);
  assert.deepEqual(next.cache.stats, { hits: 1, misses: 0, rejected: 0 });
  assert.equal(next.cache.folder, join(dir.path, ID_A));
});

Deno.test("what a backup writes (index, snapshot) is cached as it is stored", async () => {
  using dir = tempDir("kept-cache-");
  const { counting, cache } = await cachedRepository(dir.path);
  await cache.get({ kind: "config", name: "config" });
  const snapshot = await putNamed(cache, "snapshots", seededBytes("snapshot", 700));
  const lock = await putNamed(cache, "locks", seededBytes("lock", 100));
  assert.deepEqual(await cache.get(snapshot), seededBytes("snapshot", 700));
  await cache.get(lock);
  assert.deepEqual(counting.gets, ["config/config", `locks/${lock.name}`], "locks are never cached");
});

Deno.test("a damaged cached copy is dropped and downloaded again, never used", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, counting, cache } = await cachedRepository(dir.path);
  const snapshot = await putNamed(storage, "snapshots", seededBytes("snapshot", 900));
  await cache.get({ kind: "config", name: "config" });
  await cache.get(snapshot);
  const copy = join(dir.path, ID_A, "snapshots", snapshot.name);
  const damaged = Deno.readFileSync(copy);
  damaged[10]! ^= 1;
  Deno.writeFileSync(copy, damaged);

  assert.deepEqual(await cache.get(snapshot), seededBytes("snapshot", 900));
  assert.equal(counting.gets.filter((get) => get.startsWith("snapshots/")).length, 2);
  assert.equal(cache.stats.rejected, 1);
  assert.deepEqual(Deno.readFileSync(copy), seededBytes("snapshot", 900), "the copy is replaced");
});

Deno.test("a complete listing drops the copies of files that are no longer stored", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, cache } = await cachedRepository(dir.path);
  const kept = await putNamed(storage, "index", seededBytes("kept", 300));
  const gone = await putNamed(storage, "index", seededBytes("gone", 300));
  await cache.get({ kind: "config", name: "config" });
  await cache.get(kept);
  await cache.get(gone);
  await storage.delete(gone); // another machine's prune

  assert.deepEqual((await collect(cache.list("index"))).map((entry) => entry.name), [kept.name]);
  const cached = [...Deno.readDirSync(join(dir.path, ID_A, "index"))].map((entry) => entry.name);
  assert.deepEqual(cached, [kept.name]);
});

Deno.test("a listing stopped early drops nothing", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, cache } = await cachedRepository(dir.path);
  const first = await putNamed(storage, "snapshots", seededBytes("one", 50));
  await putNamed(storage, "snapshots", seededBytes("two", 50));
  await cache.get({ kind: "config", name: "config" });
  await cache.get(first);
  for await (const _ of cache.list("snapshots")) break;
  assert.equal([...Deno.readDirSync(join(dir.path, ID_A, "snapshots"))].length, 1);
});

Deno.test("deleting through the cache removes the cached copy too", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, cache } = await cachedRepository(dir.path);
  const snapshot = await putNamed(storage, "snapshots", seededBytes("snap", 80));
  await cache.get({ kind: "config", name: "config" });
  await cache.get(snapshot);
  await cache.delete(snapshot);
  assert.deepEqual([...Deno.readDirSync(join(dir.path, ID_A, "snapshots"))], []);
});

Deno.test("marked tree packs are downloaded whole once and their ranges served from the copy", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, counting, cache } = await cachedRepository(dir.path);
  const treePack = await putNamed(storage, "data", seededBytes("trees", 4096));
  const dataPack = await putNamed(storage, "data", seededBytes("data", 4096));
  await cache.get({ kind: "config", name: "config" });
  cache.cacheTreePacks([treePack.name]);

  assert.deepEqual(
    await cache.get(treePack, { offset: 100, length: 50 }),
    seededBytes("trees", 4096).slice(100, 150),
  );
  assert.deepEqual(
    await cache.get(treePack, { offset: 0, length: 10 }),
    seededBytes("trees", 4096).slice(0, 10),
  );
  await cache.get(dataPack, { offset: 0, length: 10 });
  await cache.get(dataPack, { offset: 0, length: 10 });
  assert.deepEqual(counting.gets, [
    "config/config",
    `data/${treePack.name}`,
    `data/${dataPack.name}@0+10`,
    `data/${dataPack.name}@0+10`,
  ]);
  assert.ok(Deno.statSync(join(dir.path, ID_A, "data", treePack.name.slice(0, 2), treePack.name)).isFile);
});

Deno.test("a tree pack marked before it is stored is cached as it goes up; other packs are not", async () => {
  using dir = tempDir("kept-cache-");
  const { counting, cache } = await cachedRepository(dir.path);
  await cache.get({ kind: "config", name: "config" });
  const trees = seededBytes("new trees", 3000);
  const treeName = createHash("sha256").update(trees).digest("hex");
  cache.addTreePack(treeName);
  await cache.put({ kind: "data", name: treeName }, trees);
  const dataPack = await putNamed(cache, "data", seededBytes("new data", 3000));
  assert.deepEqual(
    await cache.get({ kind: "data", name: treeName }, { offset: 10, length: 5 }),
    trees.slice(10, 15),
  );
  await cache.get(dataPack, { offset: 0, length: 10 });
  assert.deepEqual(counting.gets, ["config/config", `data/${dataPack.name}@0+10`]);
});

Deno.test("a damaged copy of a tree pack is downloaded again; a copy removed during a run is still read", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, counting, cache } = await cachedRepository(dir.path);
  const treePack = await putNamed(storage, "data", seededBytes("trees", 4096));
  await cache.get({ kind: "config", name: "config" });
  cache.cacheTreePacks([treePack.name]);
  await cache.get(treePack, { offset: 0, length: 1 });
  const copy = join(dir.path, ID_A, "data", treePack.name.slice(0, 2), treePack.name);
  Deno.writeFileSync(copy, new Uint8Array(4096)); // zeros: no longer the pack

  const next = new CachingBackend(counting, dir.path);
  await next.get({ kind: "config", name: "config" });
  next.cacheTreePacks([treePack.name]);
  assert.deepEqual(
    await next.get(treePack, { offset: 8, length: 8 }),
    seededBytes("trees", 4096).slice(8, 16),
  );
  assert.equal(next.stats.rejected, 1);
  assert.deepEqual(Deno.readFileSync(copy), seededBytes("trees", 4096));

  // The copy stays open for the run: removed meanwhile (kept cache clean elsewhere), it is still what was
  // checked, and reading it needs no request.
  const requests = counting.gets.length;
  Deno.removeSync(copy);
  assert.deepEqual(
    await next.get(treePack, { offset: 9, length: 3 }),
    seededBytes("trees", 4096).slice(9, 12),
  );
  assert.equal(counting.gets.length, requests);
  await next.close();
});

Deno.test("each repository has its own folder, and nothing is cached before the config names the repository", async () => {
  using dir = tempDir("kept-cache-");
  const a = await cachedRepository(dir.path, ID_A);
  const b = await cachedRepository(dir.path, ID_B);
  const shared = seededBytes("same bytes", 100);
  const inA = await putNamed(a.storage, "index", shared);
  await putNamed(b.storage, "index", shared);

  await a.cache.get(inA);
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "no id yet: nothing cached");
  await a.cache.get({ kind: "config", name: "config" });
  await b.cache.get({ kind: "config", name: "config" });
  await a.cache.get(inA);
  await b.cache.get(inA);
  assert.equal(b.counting.gets.length, 2, "b downloads its own copy");
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((entry) => entry.name).sort(), [ID_A, ID_B]);
});

Deno.test("a config kept cannot parse, or a cache folder that cannot be written, turns the cache off quietly", async () => {
  using dir = tempDir("kept-cache-");
  const storage = new MemoryBackend();
  await storage.put({ kind: "config", name: "config" }, new TextEncoder().encode("{not json"));
  const broken = await cachedRepository(dir.path, ID_A, storage);
  await broken.cache.get({ kind: "config", name: "config" });
  assert.equal(broken.cache.folder, undefined);

  const blocker = join(dir.path, "a-file");
  Deno.writeTextFileSync(blocker, "not a folder");
  const { storage: other, counting, cache } = await cachedRepository(blocker);
  const index = await putNamed(other, "index", seededBytes("x", 64));
  await cache.get({ kind: "config", name: "config" });
  assert.deepEqual(await cache.get(index), seededBytes("x", 64));
  assert.deepEqual(await cache.get(index), seededBytes("x", 64));
  assert.equal(counting.gets.length, 3);
});

Deno.test("the cache lives in $KEPT_CACHE_DIR, else $XDG_CACHE_HOME/kept, else ~/.cache/kept", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  assert.equal(defaultCacheRoot(env({ KEPT_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })), "/c");
  assert.equal(defaultCacheRoot(env({ XDG_CACHE_HOME: "/x", HOME: "/h" })), "/x/kept");
  assert.equal(defaultCacheRoot(env({ HOME: "/h" })), "/h/.cache/kept");
  assert.equal(defaultCacheRoot(env({})), undefined);
});

Deno.test("something else than a copy in its place (a FIFO) is not waited on: the file is downloaded over it", async () => {
  using dir = tempDir("kept-cache-");
  const { storage, counting, cache } = await cachedRepository(dir.path);
  const index = await putNamed(storage, "index", seededBytes("index", 3000));
  await cache.get({ kind: "config", name: "config" });
  const copy = join(dir.path, ID_A, "index", index.name);
  Deno.mkdirSync(join(dir.path, ID_A, "index"), { recursive: true });
  const made = new Deno.Command("mkfifo", { args: [copy] }).outputSync();
  assert.ok(made.success, new TextDecoder().decode(made.stderr));

  assert.deepEqual(await cache.get(index), seededBytes("index", 3000));
  assert.deepEqual(counting.gets, ["config/config", `index/${index.name}`]);
  assert.ok(Deno.lstatSync(copy).isFile, "the copy took the FIFO's place");
});
