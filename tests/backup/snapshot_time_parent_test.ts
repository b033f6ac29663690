// A snapshot recorded under another time (`backup --time`): its parent is the newest snapshot not after that
// time, as restic chooses, so one in the future is not every later backup's parent; and the next backup's
// change detection compares with when its backup really started (`started`), not with the time recorded.

import assert from "node:assert/strict";
import { makeFixture, nextSecond } from "../_support/fixture.ts";

const listed = (stdout: string) => stdout.split("\n").filter((line) => /^[+M] /.test(line)).sort();

Deno.test("a snapshot recorded in the future is not the parent of the backups that follow it", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    Deno.writeTextFileSync(`${src}/f1`, "1\n");
    await nextSecond(); // out of the second the backups start in
    await fixture.keptOk(["backup", "p", "--time", "2030-01-01 00:00:00"]);
    Deno.writeTextFileSync(`${src}/f2`, "2\n");
    await nextSecond();

    const now = await fixture.backup("p");
    assert.equal(now.parentId, undefined, "no snapshot before now");
    assert.equal(now.stats.newFiles, 2);
    const again = await fixture.keptOk(["-v", "backup", "p"]);
    assert.deepEqual(listed(again.stdout), [], "nothing changed since the last backup");
    assert.match(again.stdout, /\(0 new, 0 changed, 2 unchanged\)/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a snapshot recorded in the past is compared with when its backup really started", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    Deno.writeTextFileSync(`${src}/f1`, "1\n");
    await nextSecond();
    const started = Date.now();
    const past = await fixture.keptOk(["backup", "p", "--time", "2020-01-01 00:00:00", "--json"]);
    const { snapshot_id: pastId } = JSON.parse(past.stdout)[0] as { snapshot_id: string };
    const repository = await fixture.open();
    const { snapshot } = await repository.findSnapshot(pastId);
    assert.equal(snapshot.time, "2020-01-01T00:00:00.000Z");
    const recorded = Date.parse((snapshot as { started?: string }).started ?? "");
    assert.ok(recorded >= started - 1000 && recorded <= Date.now(), "when it really started");
    await nextSecond();

    const next = await fixture.keptOk(["-v", "backup", "p"]);
    assert.deepEqual(listed(next.stdout), [], "f1 has not changed since 2020's backup ran");
    assert.match(next.stdout, /\(0 new, 0 changed, 1 unchanged\)/);
    const newest = (await (await fixture.open()).listSnapshots()).at(-1)!;
    assert.equal(newest.snapshot.parent, pastId);
  } finally {
    await fixture.cleanup();
  }
});
