// A file that changes after the walk looked at it (here: after the folders were read ahead) is still
// stored as it is when read: the worker stops at the size the walk saw, sees the file has grown, and
// reads it again in full.

import assert from "node:assert/strict";
import { backup } from "../../lib/backup/backup.ts";
import { FolderScans } from "../../lib/backup/folder_scan.ts";
import { testPlan } from "../_support/plan.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

Deno.test("a file that grew or shrank after its folder was scanned is stored as it is now", async () => {
  using dir = tempDir("kept-stale-");
  const root = dir.path;
  Deno.writeTextFileSync(`${root}/grows.txt`, "short\n");
  Deno.writeTextFileSync(`${root}/shrinks.txt`, "a much longer first version\n");
  Deno.writeTextFileSync(`${root}/empty-then-not.txt`, "");
  const repository = await testRepository();
  let opened!: () => void;
  const scans = FolderScans.start(testPlan([root]), {
    until: new Promise<void>((resolve) => opened = resolve),
  });
  await new Promise((resolve) => setTimeout(resolve, 50)); // the scan of root is made
  Deno.writeTextFileSync(`${root}/grows.txt`, "short\nand then a lot more than the walk saw\n");
  Deno.writeTextFileSync(`${root}/shrinks.txt`, "short\n");
  Deno.writeTextFileSync(`${root}/empty-then-not.txt`, "not empty any more\n");
  opened();

  const result = await backup(repository, backupOptions([root], { scans }));
  assert.deepEqual(result.warnings, []);
  const { snapshot } = await repository.findSnapshot(result.snapshotId!);
  let tree = await repository.loadTree(snapshot.tree);
  for (const part of root.split("/").filter((p) => p !== "")) {
    tree = await repository.loadTree(tree.nodes.find((n) => n.name === part)!.subtree!);
  }
  for (const name of ["grows.txt", "shrinks.txt", "empty-then-not.txt"]) {
    const node = tree.nodes.find((n) => n.name === name)!;
    const parts = await Promise.all((node.content ?? []).map((id) => repository.loadBlob(id)));
    const stored = new TextDecoder().decode(new Uint8Array(parts.flatMap((p) => [...p])));
    assert.equal(stored, Deno.readTextFileSync(`${root}/${name}`), name);
    assert.equal(node.size, Deno.statSync(`${root}/${name}`).size, `${name}: size matches content`);
  }
});
