// `latest` with --plan and --host: with several plans in one destination, the newest snapshot overall is
// rarely the one a restore wants.

import assert from "node:assert/strict";
import { hostname } from "node:os";
import { makeFixture, parseLines } from "../_support/fixture.ts";

Deno.test("restore, ls and snapshots take --plan and --host to pick which snapshot latest means", async () => {
  const fixture = await makeFixture((root) => ({
    web: { sources: [`${root}/web`] },
    db: { sources: [`${root}/db`] },
  }));
  const { root } = fixture;
  try {
    Deno.mkdirSync(`${root}/web`);
    Deno.mkdirSync(`${root}/db`);
    Deno.writeTextFileSync(`${root}/web/index.html`, "<h1>hi</h1>\n");
    Deno.writeTextFileSync(`${root}/db/dump.sql`, "create table t;\n");
    const web = await fixture.backup("web");
    const db = await fixture.backup("db"); // the newest overall

    const ls = async (...args: string[]) =>
      parseLines<{ path: string }>((await fixture.keptOk(["ls", "latest", "--json", ...args])).stdout)
        .map((entry) => entry.path);
    assert.ok((await ls()).includes(`${root}/db/dump.sql`));
    assert.ok((await ls("--plan", "web")).includes(`${root}/web/index.html`));
    assert.ok(!(await ls("--plan", "web")).includes(`${root}/db/dump.sql`));

    await fixture.keptOk(["restore", "latest", "--plan", "web", "--target", `${root}/out`]);
    assert.equal(Deno.readTextFileSync(`${root}/out${root}/web/index.html`), "<h1>hi</h1>\n");
    assert.throws(() => Deno.lstatSync(`${root}/out${root}/db`));

    const listed = JSON.parse(
      (await fixture.keptOk(["snapshots", "--json", "--host", hostname(), "--plan", "db"])).stdout,
    ) as { id: string }[];
    assert.deepEqual(listed.map((s) => s.id), [db.snapshotId]);

    // An id of another plan's snapshot does not pass the filter either; an unknown host has none.
    const wrongPlan = await fixture.kept(["ls", web.snapshotId!.slice(0, 8), "--plan", "db"]);
    assert.equal(wrongPlan.code, 1);
    assert.match(wrongPlan.stderr, /^kept: No snapshot "[0-9a-f]{8}" of plan "db" in /m);
    const noHost = await fixture.kept(["restore", "latest", "--host", "elsewhere", "--target", `${root}/x`]);
    assert.equal(noHost.code, 1);
    assert.match(noHost.stderr, /^kept: No snapshots from host "elsewhere" in /m);
    assert.throws(() => Deno.lstatSync(`${root}/x`), "nothing is created for a snapshot that is not there");
  } finally {
    await fixture.cleanup();
  }
});
