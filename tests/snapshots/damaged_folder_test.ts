// A folder whose listing (tree blob) is damaged: ls and diff say which folder, of which snapshot, and which
// blob in which pack, in one line, and exit 1 (restore names the path too: tests/restore).

import assert from "node:assert/strict";
import { makeFixture, nodeAt, packFiles } from "../_support/fixture.ts";

Deno.test("ls and diff name the folder whose listing is damaged, its snapshot, the blob and its pack", async (t) => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/a`, { recursive: true });
    Deno.mkdirSync(`${src}/b/deep`, { recursive: true });
    Deno.writeTextFileSync(`${src}/a/x.txt`, "x\n");
    Deno.writeTextFileSync(`${src}/b/y.txt`, "y\n");
    Deno.writeTextFileSync(`${src}/b/deep/z.txt`, "z\n");
    const first = (await fixture.backup("p")).snapshotId!;
    Deno.writeTextFileSync(`${src}/b/y.txt`, "y, changed\n");
    const second = (await fixture.backup("p")).snapshotId!;

    // Flip bytes in the middle of the tree blob of src/b in the second snapshot (the first has its own).
    const repository = await fixture.open();
    const tree = (await nodeAt(repository, second, `${src}/b`)).subtree!;
    assert.notEqual(tree, (await nodeAt(repository, first, `${src}/b`)).subtree);
    const location = repository.index.lookup(tree)!;
    const pack = packFiles(fixture.repo).find((path) => path.endsWith(location.pack))!;
    const bytes = Deno.readFileSync(pack);
    const middle = location.offset + Math.floor(location.length / 2);
    for (let i = middle - 4; i < middle + 4; i++) bytes[i]! ^= 0xff;
    Deno.writeFileSync(pack, bytes);
    const error = `kept: Cannot list folder "${src}/b" of snapshot ${second.slice(0, 12)}: ` +
      `Blob ${tree.slice(0, 12)} in pack ${location.pack.slice(0, 12)} is damaged\n`;

    await t.step("ls lists what it can read, then names the folder, and exits 1", async () => {
      const listed = await fixture.kept(["ls", second, src]);
      assert.equal(listed.code, 1, listed.stderr);
      assert.equal(listed.stderr, error);
      assert.deepEqual(
        listed.stdout.trimEnd().split("\n").map((line) => line.slice(line.indexOf(" /") + 1)),
        [src, `${src}/a`, `${src}/a/x.txt`, `${src}/b`],
      );
      const json = await fixture.kept(["ls", second, src, "--json"]);
      assert.equal(json.code, 1, json.stderr);
      assert.equal(json.stderr, error);
    });

    await t.step("ls of a path below the folder names the folder on the way", async () => {
      for (const path of [`${src}/b/deep`, `${src}/./b//deep/z.txt`]) {
        const listed = await fixture.kept(["ls", second, path]);
        assert.equal(listed.code, 1, listed.stderr);
        assert.equal(listed.stderr, error);
        assert.equal(listed.stdout, "");
      }
      assert.equal((await fixture.kept(["ls", second, `${src}/a`])).code, 0, "a folder beside it is whole");
    });

    await t.step("diff names the folder and the snapshot it is in, whichever comes first", async () => {
      for (const args of [[first, second], [second, first], [first, second, "--json"]]) {
        const diff = await fixture.kept(["diff", ...args]);
        assert.equal(diff.code, 1, diff.stderr);
        assert.equal(diff.stderr, error);
      }
    });
  } finally {
    await fixture.cleanup();
  }
});
