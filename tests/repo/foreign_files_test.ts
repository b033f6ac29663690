// A repository is never mixed with other files: `kept init` refuses a folder that holds any (a formatted
// disk's lost+found aside), and a file below data/ whose name is no pack id is neither counted by check
// nor deleted by prune, whatever put it there.

import assert from "node:assert/strict";
import { makeFixture } from "../_support/fixture.ts";

Deno.test("kept init refuses a folder holding other files, and leaves it as it was", async () => {
  const fixture = await makeFixture(() => ({}), { init: false });
  try {
    Deno.mkdirSync(`${fixture.repo}/photos`, { recursive: true });
    Deno.writeTextFileSync(`${fixture.repo}/notes.txt`, "mine\n");
    const result = await fixture.kept(["init", "local"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /Cannot create a repository in ".*repo": it holds other files \("notes\.txt", "photos"\)/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.deepEqual(Deno.readDirSync(fixture.repo).map((entry) => entry.name).toArray().sort(), [
      "notes.txt",
      "photos",
    ]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("kept init takes a folder holding only lost+found: a freshly formatted disk", async () => {
  const fixture = await makeFixture(() => ({}), { init: false });
  try {
    Deno.mkdirSync(`${fixture.repo}/lost+found`, { recursive: true });
    await fixture.keptOk(["init", "local"]);
    assert.ok(Deno.statSync(`${fixture.repo}/config`).isFile);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("check, prune and repair leave files in the repository's folders alone when their name is no id", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/f`, "f\n");
    await fixture.backup("p");
    // Named like a pack of prefix "ph", old enough for prune to remove an unused pack.
    const photo = `${fixture.repo}/data/ph/photo-2019.jpg`;
    Deno.mkdirSync(`${fixture.repo}/data/ph`, { recursive: true });
    Deno.writeTextFileSync(photo, "precious\n");
    Deno.utimeSync(photo, new Date("2020-01-01"), new Date("2020-01-01"));
    for (const kind of ["index", "snapshots", "keys", "locks"]) {
      Deno.writeTextFileSync(`${fixture.repo}/${kind}/README`, "not kept's\n");
    }
    const check = await fixture.keptOk(["check"]);
    assert.doesNotMatch(check.stdout + check.stderr, /photo|README|damaged/);
    await fixture.keptOk(["prune"]);
    assert.equal(Deno.readTextFileSync(photo), "precious\n");
    await fixture.keptOk(["repair", "snapshots"]);
    await fixture.keptOk(["repair", "index"]);
    for (const kind of ["index", "snapshots", "keys", "locks"]) {
      assert.equal(Deno.readTextFileSync(`${fixture.repo}/${kind}/README`), "not kept's\n");
    }
  } finally {
    await fixture.cleanup();
  }
});
