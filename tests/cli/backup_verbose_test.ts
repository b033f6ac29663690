// `kept backup -v` lists each file it reads, marked as `diff` marks it (+ new, M changed); unchanged files
// are not listed; `--dry-run -v` lists what a backup would read, so excludes can be reviewed first.

import assert from "node:assert/strict";
import { makeFixture, nextSecond } from "../_support/fixture.ts";

Deno.test("backup -v lists new and changed files; --dry-run -v lists what would be read", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`], excludes: ["*.tmp"] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/sub`, { recursive: true });
    Deno.writeTextFileSync(`${src}/a.txt`, "a");
    Deno.writeTextFileSync(`${src}/sub/b.txt`, "b");
    Deno.writeTextFileSync(`${src}/skip.tmp`, "excluded");
    // Date the files an hour back, so that the changes below change their times. Setting a time sets the
    // change time to now, and a file changed in the second a backup starts is read again by the next one
    // (file_changed.ts): the backups start in a later second.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const file of ["a.txt", "sub/b.txt", "skip.tmp"]) {
      Deno.utimeSync(`${src}/${file}`, anHourAgo, anHourAgo);
    }
    await nextSecond();

    const dry = await fixture.keptOk(["-v", "backup", "p", "--dry-run"]);
    const listed = (stdout: string) => stdout.split("\n").filter((line) => /^[+M] /.test(line)).sort();
    assert.deepEqual(listed(dry.stdout), [`+ ${src}/a.txt`, `+ ${src}/sub/b.txt`]);
    assert.deepEqual([...Deno.readDirSync(`${fixture.repo}/snapshots`)], [], "a dry run writes nothing");

    assert.deepEqual(listed((await fixture.keptOk(["-v", "backup", "p"])).stdout), [
      `+ ${src}/a.txt`,
      `+ ${src}/sub/b.txt`,
    ]);
    Deno.writeTextFileSync(`${src}/a.txt`, "a, longer now");
    Deno.writeTextFileSync(`${src}/c.txt`, "c");
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    for (const file of ["a.txt", "c.txt"]) Deno.utimeSync(`${src}/${file}`, twoHoursAgo, twoHoursAgo);
    assert.deepEqual(listed((await fixture.keptOk(["-v", "backup", "p"])).stdout), [
      `+ ${src}/c.txt`,
      `M ${src}/a.txt`,
    ]);
    const quiet = await fixture.keptOk(["backup", "p"]);
    assert.deepEqual(listed(quiet.stdout), [], "without -v no file is listed");
  } finally {
    await fixture.cleanup();
  }
});
