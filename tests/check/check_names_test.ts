// check reports folder listings that restore would refuse: unsafe names and names listed twice.

import assert from "node:assert/strict";
import { SnapshotCrafter } from "../_support/craft.ts";
import { makeFixture } from "../_support/fixture.ts";

Deno.test("`kept check` fails on a snapshot whose folder listings hold unsafe or duplicate names", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const clean = await fixture.kept(["check"]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);

    const repository = await fixture.open();
    await repository.loadIndex();
    const craft = new SnapshotCrafter(repository);
    await craft.snapshot([
      craft.dir("..", [craft.file("escaped", "x")]),
      craft.dir("sub", [craft.file("a/b", "slash"), craft.file("twice", "1"), craft.file("twice", "2")]),
      craft.file("ok", "fine"),
    ]);

    const result = await fixture.kept(["check"]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /\/: unsafe name "\.\." in folder listing/);
    assert.match(result.stdout, /\/sub: unsafe name "a\/b" in folder listing/);
    assert.match(result.stdout, /\/sub: folder listing [0-9a-f]{12} lists "twice" twice/);
  } finally {
    await fixture.cleanup();
  }
});
