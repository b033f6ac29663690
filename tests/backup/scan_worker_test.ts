// A large tree's folders are read by a worker ahead of the walk (lib/backup/folder_scan.ts): the snapshot
// must be the one the walk makes reading every folder itself, tree for tree, and a change must be seen.

import assert from "node:assert/strict";
import { backup } from "../../lib/backup/backup.ts";
import { FolderScans } from "../../lib/backup/folder_scan.ts";
import { testPlan } from "../_support/plan.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Folders in folders, files of several sizes, a symlink, an ignored folder and a marked one. */
function makeTree(root: string): void {
  for (let i = 0; i < 12; i++) {
    const folder = `${root}/d${i}/sub${i % 3}`;
    Deno.mkdirSync(folder, { recursive: true });
    for (let j = 0; j < 25; j++) Deno.writeTextFileSync(`${folder}/f${j}.txt`, "x".repeat(i * 40 + j));
    Deno.writeTextFileSync(`${root}/d${i}/top.log`, `log ${i}`);
  }
  Deno.symlinkSync("d0/sub0/f1.txt", `${root}/link`);
  Deno.mkdirSync(`${root}/d3/node_modules/pkg`, { recursive: true });
  Deno.writeTextFileSync(`${root}/d3/node_modules/pkg/index.js`, "ignored");
  Deno.writeTextFileSync(`${root}/d5/.nobackup`, "");
}

Deno.test("a backup whose folders a worker read ahead equals one whose walk read them, and sees a change", async () => {
  using dir = tempDir("kept-scan-worker-");
  const root = dir.path;
  makeTree(root);
  const plan = testPlan([root], { excludes: ["node_modules/", "*.log"], excludeIfPresent: [".nobackup"] });
  const repository = await testRepository();
  await new Promise((resolve) => setTimeout(resolve, 50)); // out of the racy window of the files' ctime

  const walked = await backup(repository, backupOptions([root], { plan }));
  // Opened at once and "large" from 0 entries: every folder is the worker's to read.
  const scans = FolderScans.start(plan, { until: Promise.resolve() }, 0);
  const read = await backup(repository, backupOptions([root], { plan, scans }));
  scans.close();
  const tree = async (id: string) => (await repository.findSnapshot(id)).snapshot.tree;
  assert.equal(await tree(read.snapshotId!), await tree(walked.snapshotId!));
  assert.deepEqual(
    [read.stats.files, read.stats.unchangedFiles, read.stats.dirs, read.warnings],
    [walked.stats.files, walked.stats.files, walked.stats.dirs, []],
  );
  assert.equal(read.stats.files, 12 * 25 - 25, "d5 is left out, with its 25 files");

  Deno.writeTextFileSync(`${root}/d7/sub1/f3.txt`, "changed, longer than before");
  const scansAgain = FolderScans.start(plan, { until: Promise.resolve() }, 0);
  const changed = await backup(repository, backupOptions([root], { plan, scans: scansAgain }));
  scansAgain.close();
  assert.deepEqual([changed.stats.changedFiles, changed.stats.unchangedFiles], [1, read.stats.files - 1]);
});
