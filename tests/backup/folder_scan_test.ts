// Folders read ahead of a backup while the key is derived: the same view of the tree the walk would
// take (excludes included), each scan handed out once; after the repository is open, a small tree is
// left to the walk and a large one is read on ahead of it by a worker, with the same answers.

import assert from "node:assert/strict";
import { FolderScans, scanFolder } from "../../lib/backup/folder_scan.ts";
import { ExcludeMatcher } from "../../lib/backup/excludes.ts";
import { writtenSince } from "../../lib/backup/file_changed.ts";
import { lstatEntry } from "../../lib/backup/entry_stat.ts";
import { platform } from "../../lib/platform/mod.ts";
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

/** What the walk passes for `path`: no ignore files above it, and its lstat. */
const take = (scans: FolderScans, path: string) => scans.take(path, [], lstatEntry(path));

Deno.test("scans made ahead follow the plan's excludes and are handed out once", async () => {
  const root = makeTree();
  try {
    const plan = testPlan([root], {
      excludes: ["*.log", `${root}/cache/`],
      excludeIfPresent: [".nobackup"],
      excludeLargerThan: 1000,
    });
    const scans = FolderScans.start(plan, { until: new Promise((resolve) => setTimeout(resolve, 200)) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(names(await take(scans, root)), ["a", "marked"], "cache/ is excluded");
    assert.deepEqual(names(await take(scans, `${root}/a`)), ["b", "one.txt"], "big.bin is too large");
    assert.deepEqual(names(await take(scans, `${root}/a/b`)), [], "*.log is excluded");
    assert.equal((await take(scans, `${root}/marked`))?.kind, "excluded");
    assert.equal(await take(scans, `${root}/cache`), undefined, "an excluded folder is not read");
    assert.equal(await take(scans, root), undefined, "a scan is handed out once");
    // The same answers as reading the folder when the walk gets there.
    assert.deepEqual(names(scanFolder(`${root}/a`, [], new ExcludeMatcher(plan))), ["b", "one.txt"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("scanning a small tree ahead stops once the repository is open", async () => {
  const root = makeTree();
  try {
    using scans = FolderScans.start(testPlan([root]), { until: Promise.resolve() });
    await new Promise((resolve) => setTimeout(resolve, 100));
    scans.readAheadInWorker();
    assert.equal(take(scans, root), undefined, "nothing is read after `until` settled");
    using failed = FolderScans.start(
      testPlan([root]),
      { until: Promise.reject(new Error("wrong password")) },
      0,
    );
    failed.readAheadInWorker();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(take(failed, root), undefined, "nor after it failed, whatever the tree");
    using first = FolderScans.start(testPlan([root]), { until: Promise.resolve() }, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(take(first, root), undefined, "nor for a backup that did not ask (a first one)");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("scanning ahead starts when the window's `from` settles, not before", async () => {
  const root = makeTree();
  try {
    let from!: () => void;
    using scans = FolderScans.start(testPlan([root]), {
      from: new Promise<void>((resolve) => from = resolve),
      until: new Promise((resolve) => setTimeout(resolve, 400)),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(scans.some(() => true), false, "nothing scanned while the key files are read");
    from();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(names(await take(scans, `${root}/a`)), ["b", "big.bin", "one.txt"]);
    // A window that closes before it opens (the repository failed to open) scans nothing.
    using never = FolderScans.start(testPlan([root]), {
      from: new Promise(() => {}),
      until: Promise.reject(new Error("no repository")),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(take(never, root), undefined);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("the scans tell a backup early whether any file was written since its parent", async () => {
  const root = makeTree();
  try {
    const scans = FolderScans.start(testPlan([root]), {
      until: new Promise((resolve) => setTimeout(resolve, 200)),
    });
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
      await take(scans, folder);
    }
    assert.equal(scans.some(() => true), false);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an unreadable folder is recorded for the walk to report", () => {
  const matcher = new ExcludeMatcher(testPlan([]));
  const scan = scanFolder("/nonexistent/kept-scan", [], matcher);
  assert.equal(scan.kind, "unreadable");
  assert.match(
    scan.kind === "unreadable" ? scan.problem : "",
    /^\/nonexistent\/kept-scan: cannot read folder: /,
  );
  // Read by another thread, which could not: read again here, with the same words.
  const packed = platform().packDir("/nonexistent/kept-scan");
  assert.deepEqual(scanFolder("/nonexistent/kept-scan", [], matcher, undefined, packed), scan);
});

Deno.test("after the repository is open a worker reads a large tree on, ahead of the walk, with the same answers", async () => {
  const root = makeTree();
  try {
    for (let i = 0; i < 30; i++) {
      Deno.mkdirSync(`${root}/a/b/deep${i}/deeper`, { recursive: true });
      Deno.writeTextFileSync(`${root}/a/b/deep${i}/deeper/f${i}.txt`, String(i));
    }
    const plan = testPlan([root], { excludes: ["*.log", `${root}/cache/`], excludeIfPresent: [".nobackup"] });
    const matcher = new ExcludeMatcher(plan);
    // Opened at once (nothing read before), and "large" from 0 entries: all of it is the worker's.
    using scans = FolderScans.start(plan, { until: Promise.resolve() }, 0);
    scans.readAheadInWorker();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const folders = [root, `${root}/a`, `${root}/a/b`, `${root}/marked`];
    for (let i = 0; i < 30; i++) folders.push(`${root}/a/b/deep${i}`, `${root}/a/b/deep${i}/deeper`);
    // Taken in the walk's order or not, each scan is what the walk would read itself.
    for (const folder of [...folders.slice(0, 3), ...folders.slice(3).reverse()]) {
      const scan = await take(scans, folder);
      assert.ok(scan, folder);
      assert.deepEqual(names(scan), names(scanFolder(folder, [], matcher, lstatEntry(folder))), folder);
    }
    assert.equal(scans.some(() => true), false, "every scan was handed out");
    // A folder not scanned ahead (excluded here) is asked of the worker when the walk wants it.
    const asked = take(scans, `${root}/cache`);
    assert.ok(asked instanceof Promise);
    const cache = `${root}/cache`;
    assert.deepEqual(await asked, scanFolder(cache, [], matcher, lstatEntry(cache)));
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a tree of small folders is left to the walk, however large", async () => {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-scan-" }));
  try {
    // 3,600 folders of one file each: far more than a 10 ms window scans.
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 60; j++) {
        Deno.mkdirSync(`${root}/x${i}/y${j}`, { recursive: true });
        Deno.writeTextFileSync(`${root}/x${i}/y${j}/f`, "");
      }
    }
    lstatEntry(root); // the C library is loaded before the window starts, not in it
    using scans = FolderScans.start(testPlan([root]), {
      until: new Promise((resolve) => setTimeout(resolve, 10)),
    }, 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    scans.readAheadInWorker();
    assert.equal((await take(scans, root))?.kind, "read", "scanned ahead");
    // A folder not scanned ahead is left to the walk (undefined), which reads a folder of one entry sooner
    // than a worker would answer for it (a promise).
    const taken = [];
    for (let i = 0; i < 60; i++) for (let j = 0; j < 60; j++) taken.push(take(scans, `${root}/x${i}/y${j}`));
    assert.ok(taken.includes(undefined), "the window was too short to scan every folder");
    assert.equal(taken.filter((scan) => scan instanceof Promise).length, 0);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("the worker reads ahead on its own, with nothing taken", async () => {
  const root = makeTree();
  try {
    using scans = FolderScans.start(testPlan([root]), { until: Promise.resolve() }, 0);
    scans.readAheadInWorker();
    // Nothing taken: the worker reads the whole (small) tree ahead on its own.
    const deadline = Date.now() + 5_000;
    while (!scans.some((info) => info.size === 5000) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(scans.some((info) => info.size === 5000), true, "a/big.bin was read ahead");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
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

Deno.test("a source inside another is scanned ahead with the outer source's ignore files, in either order", async () => {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-scan-" }));
  try {
    const a = `${root}/nest/a`;
    Deno.mkdirSync(`${a}/b`, { recursive: true });
    Deno.writeTextFileSync(`${a}/.keptignore`, "*.bak\n");
    for (const file of ["y.bak", "b/x.bak", "b/keep"]) Deno.writeTextFileSync(`${a}/${file}`, file);
    for (const sources of [[a], [a, `${a}/b`], [`${a}/b`, a], [`${a}/b/`, `${a}//`, a]]) {
      const plan = testPlan(sources, { ignoreFiles: [".keptignore"] });
      using scans = FolderScans.start(plan, { until: new Promise((resolve) => setTimeout(resolve, 200)) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The walk reaches a/b from a (a source inside another is part of it), with a's rules.
      const outer = await take(scans, a);
      assert.deepEqual(names(outer), [".keptignore", "b"], sources.join(", "));
      const rules = outer?.kind === "read" ? outer.rules : [];
      const inner = await scans.take(`${a}/b`, rules, lstatEntry(`${a}/b`));
      assert.deepEqual(names(inner), ["keep"], `${sources.join(", ")}: x.bak is left out`);
      assert.equal(scans.some(() => true), false, `${sources.join(", ")}: nothing else was scanned`);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
