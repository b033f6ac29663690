// A plan whose source is `/` backs up the root folder like any other source folder: its listing is the
// snapshot's root tree, and excludes choose what of it to leave out.

import assert from "node:assert/strict";
import { assertSameTree } from "../_support/tree_differ.ts";
import { makeFixture, nextSecond, parseLines } from "../_support/fixture.ts";

/** Excludes that leave out everything of `/` but `path` and the folders leading to it. */
function everythingBut(path: string): string[] {
  const excludes: string[] = [];
  let folder = "";
  for (const part of path.split("/").filter((p) => p !== "")) {
    excludes.push(`${folder}/*`, `!${folder}/${part}/`);
    folder += `/${part}`;
  }
  return excludes;
}

Deno.test("a plan whose source is / backs up the root folder, its excludes applied", async () => {
  const fixture = await makeFixture((root) => ({
    root: { sources: ["/"], excludes: everythingBut(`${root}/src`) },
  }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/sub`, { recursive: true });
    Deno.writeTextFileSync(`${src}/a.txt`, "a\n");
    Deno.writeTextFileSync(`${src}/sub/b.txt`, "b\n");
    await nextSecond(); // out of the second the backups start in: the second one finds them unchanged

    const dry = await fixture.keptOk(["-v", "backup", "root", "--dry-run"]);
    const listed = dry.stdout.split("\n").filter((line) => /^[+M] /.test(line)).sort();
    assert.deepEqual(listed, [`+ ${src}/a.txt`, `+ ${src}/sub/b.txt`]);
    assert.match(dry.stdout, /local: would back up 2 files, /);

    const first = await fixture.backup("root");
    assert.deepEqual([first.stats.files, first.stats.newFiles, first.warnings], [2, 2, []]);
    const again = await fixture.backup("root");
    assert.deepEqual([again.stats.unchangedFiles, again.stats.newFiles], [2, 0]);
    assert.equal(again.parentId, first.snapshotId);

    const paths = parseLines<{ path: string }>((await fixture.keptOk(["ls", "latest", "--json"])).stdout)
      .map((entry) => entry.path);
    const leading = everythingBut(src).filter((rule) => rule.startsWith("!"))
      .map((rule) => rule.slice(1, -1));
    assert.deepEqual(paths, [...leading, `${src}/a.txt`, `${src}/sub`, `${src}/sub/b.txt`]);

    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    assertSameTree(src, `${out}${src}`);
  } finally {
    await fixture.cleanup();
  }
});
