// planPrune() and applyPrune() as a library: what each kind of pack becomes, and what stops prune before
// it changes anything.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { applyPrune, planPrune, type PlanPruneOptions } from "../../lib/prune/mod.ts";
import { Repository } from "../../lib/repo/mod.ts";
import { PASSWORD } from "../_support/fixture.ts";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { copyTree, listFiles, makeHistory } from "./_history.ts";
import { asBlobId, asPackId } from "../../lib/repo/mod.ts";

const DAY = 24 * 60 * 60_000;
const OPTIONS: PlanPruneOptions = { maxUnused: 0, maxRepack: Infinity, now: Date.now() };

Deno.test("planPrune() and applyPrune()", async (t) => {
  const history = await makeHistory();
  const { fixture, snapshots } = history;
  const base = `${fixture.root}/base-repo`;
  await fixture.keptOk(["forget", "--snapshot", snapshots[0]!, snapshots[2]!, snapshots[3]!]);
  await copyTree(fixture.repo, base);
  let copies = 0;
  /** A fresh copy of the repository after forget, opened. */
  const open = async () => {
    const path = `${fixture.root}/copy-${copies++}`;
    await copyTree(base, path);
    return { path, repository: await Repository.open(await LocalBackend.open(path), PASSWORD) };
  };
  const packPath = (repo: string, pack: string) => `${repo}/data/${pack.slice(0, 2)}/${pack}`;
  try {
    await t.step(
      "planning changes nothing; the plan deletes, repacks and keeps every indexed pack",
      async () => {
        const { path, repository } = await open();
        const files = listFiles(path);
        const plan = await planPrune(repository, OPTIONS);
        assert.deepEqual(listFiles(path), files);
        assert.equal(plan.snapshots, 2);
        const indexed = [...repository.index.packIds()].sort();
        const decided = [...plan.delete.ids, ...plan.repack.packList.map((p) => p.pack), ...plan.keep.ids]
          .sort();
        assert.deepEqual(decided, indexed);
        assert.ok(plan.delete.packs > 0 && plan.repack.packs > 0, JSON.stringify(plan.delete));
        assert.deepEqual(plan.indexFiles, [...repository.indexFiles]);
        const result = await applyPrune(repository, plan);
        assert.equal(result.packsRemoved, plan.delete.packs + plan.repack.packs);
        assert.equal(result.copiedBytes, plan.repack.copyBytes);
        for (const pack of plan.delete.ids) assert.throws(() => Deno.statSync(packPath(path, pack)));
        const again = await planPrune(
          await Repository.open(await LocalBackend.open(path), PASSWORD),
          OPTIONS,
        );
        assert.deepEqual([again.delete.packs, again.repack.packs, again.blobs.unused], [0, 0, 0]);
      },
    );

    await t.step(
      "a pack is repacked only when its unused share is above maxUnused, within maxRepack",
      async () => {
        const { repository } = await open();
        const all = await planPrune(repository, OPTIONS);
        const none = await planPrune(repository, { ...OPTIONS, maxUnused: 1 });
        assert.equal(none.repack.packs, 0);
        assert.equal(none.keep.packs, all.keep.packs + all.repack.packs);
        assert.ok(none.keep.unusedBytes > 0);
        const first = all.repack.packList[0]!;
        const limited = await planPrune(repository, { ...OPTIONS, maxRepack: first.bytes });
        assert.deepEqual(limited.repack.packList.map((p) => p.pack), [first.pack]);
      },
    );

    await t.step(
      "a blob a snapshot needs in no stored pack stops prune before it changes anything",
      async () => {
        const { path, repository } = await open();
        await repository.loadIndex();
        const newest = (await repository.listSnapshots()).at(-1)!;
        const tree = await repository.loadTree(newest.snapshot.tree);
        const pack = (await findFileBlob(repository, tree))!;
        Deno.removeSync(packPath(path, pack));
        const files = listFiles(path);
        await assert.rejects(() => planPrune(repository, OPTIONS), (error) => {
          assert.ok(error instanceof UserError);
          assert.match(
            error.message,
            /^Cannot prune: \d+ blobs the snapshots need are in no stored pack the index names/,
          );
          return true;
        });
        assert.deepEqual(listFiles(path), files);
      },
    );

    await t.step(
      "a backup that finished after prune read the index stops it: its blobs are not lost",
      async () => {
        const { path, repository } = await open();
        await repository.loadIndex();
        const packs = () => listFiles(path).filter((file) => file.startsWith("data/"));
        const before = packs();
        // Another backup (a process that ignored the lock, or storage that listed late) adds data and a snapshot.
        writeRandomFile(`${history.src}/late.bin`, 600_000, 4242);
        Deno.renameSync(fixture.repo, `${fixture.repo}-aside`);
        Deno.symlinkSync(path, fixture.repo);
        try {
          await fixture.backup("p");
        } finally {
          Deno.removeSync(fixture.repo);
          Deno.renameSync(`${fixture.repo}-aside`, fixture.repo);
          Deno.removeSync(`${history.src}/late.bin`);
        }
        assert.ok(packs().length > before.length, "the backup stored packs");
        const files = listFiles(path);
        await assert.rejects(() => planPrune(repository, OPTIONS), /Cannot (prune: \d+ blobs|read tree)/);
        assert.deepEqual(listFiles(path), files);
      },
    );

    await t.step(
      "an indexed pack storage lacks, that no snapshot needs, is dropped from the index",
      async () => {
        const { path, repository } = await open();
        const plan = await planPrune(repository, OPTIONS);
        const dead = plan.delete.ids[0]!;
        Deno.removeSync(packPath(path, dead));
        const reopened = await Repository.open(await LocalBackend.open(path), PASSWORD);
        const missing = await planPrune(reopened, OPTIONS);
        assert.deepEqual(missing.missing, [dead]);
        assert.ok(!missing.delete.ids.includes(asPackId(dead)));
        await applyPrune(reopened, missing);
        const after = await Repository.open(await LocalBackend.open(path), PASSWORD);
        await after.loadIndex();
        assert.ok(![...after.index.packIds()].includes(asPackId(dead)));
      },
    );

    await t.step("a pack no index names is left alone until it is older than the grace period", async () => {
      const { path, repository } = await open();
      const plan = await planPrune(repository, OPTIONS);
      const stray = "f".repeat(64);
      Deno.mkdirSync(`${path}/data/ff`, { recursive: true });
      Deno.copyFileSync(packPath(path, plan.keep.ids[0] ?? plan.delete.ids[0]!), packPath(path, stray));
      const young = await planPrune(repository, OPTIONS);
      assert.deepEqual([young.unindexed.young.packs, young.unindexed.delete.packs], [1, 0]);
      await applyPrune(repository, young);
      Deno.statSync(packPath(path, stray));
      const later = await Repository.open(await LocalBackend.open(path), PASSWORD);
      const old = await planPrune(later, { ...OPTIONS, now: Date.now() + 2 * DAY });
      assert.deepEqual(old.unindexed.delete.ids, [stray]);
      await applyPrune(later, old);
      assert.throws(() => Deno.statSync(packPath(path, stray)));
    });

    await t.step(
      "after a prune killed once its new packs were indexed, the copies in them are kept",
      async () => {
        const { path, repository } = await open();
        const plan = await planPrune(repository, OPTIONS);
        // The first steps of a prune that is then killed: new packs and their index files, nothing removed.
        await applyPrune(repository, plan, {
          onStep: (step) => {
            if (step.kind === "new-packs-stored") throw new Killed();
          },
        }).catch((error) => {
          if (!(error instanceof Killed)) throw error;
        });
        const next = await planPrune(await Repository.open(await LocalBackend.open(path), PASSWORD), OPTIONS);
        const repacked = new Set(plan.repack.packList.map((p) => p.pack));
        // The packs it copied hold only second copies now: deleted, not copied once more.
        for (const pack of repacked) assert.ok(next.delete.ids.includes(pack), `${pack} is not deleted`);
        assert.equal(next.repack.copyBlobs, 0);
      },
    );
  } finally {
    await fixture.cleanup();
  }
});

class Killed extends Error {}

/** The pack of the first blob of the first file found in a tree (depth first). */
async function findFileBlob(
  repository: Repository,
  tree: { nodes: { type: string; content?: string[]; subtree?: string }[] },
): Promise<string | undefined> {
  for (const node of tree.nodes) {
    if (node.type === "file" && node.content?.[0]) return repository.index.lookup(node.content[0])!.pack;
    if (node.subtree) {
      const found = await findFileBlob(repository, await repository.loadTree(asBlobId(node.subtree)));
      if (found) return found;
    }
  }
  return undefined;
}
