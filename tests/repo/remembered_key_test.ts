// On remote storage the password's key is derived from the key file that opened the repository last time
// while the config is fetched (Repository.open, CachingBackend.rememberedKey). The remembered key may be
// used only when storage still has that repository and that key file; otherwise the key files are read and
// tried as always. The repository's `keyId` tells which way it was opened: `unlock` tries the cheapest key
// first, so remembering the other one of two that the password opens shows whether it was used.

import assert from "node:assert/strict";
import { join } from "node:path";
import { CachingBackend, MemoryBackend, rememberedKeyAt } from "../../lib/backends/mod.ts";
import { Repository, unlockEarly, WrongPasswordError } from "../../lib/repo/mod.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

const META = { host: "h", username: "u", now: new Date(), kdf: { N: 2048, r: 8, p: 1 } };

/**
 * A repository in memory with two keys for "pw" (the second costlier, so `unlock` picks the first), opened
 * once through a cache in `root` (which remembers the first), then told to remember the second.
 */
async function twoKeys(root: string) {
  const storage = new MemoryBackend();
  const created = await testRepository(storage);
  const first = created.keyId;
  const second = await created.addKey("pw", META);
  const open = () => Repository.open(new CachingBackend(storage, root), "pw");
  assert.equal((await open()).keyId, first, "unlock takes the cheaper key");
  await new CachingBackend(storage, root).rememberKey(created.config.id, second);
  const cache = new CachingBackend(storage, root);
  await cache.get({ kind: "config", name: "config" });
  await cache.get({ kind: "keys", name: second }); // its copy, as a run that opened with it keeps
  return { storage, first, second, open };
}

Deno.test("the key that opened the repository last time opens it again, derived before the config arrives", async () => {
  using dir = tempDir("kept-remembered-");
  const { second, open } = await twoKeys(dir.path);
  assert.equal((await open()).keyId, second);
  assert.equal((await open()).keyId, second, "and stays remembered");
});

Deno.test("the remembered key is found by location alone, before storage is reached, and opens as `early`", async () => {
  using dir = tempDir("kept-remembered-");
  const { storage, second } = await twoKeys(dir.path);
  const remembered = await rememberedKeyAt(dir.path, storage.location);
  assert.equal(remembered?.keyId, second);
  assert.equal(await rememberedKeyAt(dir.path, "s3://elsewhere/bucket"), undefined);
  // Storage seen without the cache: only the key derived early can make it open with the second key.
  const opened = await Repository.open(storage, "pw", { early: unlockEarly(remembered, "pw") });
  assert.equal(opened.keyId, second);
  assert.notEqual((await Repository.open(storage, "pw")).keyId, second);
});

Deno.test("`early: null` (the caller looked, nothing is remembered) keeps Repository.open from looking again", async () => {
  using dir = tempDir("kept-remembered-");
  const { storage, first, second } = await twoKeys(dir.path);
  class Counting extends CachingBackend {
    looks = 0;
    override rememberedKey() {
      this.looks++;
      return super.rememberedKey();
    }
  }
  const untold = new Counting(storage, dir.path);
  assert.equal((await Repository.open(untold, "pw")).keyId, second);
  assert.equal(untold.looks, 1);
  // Told that nothing is remembered, it unlocks as without a cache: the cheaper key.
  const told = new Counting(storage, dir.path);
  assert.equal((await Repository.open(told, "pw", { early: null })).keyId, first);
  assert.equal(told.looks, 0);
});

Deno.test("a remembered key that storage no longer has opens nothing, even with its copy cached", async () => {
  using dir = tempDir("kept-remembered-");
  const { storage, first, open } = await twoKeys(dir.path);
  const reopened = await open();
  await storage.delete({ kind: "keys", name: reopened.keyId });
  assert.equal((await open()).keyId, first);
});

Deno.test("a remembered key is not used for another repository at the same location", async () => {
  using dir = tempDir("kept-remembered-");
  const { storage, second, open } = await twoKeys(dir.path);
  const secondFile = await storage.get({ kind: "keys", name: second });
  // Emptied and created again at the same place: another id, other keys; the old key file put back, so
  // that only the config's id tells the two repositories apart.
  for (const kind of ["config", "keys", "index", "snapshots", "data"] as const) {
    for await (const entry of storage.list(kind)) await storage.delete({ kind, name: entry.name });
  }
  const other = await testRepository(storage, 2);
  await storage.put({ kind: "keys", name: second }, secondFile);
  const opened = await open();
  assert.notEqual(opened.keyId, second);
  assert.equal(opened.keyId, other.keyId);
  assert.equal(opened.config.id, other.config.id);
});

Deno.test("a damaged copy of the remembered key, or a wrong password, falls back to the key files", async () => {
  using dir = tempDir("kept-remembered-");
  const { storage, first, second, open } = await twoKeys(dir.path);
  const id = (await open()).config.id;
  const copy = join(dir.path, id, "keys", second);
  const bytes = Deno.readFileSync(copy);
  bytes[10]! ^= 1;
  Deno.writeFileSync(copy, bytes);
  assert.equal((await open()).keyId, first, "the copy does not match its name");
  await assert.rejects(Repository.open(new CachingBackend(storage, dir.path), "wrong"), WrongPasswordError);
});

Deno.test("opening says when the key derivation starts, before the key is there, on either path", async () => {
  using dir = tempDir("kept-remembered-");
  const { storage, second } = await twoKeys(dir.path);
  // Read first, remembered or not: what a backup scans beside the derivation waits for these reads.
  const heard: string[] = [];
  const opening = Repository.open(storage, "pw", { onKeyDerivation: () => heard.push("deriving") });
  opening.then(() => heard.push("open"));
  await opening;
  assert.deepEqual(heard.slice(0, 2), ["deriving", "open"], "unlock: key files read, then derived");
  heard.length = 0;
  const remembered = await rememberedKeyAt(dir.path, storage.location);
  const early = unlockEarly(remembered, "pw", () => heard.push("deriving"));
  assert.deepEqual(heard, ["deriving"], "early: derived at once, before storage is reached");
  assert.equal((await Repository.open(storage, "pw", { early })).keyId, second);
  // A wrong password tries every key file: each derivation is heard.
  let derivations = 0;
  await assert.rejects(
    Repository.open(storage, "wrong", { onKeyDerivation: () => derivations++ }),
    WrongPasswordError,
  );
  assert.equal(derivations, 2);
});
