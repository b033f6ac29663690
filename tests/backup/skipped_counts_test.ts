// A backup's counts add up when files cannot be read: new + changed + unchanged are the files stored, and
// the files that vanished (or could not be opened) before they were read count as skipped, apart.

import assert from "node:assert/strict";
import { backup } from "../../lib/backup/backup.ts";
import type { SnapshotStats } from "../../lib/repo/mod.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { makeFixture, nextSecond } from "../_support/fixture.ts";

function counts(stats: SnapshotStats): number[] {
  assert.equal(stats.files, stats.newFiles + stats.changedFiles + stats.unchangedFiles, "the counts add up");
  return [stats.files, stats.newFiles, stats.changedFiles, stats.unchangedFiles, stats.skipped];
}

Deno.test("files removed before they are read count as skipped, not as new or changed", async () => {
  using dir = tempDir("kept-skipped-");
  const root = dir.path;
  for (let i = 0; i < 6; i++) Deno.writeTextFileSync(`${root}/f${i}`, `file ${i}\n`);
  const repository = await testRepository();
  await nextSecond(); // files changed in the second a backup starts are read again by the next one
  // Told each file as it is handed to the workers: removing it then makes the read fail.
  const removing = (names: string[]) => (path: string) => {
    if (names.some((name) => path === `${root}/${name}`)) Deno.removeSync(path);
  };

  const first = await backup(repository, backupOptions([root], { onFile: removing(["f1", "f3"]) }));
  assert.deepEqual(counts(first.stats), [4, 4, 0, 0, 2]);
  assert.equal(first.warnings.length, 2);
  assert.equal(first.stats.bytes, 4 * "file 0\n".length);

  Deno.writeTextFileSync(`${root}/f0`, "changed, and longer\n");
  Deno.writeTextFileSync(`${root}/f2`, "changed, and longer\n");
  Deno.writeTextFileSync(`${root}/f1`, "back again\n");
  Deno.writeTextFileSync(`${root}/f3`, "back again\n");
  await nextSecond();
  const second = await backup(repository, backupOptions([root], { onFile: removing(["f2", "f3"]) }));
  // f0 changed, f1 new, f4 and f5 unchanged; f2 (changed) and f3 (new) were removed before being read.
  assert.deepEqual(counts(second.stats), [4, 1, 1, 2, 2]);
});

Deno.test("a source below a symlink is said to be below a symlink, in one line whatever its name holds", async () => {
  const fixture = await makeFixture((root) => ({
    p: { sources: [`${root}/li\nnk/dir`] },
  }));
  try {
    Deno.mkdirSync(`${fixture.root}/real/dir`, { recursive: true });
    Deno.writeTextFileSync(`${fixture.root}/real/dir/a`, "a");
    Deno.symlinkSync(`${fixture.root}/real`, `${fixture.root}/li\nnk`);
    const result = await fixture.kept(["backup", "p"]);
    assert.equal(result.code, 3, result.stderr);
    const warnings = result.stderr.split("\n").filter((line) => line.startsWith("warning: "));
    assert.deepEqual(warnings, [
      `warning: ${fixture.root}/li\\nnk: is a symlink, which a backup does not follow, so the sources below it ` +
      `are missing: name the path it leads to`,
    ]);
  } finally {
    await fixture.cleanup();
  }
});
