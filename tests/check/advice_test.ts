// What `kept check` and `kept prune` tell the user to do next, so that the way forward is named where the
// problem is: index stored packs first when snapshots miss data, forget a damaged snapshot file.

import assert from "node:assert/strict";
import { type Fixture, makeFixture, packFiles } from "../_support/fixture.ts";
import { writeRandomFile } from "../_support/random_bytes.ts";

async function backedUpTwice(): Promise<Fixture> {
  const fixture = await makeFixture((root) => ({ files: { sources: [`${root}/src`] } }));
  Deno.mkdirSync(`${fixture.root}/src`);
  writeRandomFile(`${fixture.root}/src/a.bin`, 600_000, 1);
  await fixture.backup("files");
  writeRandomFile(`${fixture.root}/src/b.bin`, 600_000, 2);
  await fixture.backup("files");
  return fixture;
}

function namesIn(folder: string): string[] {
  return [...Deno.readDirSync(folder)].filter((e) => !e.name.startsWith(".")).map((e) => e.name).sort();
}

Deno.test("check says to run repair index first when packs are in no index and snapshots miss data", async () => {
  const fixture = await backedUpTwice();
  try {
    const indexFiles = namesIn(`${fixture.repo}/index`);
    assert.ok(indexFiles.length > 0);
    for (const name of indexFiles) Deno.removeSync(`${fixture.repo}/index/${name}`);
    const packs = packFiles(fixture.repo).length;

    const found = await fixture.kept(["check"]);
    assert.equal(found.code, 1, found.stdout + found.stderr);
    assert.match(found.stdout, /^error: snapshot [0-9a-f]{12} has damaged or missing data in: /m);
    assert.match(
      found.stderr,
      /^warning: pack [0-9a-f]{64} is not in any index: it may hold data the snapshots miss$/m,
    );
    assert.doesNotMatch(found.stderr, /prune removes it/, "those packs are not prune's to remove");
    assert.match(
      found.stderr,
      new RegExp(`^hint: ${packs} packs are stored but in no index: run \`kept repair index\` first`, "m"),
    );
    const json = JSON.parse((await fixture.kept(["check", "--json"])).stdout);
    assert.match(json.hints[0], /run `kept repair index` first/);
    assert.ok(
      json.problems.some((p: { kind: string; index_may_fix?: boolean }) =>
        p.kind === "pack-unindexed" && p.index_may_fix === true
      ),
    );

    // And it was the right advice: every error is gone.
    await fixture.keptOk(["repair", "index"]);
    const healed = await fixture.keptOk(["check", "--read-data"]);
    assert.doesNotMatch(healed.stderr, /hint:/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("check and prune name `kept forget --snapshot ID` for a damaged snapshot file; after it, prune runs", async () => {
  const fixture = await backedUpTwice();
  try {
    const [damaged] = namesIn(`${fixture.repo}/snapshots`);
    Deno.truncateSync(`${fixture.repo}/snapshots/${damaged}`, 40);
    const advice = new RegExp(`^hint: .*\`kept forget --snapshot ${damaged}\``, "m");

    const found = await fixture.kept(["check"]);
    assert.equal(found.code, 1, found.stdout + found.stderr);
    assert.match(found.stdout, new RegExp(`^error: snapshots file "${damaged}" .*: left out$`, "m"));
    assert.match(found.stderr, advice);

    const packs = packFiles(fixture.repo);
    const stopped = await fixture.kept(["prune"]);
    assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
    assert.match(stopped.stderr, new RegExp(`^kept: destination "local": snapshots file "${damaged}" `, "m"));
    assert.match(stopped.stderr, advice);
    assert.deepEqual(packFiles(fixture.repo), packs, "prune deleted packs while a snapshot file was damaged");

    await fixture.keptOk(["forget", "--snapshot", damaged!]);
    await fixture.keptOk(["prune"]);
    await fixture.keptOk(["check", "--read-data"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("check names the repair for a damaged pack and for a missing one, and that a new backup follows", async () => {
  const fixture = await backedUpTwice();
  try {
    const [first, second] = packFiles(fixture.repo).sort((a, b) =>
      Deno.statSync(b).size - Deno.statSync(a).size
    );
    const damagedId = first!.slice(first!.lastIndexOf("/") + 1);
    const bytes = Deno.readFileSync(first!);
    bytes[1000] = bytes[1000]! ^ 0xff;
    Deno.writeFileSync(first!, bytes);
    const read = await fixture.kept(["check", "--read-data"]);
    assert.equal(read.code, 1, read.stdout + read.stderr);
    assert.match(
      read.stderr,
      new RegExp(`^hint: \`kept repair packs ${damagedId}\` keeps the intact blobs`, "m"),
    );

    Deno.removeSync(second!);
    const missing = await fixture.kept(["check"]);
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.match(
      missing.stderr,
      /^hint: packs the index names are not stored: run `kept repair index`, then back up/m,
    );

    // Repaired, the snapshots still miss what was lost: only a backup brings it back.
    await fixture.keptOk(["repair", "index"]);
    await fixture.keptOk(["repair", "packs", damagedId]);
    const after = await fixture.kept(["check", "--read-data"]);
    assert.equal(after.code, 1, after.stdout + after.stderr);
    assert.match(after.stderr, /^hint: no repair brings back the data these snapshots miss: back up again/m);
    await fixture.keptOk(["backup", "files"]);
  } finally {
    await fixture.cleanup();
  }
});
