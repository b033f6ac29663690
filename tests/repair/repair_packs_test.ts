// `kept repair packs` through the CLI: a pack `check --read-data` finds damaged keeps its intact blobs in new
// packs and loses the damaged one with the pack, so the next backup stores it again and check and restore
// pass; --dry-run changes nothing; bad pack names are one-line errors.

import assert from "node:assert/strict";
import { type Fixture, packFiles } from "../_support/fixture.ts";
import { backedUp } from "./_backed_up.ts";
import { assertSameTree } from "../_support/tree_differ.ts";

const NO_STACK = /^\s+at /m;

/** Damages one data blob in a pack that holds several; returns the pack's id and the blob's. */
async function damageOneBlob(fixture: Fixture): Promise<{ pack: string; blob: string; blobs: number }> {
  const repository = await fixture.open();
  await repository.loadIndex();
  for (const pack of repository.index.packIds()) {
    const entries = repository.index.packEntries(pack) ?? [];
    const data = entries.filter((entry) => entry.type === "data");
    if (data.length < 2) continue;
    const victim = data[0]!;
    const path = `${fixture.repo}/data/${pack.slice(0, 2)}/${pack}`;
    const bytes = Deno.readFileSync(path);
    bytes[victim.offset + Math.floor(victim.length / 2)]! ^= 0x40;
    Deno.writeFileSync(path, bytes);
    return { pack, blob: victim.id, blobs: entries.length };
  }
  throw new Error("no pack holds two data blobs");
}

function indexFiles(repo: string): string[] {
  return [...Deno.readDirSync(`${repo}/index`)].filter((e) => !e.name.startsWith(".")).map((e) => e.name)
    .sort();
}

Deno.test("repair packs keeps a damaged pack's intact blobs; the next backup stores the lost one again", async () => {
  const { fixture, src } = await backedUp();
  try {
    const { pack, blob, blobs } = await damageOneBlob(fixture);
    const found = await fixture.kept(["check", "--read-data"]);
    assert.equal(found.code, 1);
    assert.match(
      found.stdout + found.stderr,
      new RegExp(`pack ${pack}: blob ${blob.slice(0, 12)} is damaged`),
    );

    const packsBefore = packFiles(fixture.repo);
    const indexBefore = indexFiles(fixture.repo);
    const dry = await fixture.keptOk(["repair", "packs", pack.slice(0, 12), "--dry-run"]);
    assert.match(
      dry.stdout,
      new RegExp(`local: pack ${pack.slice(0, 12)}: ${blobs - 1} of ${blobs} blobs intact, 1 damaged`),
    );
    assert.match(dry.stdout, new RegExp(`damaged data blob ${blob.slice(0, 12)}`));
    assert.match(dry.stdout, /would copy .+ and remove 1 pack/);
    assert.deepEqual(packFiles(fixture.repo), packsBefore, "a dry run changed the packs");
    assert.deepEqual(indexFiles(fixture.repo), indexBefore, "a dry run changed the index");

    const repaired = await fixture.keptOk(["repair", "packs", pack.slice(0, 12)]);
    assert.match(
      repaired.stdout,
      /copied .+ to new packs, removed 1 pack; wrote \d+ index files?, removed 1 old one/,
    );
    assert.match(repaired.stdout, /1 damaged blob left the index: the next backup stores again/);
    assert.ok(
      !packFiles(fixture.repo).some((path) => path.endsWith(pack)),
      "the damaged pack is still stored",
    );
    assert.doesNotMatch(repaired.stderr, NO_STACK);

    // The snapshot lacks the one blob until a backup stores it again from the source.
    const lacking = await fixture.kept(["check"]);
    assert.equal(lacking.code, 1);
    assert.match(lacking.stdout + lacking.stderr, /has damaged or missing data in: .+\/src\//);
    await fixture.backup("files");
    await fixture.keptOk(["check", "--read-data"]);
    const target = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", target]);
    assertSameTree(src, `${target}${src}`);
    // The first snapshot is whole again too: the blob it names is stored once more.
    const first = `${fixture.root}/first`;
    const snapshots = JSON.parse((await fixture.keptOk(["snapshots", "--json"])).stdout) as { id: string }[];
    await fixture.keptOk(["restore", snapshots[0]!.id, "--target", first]);
    assertSameTree(src, `${first}${src}`);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("repair packs --json reports each pack; bad or unknown pack names are one-line errors", async () => {
  const { fixture } = await backedUp();
  try {
    const { pack, blob, blobs } = await damageOneBlob(fixture);
    for (
      const [name, message] of [
        ["zz", /"zz" is not a pack id: expected 8 to 64 lower-case hex digits/],
        ["0123", /"0123" is not a pack id/],
        [
          "deadbeefdeadbeef",
          /No pack "deadbeefdeadbeef" is stored in the repository\nhint: .*kept repair index/,
        ],
      ] as const
    ) {
      const result = await fixture.kept(["repair", "packs", name]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
      const lines = result.stderr.trim().split("\n").filter((line) => !line.startsWith("hint: "));
      assert.equal(lines.length, 1, result.stderr);
    }
    const json = JSON.parse((await fixture.keptOk(["repair", "packs", pack, "--json"])).stdout);
    assert.equal(json.destination, "local");
    assert.equal(json.dry_run, false);
    assert.deepEqual(json.packs, [{ pack, intact: blobs - 1, damaged: [{ id: blob, type: "data" }] }]);
    assert.ok(json.copied_bytes > 0);
  } finally {
    await fixture.cleanup();
  }
});
