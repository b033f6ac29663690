// A restore works through handles of the folders it writes in (docs/restore.md#restore-safety): it closes
// every one of them, whether its entries were written, refused or failed, and a folder swapped for a
// symlink before the restore enters it fails as one entry, with nothing written where the symlink points.

import assert from "node:assert/strict";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { applyRestore, planRestore } from "../../lib/restore/mod.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Descriptors of this process open on `path` or below it (Linux: /proc/self/fd). */
function descriptorsBelow(path: string): string[] {
  const open: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      if (target === path || target.startsWith(`${path}/`)) open.push(target);
    } catch {
      // closed meanwhile (the descriptor readDir used)
    }
  }
  return open;
}

async function nestedSnapshot(repository: Repository): Promise<string> {
  const craft = new SnapshotCrafter(repository);
  const { snapshot } = await repository.findSnapshot(
    await craft.snapshot([
      craft.dir("a", [craft.dir("b", [craft.file("f", "f\n")]), craft.file("g", "g\n")]),
      craft.dir("c", [craft.file("h", "h\n"), craft.symlink("l", "h")]),
      craft.file("top", "top\n"),
    ]),
  );
  return snapshot.tree;
}

Deno.test({
  name: "a restore closes every folder it opened, whether its entries were written or failed",
  ignore: Deno.build.os !== "linux",
  async fn() {
    using dir = tempDir("kept-handles-");
    const repository = await testRepository(new MemoryBackend());
    const tree = await nestedSnapshot(repository);
    await repository.loadIndex();
    const out = `${dir.path}/out`;
    const first = await applyRestore(
      await planRestore(repository, { tree, target: out, asRoot: false }),
      repository,
    );
    assert.deepEqual(first.problems, []);
    assert.deepEqual(descriptorsBelow(dir.path), []);

    // Again, with everything in the way: each entry refused.
    Deno.writeTextFileSync(`${out}/top`, "changed\n");
    Deno.removeSync(`${out}/a`, { recursive: true });
    Deno.writeTextFileSync(`${out}/a`, "not a folder\n");
    const second = await applyRestore(
      await planRestore(repository, { tree, target: out, asRoot: false }),
      repository,
    );
    assert.deepEqual(second.problems.map((problem) => problem.path).sort(), ["/a", "/top"]);
    assert.deepEqual(descriptorsBelow(dir.path), []);
  },
});

Deno.test("a folder swapped for a symlink between planning and writing fails alone, not followed", async () => {
  using dir = tempDir("kept-handles-");
  const repository = await testRepository(new MemoryBackend());
  const tree = await nestedSnapshot(repository);
  await repository.loadIndex();
  const out = `${dir.path}/out`;
  Deno.mkdirSync(`${out}/a`, { recursive: true }); // there already: planned as `skip`, entered by the restore
  Deno.mkdirSync(`${dir.path}/outside`, { mode: 0o700 });
  const plan = await planRestore(repository, { tree, target: out, asRoot: false });
  const entries = plan[Symbol.asyncIterator]();
  // The plan looks at the target just before each entry is written: swap `a` once it has been looked at.
  const swapped = {
    target: plan.target,
    overwrite: plan.overwrite,
    asRoot: plan.asRoot,
    async *[Symbol.asyncIterator]() {
      for (let next = await entries.next(); !next.done; next = await entries.next()) {
        if (next.value.path === "/a") {
          Deno.removeSync(`${out}/a`);
          Deno.symlinkSync(`${dir.path}/outside`, `${out}/a`);
        }
        yield next.value;
      }
    },
  };
  const result = await applyRestore(swapped, repository);
  assert.deepEqual(result.problems.map((problem) => [problem.path, problem.error?.kind]), [["/a", "io"]]);
  assert.match(
    result.problems[0]!.error!.message,
    /"[^"]*\/out\/a" was replaced by a symlink during the restore; not followed/,
  );
  assert.deepEqual([...Deno.readDirSync(`${dir.path}/outside`)], []);
  assert.equal(Deno.lstatSync(`${dir.path}/outside`).mode! & 0o7777, 0o700);
  assert.equal(Deno.readTextFileSync(`${out}/c/h`), "h\n", "the rest is restored");
});
