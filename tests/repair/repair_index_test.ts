// `kept repair index` through the CLI: a lost index is rebuilt from the packs' headers, a lost pack stops
// poisoning later backups (and the next backup heals the snapshots that needed it), a pack with a damaged header is left out with a warning, --dry-run changes
// nothing.

import assert from "node:assert/strict";
import { type Fixture, packFiles } from "../_support/fixture.ts";
import { backedUp } from "./_backed_up.ts";
import { assertSameTree } from "../_support/tree_differ.ts";

function indexFiles(repo: string): string[] {
  return [...Deno.readDirSync(`${repo}/index`)].filter((e) => !e.name.startsWith(".")).map((e) => e.name)
    .sort();
}

function snapshotOf(repo: string): string[] {
  return [...Deno.readDirSync(`${repo}/snapshots`)].map((entry) => entry.name);
}

async function restoresIdentically(fixture: Fixture, src: string, target: string): Promise<void> {
  await fixture.keptOk(["restore", "latest", "--target", target]);
  assertSameTree(src, `${target}${src}`);
}

Deno.test("repair index rebuilds a deleted index from the packs' headers; check and restore pass again", async () => {
  const { fixture, src } = await backedUp();
  try {
    for (const name of indexFiles(fixture.repo)) Deno.removeSync(`${fixture.repo}/index/${name}`);
    const broken = await fixture.kept(["check"]);
    assert.notEqual(broken.code, 0, "without an index, check fails");

    const repaired = await fixture.keptOk(["repair", "index"]);
    const packs = packFiles(fixture.repo).length;
    assert.match(
      repaired.stdout,
      new RegExp(`local: indexed ${packs} packs \\(0 as indexed, ${packs} from their headers\\)`),
    );
    assert.match(repaired.stdout, /local: wrote 1 index file, removed 0 old ones/);
    await fixture.keptOk(["check", "--read-data"]);
    await restoresIdentically(fixture, src, `${fixture.root}/out`);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("after a lost pack, repair index drops its blobs and the next backup stores them again", async () => {
  const { fixture, src } = await backedUp();
  try {
    const dataPack = packFiles(fixture.repo).find((path) => Deno.statSync(path).size > 1_000_000)!;
    Deno.removeSync(dataPack);
    const repaired = await fixture.keptOk(["repair", "index", "--json"]);
    const outcome = JSON.parse(repaired.stdout);
    assert.equal(outcome.missing.length, 1);
    assert.ok(outcome.missing[0].blobs >= 2, JSON.stringify(outcome.missing));
    assert.equal(outcome.index_files_removed, 1);
    const damaged = await fixture.kept(["check"]);
    assert.equal(damaged.code, 1, "the snapshot needs blobs no pack holds:\n" + damaged.stdout);

    const backup = await fixture.backup("files");
    assert.ok(
      backup.stats.addedBytes > 2_000_000,
      `the lost data is stored again: ${backup.stats.addedBytes}`,
    );
    await restoresIdentically(fixture, src, `${fixture.root}/out`);
    // The blobs are back under the same ids: the first snapshot is whole again too.
    await fixture.keptOk(["check", "--read-data"]);
  } finally {
    await fixture.cleanup();
  }
});

/** Flips a byte inside the sealed header of a pack over 1 MB; returns its path. */
function damageHeaderOfLargePack(fixture: Fixture): string {
  const victim = packFiles(fixture.repo).find((path) => Deno.statSync(path).size > 1_000_000)!;
  const bytes = Deno.readFileSync(victim);
  bytes[bytes.length - 10]! ^= 1;
  Deno.writeFileSync(victim, bytes);
  return victim;
}

Deno.test("a pack no index describes whose header is damaged is left out with a warning naming it; the rest is indexed", async () => {
  const { fixture } = await backedUp();
  try {
    const victim = damageHeaderOfLargePack(fixture);
    for (const name of indexFiles(fixture.repo)) Deno.removeSync(`${fixture.repo}/index/${name}`);
    const repaired = await fixture.keptOk(["repair", "index"]);
    const id = victim.slice(victim.lastIndexOf("/") + 1);
    assert.match(
      repaired.stderr,
      new RegExp(`warning: local: pack ${id.slice(0, 12)} \\([^)]+\\) left out: its header is damaged`),
    );
    assert.match(repaired.stdout, /1 unreadable pack left out/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("repair index refuses to replace the index when no stored pack can be read with the repository's key", async () => {
  const { fixture } = await backedUp();
  try {
    // Every pack's header and every index file damaged: what a wrong repository looks like to this key.
    for (const pack of packFiles(fixture.repo)) {
      const bytes = Deno.readFileSync(pack);
      bytes[bytes.length - 10]! ^= 1;
      Deno.writeFileSync(pack, bytes);
    }
    const before = indexFiles(fixture.repo);
    for (const name of before) {
      const path = `${fixture.repo}/index/${name}`;
      const bytes = Deno.readFileSync(path);
      bytes[bytes.length - 1]! ^= 1;
      Deno.writeFileSync(path, bytes);
    }
    const refused = await fixture.kept(["repair", "index"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^kept: local: none of the \d+ packs stored can be read with this repository's key/m,
    );
    assert.deepEqual(indexFiles(fixture.repo), before, "the old index files were removed");
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a truncated pack keeps the entries that lie within it, so repair packs can salvage them", async () => {
  const { fixture } = await backedUp();
  try {
    const victim = packFiles(fixture.repo).find((path) => Deno.statSync(path).size > 1_000_000)!;
    const id = victim.slice(victim.lastIndexOf("/") + 1);
    Deno.truncateSync(victim, Math.floor(Deno.statSync(victim).size * 0.6));
    const found = await fixture.kept(["check"]);
    assert.equal(found.code, 1);
    assert.match(found.stdout, new RegExp(`^error: pack ${id}: unexpected size `, "m"));
    assert.match(found.stderr, new RegExp(`^hint: \`kept repair packs ${id}\` keeps the intact blobs`, "m"));

    const repaired = await fixture.keptOk(["repair", "index"]);
    assert.match(
      repaired.stderr,
      new RegExp(
        `^warning: local: pack ${
          id.slice(0, 12)
        }: .*; kept the \\d+ entr(y|ies) within it .*kept repair packs`,
        "m",
      ),
    );
    // The header is gone with the tail, but the old index still located the blobs before the cut.
    const salvaged = await fixture.keptOk(["repair", "packs", id.slice(0, 12), "--json"]);
    const [pack] = JSON.parse(salvaged.stdout).packs;
    assert.ok(pack.intact > 0, salvaged.stdout);
    assert.ok(
      !packFiles(fixture.repo).some((path) => path.endsWith(id)),
      "the truncated pack is still stored",
    );
    // What lay past the cut left the index with it: the next backup stores it again.
    await fixture.backup("files");
    await fixture.keptOk(["check", "--read-data"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("--read-all-packs keeps the old entries of a pack whose header is damaged", async () => {
  const { fixture } = await backedUp();
  try {
    damageHeaderOfLargePack(fixture);
    const repaired = await fixture.keptOk(["repair", "index", "--read-all-packs", "--json"]);
    const outcome = JSON.parse(repaired.stdout);
    assert.deepEqual(outcome.unreadable, []);
    assert.equal(outcome.packs, packFiles(fixture.repo).length);
    // Every blob is still indexed and intact: the snapshots restore as before.
    await fixture.keptOk(["check"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("repair index --dry-run prints the plan and changes nothing", async () => {
  const { fixture } = await backedUp();
  try {
    const before = indexFiles(fixture.repo);
    const snapshots = snapshotOf(fixture.repo);
    const dry = await fixture.keptOk(["repair", "index", "--dry-run"]);
    assert.match(dry.stdout, /local: would index \d+ packs \(\d+ as indexed, 0 from their headers\)/);
    assert.doesNotMatch(dry.stdout, /wrote/);
    assert.deepEqual(indexFiles(fixture.repo), before);
    assert.deepEqual(snapshotOf(fixture.repo), snapshots);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("repair index replaces a damaged index file, which every other command only skips", async () => {
  const { fixture, src } = await backedUp();
  try {
    const [name] = indexFiles(fixture.repo);
    Deno.writeTextFileSync(`${fixture.repo}/index/${name}`, "not an index");
    const repaired = await fixture.keptOk(["repair", "index"]);
    assert.match(repaired.stdout, /removed 1 old one/);
    assert.equal(indexFiles(fixture.repo).includes(name!), false);
    await restoresIdentically(fixture, src, `${fixture.root}/out`);
  } finally {
    await fixture.cleanup();
  }
});
