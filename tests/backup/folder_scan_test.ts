// Folders read ahead of a backup while the key is derived: the same view of the tree the walk would
// take (excludes included), each scan handed out once, and no scanning after the repository is open.

import assert from "node:assert/strict";
import { FolderScans, scanFolder } from "../../lib/backup/folder_scan.ts";
import { ExcludeMatcher } from "../../lib/backup/excludes.ts";
import { writtenSince } from "../../lib/backup/file_changed.ts";
import { lstatEntry } from "../../lib/backup/entry_stat.ts";
import { testPlan } from "../_support/plan.ts";

function makeTree(): string {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-scan-" }));
  Deno.mkdirSync(`${root}/a/b`, { recursive: true });
  Deno.mkdirSync(`${root}/cache`);
  Deno.mkdirSync(`${root}/marked`);
  Deno.writeTextFileSync(`${root}/a/one.txt`, "1");
  Deno.writeTextFileSync(`${root}/a/b/two.log`, "2");
  Deno.writeTextFileSync(`${root}/a/big.bin`, "x".repeat(5000));
  Deno.writeTextFileSync(`${root}/cache/c.txt`, "c");
  Deno.writeTextFileSync(`${root}/marked/.nobackup`, "");
  return root;
}

const names = (scan: ReturnType<typeof scanFolder> | undefined) =>
  scan?.kind === "read" ? scan.entries.map((e) => e.name).sort() : scan?.kind;

Deno.test("scans made ahead follow the plan's excludes and are handed out once", async () => {
  const root = makeTree();
  try {
    const plan = testPlan([root], {
      excludes: ["*.log", `${root}/cache/`],
      excludeIfPresent: [".nobackup"],
      excludeLargerThan: 1000,
    });
    const scans = FolderScans.start(plan, new Promise((resolve) => setTimeout(resolve, 200)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(names(scans.take(root)), ["a", "marked"], "cache/ is excluded");
    assert.deepEqual(names(scans.take(`${root}/a`)), ["b", "one.txt"], "big.bin is too large");
    assert.deepEqual(names(scans.take(`${root}/a/b`)), [], "*.log is excluded");
    assert.equal(scans.take(`${root}/marked`)?.kind, "excluded");
    assert.equal(scans.take(`${root}/cache`), undefined, "an excluded folder is not read");
    assert.equal(scans.take(root), undefined, "a scan is handed out once");
    // The same answers as reading the folder when the walk gets there.
    assert.deepEqual(names(scanFolder(`${root}/a`, [], new ExcludeMatcher(plan))), ["b", "one.txt"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("scanning ahead stops once the repository is open", async () => {
  const root = makeTree();
  try {
    const scans = FolderScans.start(testPlan([root]), Promise.resolve());
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(scans.take(root), undefined, "nothing is read after `until` settled");
    const failed = FolderScans.start(testPlan([root]), Promise.reject(new Error("wrong password")));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(failed.take(root), undefined);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("the scans tell a backup early whether any file was written since its parent", async () => {
  const root = makeTree();
  try {
    const scans = FolderScans.start(testPlan([root]), new Promise((resolve) => setTimeout(resolve, 200)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The tree's files may straddle a second: the newest is the one a parent must predate.
    const ctimes = ["a/one.txt", "a/b/two.log", "a/big.bin", "cache/c.txt", "marked/.nobackup"]
      .map((file) => Deno.lstatSync(`${root}/${file}`).ctime!.getTime());
    const second = Math.floor(Math.max(...ctimes) / 1000) * 1000;
    assert.equal(scans.some((info) => writtenSince(info, undefined)), true, "no parent: every file is read");
    assert.equal(
      scans.some((info) => writtenSince(info, second + 999)),
      true,
      "written in the parent's second",
    );
    assert.equal(
      scans.some((info) => writtenSince(info, second + 1000)),
      false,
      "all written before the parent",
    );
    assert.equal(scans.some((info) => info.type === "dir"), true);
    // Only scans not yet handed to the walk count.
    for (const folder of [root, `${root}/a`, `${root}/a/b`, `${root}/cache`, `${root}/marked`]) {
      scans.take(folder);
    }
    assert.equal(scans.some(() => true), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an unreadable folder is recorded for the walk to report", () => {
  const scan = scanFolder("/nonexistent/kept-scan", [], new ExcludeMatcher(testPlan([])));
  assert.equal(scan.kind, "unreadable");
  assert.match(
    scan.kind === "unreadable" ? scan.problem : "",
    /^\/nonexistent\/kept-scan: cannot read folder: /,
  );
});

Deno.test("a folder swapped for a symlink since its parent was read is not followed", () => {
  const root = makeTree();
  try {
    const matcher = new ExcludeMatcher(testPlan([root]));
    Deno.mkdirSync(`${root}/outside`);
    Deno.writeTextFileSync(`${root}/outside/secret`, "");
    const seen = lstatEntry(`${root}/a`);
    Deno.renameSync(`${root}/a`, `${root}/a-moved`);
    Deno.symlinkSync("outside", `${root}/a`);
    for (const expected of [seen, undefined]) {
      const scan = scanFolder(`${root}/a`, [], matcher, expected);
      assert.equal(scan.kind, "unreadable", names(scan)?.toString());
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a folder reached through a folder swapped for a symlink since is not read", () => {
  const root = makeTree();
  try {
    const matcher = new ExcludeMatcher(testPlan([root]));
    Deno.mkdirSync(`${root}/outside/b`, { recursive: true });
    Deno.writeTextFileSync(`${root}/outside/b/secret`, "");
    const seen = lstatEntry(`${root}/a/b`);
    Deno.renameSync(`${root}/a`, `${root}/a-moved`);
    Deno.symlinkSync("outside", `${root}/a`);
    const scan = scanFolder(`${root}/a/b`, [], matcher, seen);
    assert.equal(scan.kind, "unreadable", names(scan)?.toString());
    assert.match(scan.kind === "unreadable" ? scan.problem : "", /a\/b: cannot read folder: it was replaced/);
    // The folder it was, moved with its parent, is still that folder.
    assert.deepEqual(names(scanFolder(`${root}/a-moved/b`, [], matcher, seen)), ["two.log"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
