// A failure while restoring keeps its kind: what the file system refuses (`io`) and damaged data
// (`integrity`) are problems of one entry, the rest is restored; a programming error is a bug, which stops
// the restore and reaches the user with its stack (exit 70), never as one more entry not restored.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { restore } from "../../lib/restore/mod.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import { WorkerBugError } from "../../lib/workers/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { makeFixture } from "../_support/fixture.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** A snapshot of two files, the second with a mode that is no number: what only a bug in kept could store. */
async function bugSnapshot(repository: Repository): Promise<string> {
  const craft = new SnapshotCrafter(repository);
  const wrong = { ...craft.file("wrong", "wrong\n"), mode: "0644" as unknown as number };
  return await craft.snapshot([craft.file("right", "right\n"), wrong]);
}

Deno.test("a TypeError in a restore worker stops the restore as a bug, with the worker's stack", async () => {
  using dir = tempDir("kept-worker-error-");
  const repository = await testRepository(await LocalBackend.create(`${dir.path}/repo`));
  const { snapshot } = await repository.findSnapshot(await bugSnapshot(repository));
  const problems: unknown[] = [];
  const error = await restore(repository, {
    tree: snapshot.tree,
    target: `${dir.path}/out`,
    asRoot: false,
    onProblem: (problem) => problems.push(problem),
  }).then(() => undefined, (error) => error);
  assert.ok(error instanceof WorkerBugError, `not a bug: ${error}`);
  assert.match(error.message, /^restore worker: TypeError: /);
  assert.match(error.stack ?? "", /^\s+at .*_restore_worker\.ts/m);
  assert.deepEqual(problems, [], "a bug was reported as an entry not restored");
  assert.deepEqual([...Deno.readDirSync(`${dir.path}/out`)].map((entry) => entry.name), ["right"]);
});

Deno.test("kept restore reports a bug in a worker as an internal error with its stack, exit code 70", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const repository = await fixture.open();
    await repository.loadIndex();
    const id = await bugSnapshot(repository);
    const result = await fixture.kept(["restore", id.slice(0, 16), "--target", `${fixture.root}/out`]);
    assert.equal(result.code, 70, result.stderr);
    assert.match(result.stderr, /^kept: internal error \(this is a bug, please report it\):$/m);
    assert.match(result.stderr, /WorkerBugError: restore worker: TypeError: /);
    assert.match(result.stderr, /^\s+at .*_restore_worker\.ts/m);
    assert.doesNotMatch(result.stderr, /^error: |Restore incomplete/m);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("damaged data and a file system that refuses are problems of one entry: the rest is restored", async () => {
  using dir = tempDir("kept-worker-error-");
  const repository = await testRepository(await LocalBackend.create(`${dir.path}/repo`));
  const craft = new SnapshotCrafter(repository);
  const damaged = craft.file("damaged", "damaged\n");
  const id = await craft.snapshot([
    damaged,
    craft.file("fine", "fine\n"),
    craft.file("blocked", "blocked\n"),
  ]);
  const { snapshot } = await repository.findSnapshot(id);
  await repository.loadIndex();
  // One byte of the damaged file's blob flipped in its pack, read by a worker.
  const location = repository.index.lookup(damaged.content![0]!)!;
  const pack = repository.packs.localPath(location.pack)!;
  const bytes = Deno.readFileSync(pack);
  bytes[location.offset + 20]! ^= 1;
  Deno.writeFileSync(pack, bytes);
  // A folder full of things where "blocked" is written before its rename: the main thread cannot clear it.
  const out = `${dir.path}/out`;
  Deno.mkdirSync(`${out}/blocked.kept-partial`, { recursive: true });
  Deno.writeTextFileSync(`${out}/blocked.kept-partial/inside`, "in the way\n");

  const result = await restore(repository, { tree: snapshot.tree, target: out, asRoot: false });
  const problems = result.problems.map((problem) => `${problem.path}: ${problem.error?.kind}`).sort();
  assert.deepEqual(problems, ["/blocked: io", "/damaged: integrity"]);
  assert.match(result.problems.find((p) => p.path === "/damaged")!.error!.message, /is damaged/);
  assert.equal(Deno.readTextFileSync(`${out}/fine`), "fine\n");
  assert.deepEqual([...Deno.readDirSync(out)].map((entry) => entry.name).sort(), [
    "blocked.kept-partial",
    "fine",
  ]);
});
