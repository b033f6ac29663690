// planRestore: what a restore will do with each entry, decided before anything is written, as a stream that
// can be read more than once; applyRestore carries it out and reports what the plan refused.

import assert from "node:assert/strict";
import { planRestore, restore, type RestoreEntry, type RestorePlan } from "../../lib/restore/mod.ts";
import type { TreeNode } from "../../lib/repo/types.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { asBlobId } from "../../lib/repo/mod.ts";

const BASE = { mode: 0o644, mtime: 1_600_000_000_000, uid: 0, gid: 0 };

/** A snapshot with one of each kind of entry a plan treats apart, crafted in a repository in memory. */
async function craftedSnapshot() {
  const repository = await testRepository();
  const craft = new SnapshotCrafter(repository);
  const nodes: TreeNode[] = [
    craft.dir("a", [
      craft.file("keep.conf", "kept\n"),
      craft.file("x.txt", "x\n"),
      craft.dir("empty", []),
      craft.dir("sub", [craft.file("other.txt", "other\n")]),
    ]),
    { ...BASE, name: "broken", type: "dir", subtree: asBlobId("00".repeat(32)) }, // a tree the index does not know
    { ...BASE, name: "null", type: "chardev", rdev: 0x0103 },
    { ...BASE, name: "sock", type: "socket" },
    craft.file("top.conf", "top\n"),
    craft.file("../evil", "outside"),
  ];
  const id = await craft.snapshot(nodes);
  const { snapshot } = await repository.findSnapshot(id);
  return { repository, tree: snapshot.tree };
}

/** "ACTION PATH" for each entry, with the reason or error kind of those not restored. */
async function summary(plan: RestorePlan): Promise<string[]> {
  const lines: string[] = [];
  for await (const entry of plan) lines.push(describe(entry));
  return lines;
}

function describe(entry: RestoreEntry): string {
  const why = entry.reason ?? entry.error?.kind;
  return `${entry.action} ${entry.path}${why ? ` (${why})` : ""}`;
}

Deno.test("planRestore says what happens to each entry, depth first, and writes nothing", async () => {
  using dir = tempDir("kept-plan-");
  const { repository, tree } = await craftedSnapshot();
  const target = `${dir.path}/out`;
  const plan = await planRestore(repository, { tree, target, asRoot: false });
  assert.equal(plan.target, target);
  const expected = [
    "create /a",
    "create /a/keep.conf",
    "create /a/x.txt",
    "create /a/empty",
    "create /a/sub",
    "create /a/sub/other.txt",
    "fail /broken (integrity)",
    "refuse /null (needs_root)",
    "omit /sock",
    "create /top.conf",
    "refuse /../evil (unsafe_name)",
  ];
  assert.deepEqual(await summary(plan), expected);
  assert.deepEqual(await summary(plan), expected, "a plan is walked again each time it is read");
  assert.throws(() => Deno.lstatSync(target), Deno.errors.NotFound);

  const entries: RestoreEntry[] = [];
  for await (const entry of plan) entries.push(entry);
  const file = entries.find((entry) => entry.path === "/a/keep.conf")!;
  assert.equal(file.target, `${target}/a/keep.conf`);
  assert.equal(file.partial, `${target}/a/keep.conf.kept-partial`);
  assert.equal(entries.find((entry) => entry.path === "/../evil")!.target, undefined);
  assert.match(entries.find((entry) => entry.path === "/broken")!.error!.message, /not in the index/);

  const asRoot = await planRestore(repository, { tree, target, asRoot: true });
  assert.ok((await summary(asRoot)).includes("create /null"), "as root, device nodes are created");
});

Deno.test("with include, a folder is planned only once something below it is, and none is left empty", async () => {
  using dir = tempDir("kept-plan-");
  const { repository, tree } = await craftedSnapshot();
  const plan = await planRestore(repository, {
    tree,
    target: `${dir.path}/out`,
    include: ["*.conf"],
    asRoot: false,
  });
  assert.deepEqual(await summary(plan), [
    "create /a",
    "create /a/keep.conf",
    "fail /broken (integrity)",
    "create /top.conf",
    "refuse /../evil (unsafe_name)",
  ]);
});

Deno.test("with include, a folder refused is reported only when something below it would match", async () => {
  using dir = tempDir("kept-plan-");
  const { repository, tree } = await craftedSnapshot();
  const target = `${dir.path}/out`;
  // Files where the snapshot has the folders a/empty (nothing below it) and a/sub (other.txt below it).
  Deno.mkdirSync(`${target}/a`, { recursive: true });
  Deno.writeTextFileSync(`${target}/a/empty`, "in the way\n");
  Deno.writeTextFileSync(`${target}/a/sub`, "in the way\n");
  const plan = await planRestore(repository, { tree, target, include: ["*.txt"], asRoot: false });
  assert.deepEqual(await summary(plan), [
    "skip /a",
    "create /a/x.txt",
    "refuse /a/sub (not_a_folder)",
    "fail /broken (integrity)",
    "refuse /../evil (unsafe_name)",
  ]);
  // Matching the folder itself, or following a path through it, it is in the way again.
  const named = await planRestore(repository, { tree, target, include: ["empty"], asRoot: false });
  assert.ok((await summary(named)).includes("refuse /a/empty (not_a_folder)"));
  const below = await planRestore(repository, {
    tree,
    target,
    path: "/a/sub",
    include: ["*.txt"],
    asRoot: false,
  });
  assert.deepEqual(await summary(below), ["refuse /a/sub (not_a_folder)"]);
  const elsewhere = await planRestore(repository, {
    tree,
    target,
    path: "/a/sub",
    include: ["*.conf"],
    asRoot: false,
  });
  assert.deepEqual(await summary(elsewhere), []);
});

Deno.test("a restore carries the plan out and reports each entry it refused or could not restore", async () => {
  using dir = tempDir("kept-plan-");
  const { repository, tree } = await craftedSnapshot();
  const target = `${dir.path}/out`;
  const seen: string[] = [];
  const result = await restore(repository, {
    tree,
    target,
    asRoot: false,
    onProblem: (problem) => seen.push(describe(problem)),
  });
  const problems = ["fail /broken (integrity)", "refuse /null (needs_root)", "refuse /../evil (unsafe_name)"];
  assert.deepEqual(result.problems.map(describe), problems);
  assert.deepEqual(seen, problems);
  assert.equal(result.target, target);
  assert.deepEqual({ ...result, problems: [], target: "" }, {
    files: 4,
    dirs: 3,
    bytes: 5 + 2 + 6 + 4,
    skipped: 0,
    replaced: 0,
    problems: [],
    target: "",
    warnings: [],
  });
  assert.deepEqual([...Deno.readDirSync(target)].map((entry) => entry.name).sort(), ["a", "top.conf"]);
  assert.equal(Deno.readTextFileSync(`${target}/a/sub/other.txt`), "other\n");
});
