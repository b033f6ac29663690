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
