// A repository whose config file was lost still holds its keys, snapshots and data: writing the config back
// brings it all back. init and apply must not make a new repository over it (which would hide it, and
// the hints that followed led to pruning the old data away).

import assert from "node:assert/strict";
import { makeFixture } from "../_support/fixture.ts";

Deno.test("a repository without its config file is named as such, and neither init nor apply writes over it", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a`, "a");
    await fixture.backup("p");
    const config = Deno.readFileSync(`${fixture.repo}/config`);
    Deno.removeSync(`${fixture.repo}/config`);

    const listed = await fixture.kept(["snapshots"]);
    assert.equal(listed.code, 1, listed.stderr);
    assert.match(listed.stderr, /holds a repository's snapshot files but no config file: it was lost/);
    assert.match(listed.stderr, /^hint: put the config file back from a copy/m);
    assert.doesNotMatch(listed.stderr, /create one with/);

    const init = await fixture.kept(["init", "local"]);
    assert.equal(init.code, 1, init.stderr);
    assert.match(
      init.stderr,
      /^kept: Not creating a repository at .*: it holds the snapshot files of one whose config/,
    );
    const applied = await fixture.kept(["apply"]);
    assert.notEqual(applied.code, 0, applied.stdout);
    assert.throws(() => Deno.statSync(`${fixture.repo}/config`), Deno.errors.NotFound);

    // Its data alone (snapshots and index gone too) is still not for a new repository to hide.
    const aside = `${fixture.root}/aside`;
    Deno.mkdirSync(aside);
    for (const kind of ["snapshots", "index"]) Deno.renameSync(`${fixture.repo}/${kind}`, `${aside}/${kind}`);
    const dataOnly = await fixture.kept(["init", "local"]);
    assert.equal(dataOnly.code, 1, dataOnly.stderr);
    assert.match(dataOnly.stderr, /it holds the data files of one whose config file is missing/);
    for (const kind of ["snapshots", "index"]) Deno.renameSync(`${aside}/${kind}`, `${fixture.repo}/${kind}`);

    Deno.writeFileSync(`${fixture.repo}/config`, config);
    const back = await fixture.keptOk(["snapshots", "--json"]);
    assert.equal(JSON.parse(back.stdout).length, 1);
  } finally {
    await fixture.cleanup();
  }
});
