// Every backup writes at least one index file, and every command that loads the index reads each: prune
// merges them once there are many more than the packs need, even when it deletes nothing.

import assert from "node:assert/strict";
import { inProcessFixture } from "../hardening/_in_process.ts";
import { filesOf } from "../hardening/_damage.ts";

Deno.test("prune merges many small index files into one when nothing else is to be done; the next prune leaves them", async () => {
  using f = await inProcessFixture();
  for (let i = 0; i < 20; i++) {
    Deno.writeTextFileSync(`${f.data}/file${i}.txt`, `content ${i}\n`);
    await f.keptOk(["backup", "p"]);
  }
  const before = filesOf(f.repo, "index");
  assert.ok(before.length >= 20, `${before.length} index files`);
  const snapshots = filesOf(f.repo, "snapshots");

  const dry = await f.keptOk(["prune", "--dry-run", "--json"]);
  assert.equal(JSON.parse(dry.stdout).prune[0].delete.packs, 0, "nothing to delete");
  assert.deepEqual(filesOf(f.repo, "index"), before, "a dry run writes nothing");

  await f.keptOk(["prune"]);
  const merged = filesOf(f.repo, "index");
  assert.equal(merged.length, 1, `merged into ${merged.length}`);
  assert.deepEqual(filesOf(f.repo, "snapshots"), snapshots);
  await f.keptOk(["check", "--read-data"]);
  const target = `${f.root}/restored`;
  await f.keptOk(["restore", "latest", "--target", target]);
  assert.equal(Deno.readTextFileSync(`${target}${f.data}/file19.txt`), "content 19\n");

  await f.keptOk(["prune"]);
  assert.deepEqual(filesOf(f.repo, "index"), merged, "a few index files are left as they are");
});
