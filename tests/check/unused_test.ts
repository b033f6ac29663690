// `check` reports the space prune would free (index entries and packs no snapshot needs) as information.

import assert from "node:assert/strict";
import { check, type UnusedData } from "../../lib/check/mod.ts";
import { applyPrune, planPrune } from "../../lib/prune/mod.ts";
import { makeHistory } from "../prune/_history.ts";

Deno.test("check reports index entries and packs no snapshot needs as information, gone after prune", async () => {
  const { fixture, snapshots } = await makeHistory();
  try {
    const clean = await check(await fixture.open());
    assert.deepEqual(clean.problems, [], "a repository of backups only has nothing unused");

    await fixture.keptOk(["forget", "--snapshot", snapshots[0]!, snapshots[2]!, snapshots[3]!]);
    const repository = await fixture.open();
    const result = await check(repository);
    assert.equal(result.ok, true);
    const unused = result.problems.filter((problem): problem is UnusedData => problem.kind === "unused-data");
    assert.equal(unused.length, 1);
    assert.equal(unused[0]!.severity, "info");
    const plan = await planPrune(repository, { maxUnused: 0, maxRepack: Infinity, now: Date.now() });
    assert.equal(unused[0]!.blobs, plan.blobs.unused);
    assert.deepEqual(
      unused[0]!.packs,
      plan.delete.ids,
      "the packs check calls unused are those prune deletes",
    );

    await applyPrune(repository, plan);
    assert.deepEqual((await check(await fixture.open(), { readData: true })).problems, []);
  } finally {
    await fixture.cleanup();
  }
});
