// Issue 3's "done when": a tree with everything a file system can hold survives backup and restore
// unchanged: content, type, mode, owner, mtime (to the millisecond: Deno exposes no finer time), symlink
// targets, hard-link groups, and holes.

import assert from "node:assert/strict";
import { assertSameTree, scanTree } from "../_support/tree_differ.ts";
import { makeFixture } from "../_support/fixture.ts";
import { RICH, TIMES, writeRichTree } from "../_support/rich_tree.ts";

Deno.test("backup then restore reproduces a rich tree exactly, sparse files stay sparse", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    writeRichTree(src);
    const before = scanTree(src);
    assert.ok(before.size > 580, `the rich tree has only ${before.size} entries`);
    assert.equal(before.get("times/1930")?.mtime, TIMES.before1970);
    assert.equal(before.get("times/link-1930")?.mtime, TIMES.before1970);

    const backup = await fixture.backup("p");
    assert.deepEqual(backup.warnings, []);
    assert.ok(backup.snapshotId);

    const out = `${fixture.root}/out`;
    const restored = await fixture.kept(["restore", "latest", "--target", out]);
    assert.equal(restored.code, 0, restored.stderr);

    // The source itself is unchanged by the backup, and the copy equals it.
    assertSameTree(before, scanTree(src));
    assertSameTree(before, `${out}${src}`);

    const sparse = Deno.statSync(`${out}${src}/${RICH.sparse}`);
    assert.equal(sparse.size, RICH.sparseSize);
    assert.ok(
      sparse.blocks! * 512 <= 16 * 1024 * 1024,
      `the restored 1 GiB sparse file occupies ${sparse.blocks! * 512} bytes`,
    );
    const inodes = new Set(RICH.hardLinks.map((path) => Deno.statSync(`${out}${src}/${path}`).ino));
    assert.equal(inodes.size, 1, "the three hard links were restored as separate files");
    assert.equal(Deno.statSync(`${out}${src}/${RICH.hardLinks[0]}`).nlink, 3);

    const check = await fixture.kept(["check", "--read-data"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  } finally {
    await fixture.cleanup();
  }
});
