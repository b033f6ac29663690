// Restore: never replaces what it did not write unless told to, resumes, restores parts, and cannot be
// made to write outside its target by a hostile snapshot.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { assertSameTree, scanTree } from "../_support/tree_differ.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { type Fixture, makeFixture, nodeAt, packFiles } from "../_support/fixture.ts";
import { chownTree, NOBODY, runKeptAsNobody } from "../_support/as_nobody.ts";

async function sourceFixture(): Promise<{ fixture: Fixture; src: string }> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  Deno.mkdirSync(`${src}/docs/deep`, { recursive: true });
  Deno.mkdirSync(`${src}/bin`);
  Deno.writeTextFileSync(`${src}/a.txt`, "alpha\n");
  Deno.writeTextFileSync(`${src}/docs/readme.md`, "# read me\n");
  Deno.writeTextFileSync(`${src}/docs/notes.txt`, "notes\n");
  Deno.writeTextFileSync(`${src}/docs/deep/x.txt`, "deep\n");
  Deno.writeTextFileSync(`${src}/bin/tool`, "#!/bin/sh\necho tool\n", { mode: 0o755 });
  Deno.chmodSync(`${src}/bin/tool`, 0o755);
  Deno.symlinkSync("a.txt", `${src}/link`);
  writeRandomFile(`${src}/big.bin`, 5_000_000, 9);
  await fixture.backup("p");
  return { fixture, src };
}

/** Gives `path` the modification time of `from`, to the nanosecond. */
function copyTime(from: string, path: string): void {
  const touched = new Deno.Command("touch", { args: ["-m", "-r", from, path] }).outputSync();
  assert.ok(touched.success, new TextDecoder().decode(touched.stderr));
}

/** Runs `test` on a fixture whose plan "p" backs up the folder `src` (made empty), then cleans up. */
async function withSource(test: (fixture: Fixture, src: string) => Promise<void>): Promise<void> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    await test(fixture, `${fixture.root}/src`);
  } finally {
    await fixture.cleanup();
  }
}

/** Relative paths of every file and symlink below `root`. */
function listFiles(root: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of [...Deno.readDirSync(root)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) out.push(...listFiles(`${root}/${entry.name}`, `${path}/`));
    else out.push(path);
  }
  return out;
}

Deno.test("restore refuses to replace a different file without --overwrite and replaces it with it", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    const restored = `${out}${src}`;
    // Same size, different content and time: still different from the snapshot.
    Deno.writeTextFileSync(`${restored}/a.txt`, "ALPHA\n");
    Deno.writeTextFileSync(`${restored}/docs/notes.txt`, "a much longer local edit\n");

    const refused = await fixture.kept(["restore", "latest", "--target", out]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`${restored}/a.txt exists and differs .*--overwrite`));
    assert.match(refused.stderr, new RegExp(`${restored}/docs/notes.txt exists and differs`));
    assert.equal(Deno.readTextFileSync(`${restored}/a.txt`), "ALPHA\n");
    assert.equal(Deno.readTextFileSync(`${restored}/docs/notes.txt`), "a much longer local edit\n");

    const replaced = await fixture.kept(["restore", "latest", "--target", out, "--overwrite"]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assertSameTree(src, restored);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("--overwrite replaces a file whose size and time were kept, by its content; a changed mode differs", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    const restored = `${out}${src}`;
    const inodeBefore = Deno.statSync(`${restored}/docs/readme.md`).ino;
    // Tampered with, size and time kept: a plain rerun cannot tell, --overwrite reads it.
    const keepTime = (path: string, edit: () => void) => {
      Deno.writeTextFileSync(`${fixture.root}/time-of`, "");
      copyTime(path, `${fixture.root}/time-of`);
      edit();
      copyTime(`${fixture.root}/time-of`, path);
    };
    keepTime(`${restored}/a.txt`, () => Deno.writeTextFileSync(`${restored}/a.txt`, "ALPHA\n"));
    const big = Deno.readFileSync(`${restored}/big.bin`);
    big[4_000_000] = big[4_000_000]! ^ 1;
    keepTime(`${restored}/big.bin`, () => Deno.writeFileSync(`${restored}/big.bin`, big));
    Deno.chmodSync(`${restored}/bin/tool`, 0o777);

    const rerun = await fixture.kept(["restore", "latest", "--target", out]);
    assert.equal(rerun.code, 1, rerun.stderr);
    assert.match(rerun.stderr, new RegExp(`${restored}/bin/tool exists and differs`));
    assert.doesNotMatch(rerun.stderr, /a\.txt|big\.bin/); // size and time match: a rerun cannot tell
    assert.equal(Deno.readTextFileSync(`${restored}/a.txt`), "ALPHA\n");

    const replaced = await fixture.kept(["restore", "latest", "--target", out, "--overwrite"]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /3 replaced/);
    assertSameTree(src, restored);
    assert.equal(Deno.statSync(`${restored}/bin/tool`).mode! & 0o7777, 0o755);
    // What matched was read, not written again.
    assert.equal(Deno.statSync(`${restored}/docs/readme.md`).ino, inodeBefore);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("--overwrite keeps a file whose blobs the index lost: it could not be written again", async () => {
  await withSource(async (fixture, src) => {
    writeRandomFile(`${src}/f`, 200_000, 3);
    const bytes = Deno.readFileSync(`${src}/f`);
    await fixture.backup("p");
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    // The data pack (the tree pack, far smaller, stays): its blob is gone from the index.
    const [dataPack] = packFiles(fixture.repo).sort((a, b) => Deno.statSync(b).size - Deno.statSync(a).size);
    Deno.removeSync(dataPack!);
    await fixture.keptOk(["repair", "index"]);
    const rerun = await fixture.kept(["restore", "latest", "--target", out, "--overwrite"]);
    assert.match(rerun.stderr + rerun.stdout, /already present/);
    assert.deepEqual(Deno.readFileSync(`${out}${src}/f`), bytes, rerun.stderr);
  });
});

Deno.test("a rerun links a hard-link group again where one of its files was deleted, and with --overwrite where one was copied", async () => {
  await withSource(async (fixture, src) => {
    Deno.mkdirSync(`${src}/d`, { recursive: true });
    Deno.writeTextFileSync(`${src}/hl1`, "linked\n");
    Deno.linkSync(`${src}/hl1`, `${src}/hl2`);
    Deno.linkSync(`${src}/hl1`, `${src}/d/hl3`);
    await fixture.backup("p");
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    const restored = `${out}${src}`;
    const inodes = () =>
      [`${restored}/hl1`, `${restored}/hl2`, `${restored}/d/hl3`].map((p) => Deno.statSync(p).ino);
    // One deleted: made again as a link to the group's file that is there.
    Deno.removeSync(`${restored}/hl1`);
    await fixture.keptOk(["restore", "latest", "--target", out]);
    assert.equal(new Set(inodes()).size, 1, `one inode: ${inodes()}`);
    assert.equal(Deno.statSync(`${restored}/hl1`).nlink, 3);
    // A copy in place of one (same content, size and time): the others are no longer linked to the file
    // the group is taken from, and are replaced only when told to.
    Deno.removeSync(`${restored}/d/hl3`);
    Deno.writeTextFileSync(`${restored}/d/hl3`, "linked\n");
    copyTime(`${restored}/hl2`, `${restored}/d/hl3`);
    const plain = await fixture.kept(["restore", "latest", "--target", out]);
    assert.equal(plain.code, 1, plain.stderr);
    assert.match(plain.stderr, /hl1 exists and differs from the snapshot \(use --overwrite/);
    await fixture.keptOk(["restore", "latest", "--target", out, "--overwrite"]);
    assert.equal(new Set(inodes()).size, 1, `one inode: ${inodes()}`);
  });
});

Deno.test("restoring into the same target again keeps finished files and completes the rest", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    const restored = `${out}${src}`;
    const inodeBefore = Deno.statSync(`${restored}/docs/readme.md`).ino;
    // An interrupted restore: two files missing, one left as a partial copy.
    Deno.removeSync(`${restored}/big.bin`);
    Deno.removeSync(`${restored}/docs/deep/x.txt`);
    Deno.writeFileSync(`${restored}/big.bin.kept-partial`, new Uint8Array(1000));

    const resumed = await fixture.kept(["restore", "latest", "--target", out]);
    assert.equal(resumed.code, 0, resumed.stderr);
    // 7 files and symlinks in the snapshot, 2 of them missing.
    assert.match(resumed.stdout, /restored snapshot \w+: 2 files, .* \(5 already present\)/);
    assert.equal(
      Deno.statSync(`${restored}/docs/readme.md`).ino,
      inodeBefore,
      "a finished file was rewritten",
    );
    assertSameTree(src, restored);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("restore --path keeps the path's place below the target, with the snapshot's folders leading to it", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out, "--path", `${src}/docs`]);
    // /etc/ssh goes to TARGET/etc/ssh, as everything else: not to TARGET/ssh.
    const rel = src.slice(1);
    assert.deepEqual(listFiles(out), [
      `${rel}/docs/deep/x.txt`,
      `${rel}/docs/notes.txt`,
      `${rel}/docs/readme.md`,
    ]);
    assertSameTree(`${src}/docs`, `${out}${src}/docs`);
    // The folders on the way get the mode and time they have in the snapshot (/tmp: 1777).
    const repository = await fixture.open();
    for (let folder = src; folder !== ""; folder = folder.slice(0, folder.lastIndexOf("/"))) {
      const node = await nodeAt(repository, "latest", folder);
      const restored = Deno.statSync(`${out}${folder}`);
      assert.equal((restored.mode ?? 0) & 0o7777, node.mode, `mode of ${folder}`);
      assert.equal(restored.mtime?.getTime(), node.mtime, `time of ${folder}`);
    }

    const one = `${fixture.root}/one`;
    await fixture.keptOk(["restore", "latest", "--target", one, "--path", `${src}/bin/tool`]);
    assert.deepEqual(listFiles(one), [`${rel}/bin/tool`]);
    assertSameTree(scanTree(`${src}/bin`, { skip: (path) => path !== "tool" }), `${one}${src}/bin`);

    const missing = await fixture.kept(["restore", "latest", "--target", `${out}2`, "--path", `${src}/nope`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /is not in the snapshot/);
    const throughFile = await fixture.kept([
      "restore",
      "latest",
      "--target",
      `${out}2`,
      "--path",
      `${src}/a.txt/x`,
    ]);
    assert.equal(throughFile.code, 1);
    assert.match(throughFile.stderr, /a\.txt" is not a folder in the snapshot/);
    assert.throws(() => Deno.lstatSync(`${out}2`), Deno.errors.NotFound);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("restore --include restores only matching paths and the folders leading to them", async () => {
  const { fixture, src } = await sourceFixture();
  try {
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out, "--include", "*.txt"]);
    const rel = src.slice(1);
    assert.deepEqual(listFiles(out), [`${rel}/a.txt`, `${rel}/docs/deep/x.txt`, `${rel}/docs/notes.txt`]);
    // No empty folder for bin/, which holds nothing that matches.
    assert.throws(() => Deno.lstatSync(`${out}${src}/bin`), Deno.errors.NotFound);

    const two = `${fixture.root}/out2`;
    // gitignore semantics, matched against the snapshot path: a leading "/" anchors at the root.
    await fixture.keptOk([
      "restore",
      "latest",
      "--target",
      two,
      "--include",
      `${src}/docs/deep/`,
      "--include",
      "*.bin",
    ]);
    assert.deepEqual(listFiles(two), [`${rel}/big.bin`, `${rel}/docs/deep/x.txt`]);
    assertSameTree(scanTree(`${src}/docs/deep`), scanTree(`${two}${src}/docs/deep`));
  } finally {
    await fixture.cleanup();
  }
});

/** Every path below `root` except the folders named in `except`, recursively, with types. */
function inventory(root: string, except: string[]): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    for (const entry of Deno.readDirSync(path)) {
      const child = `${path}/${entry.name}`;
      if (except.includes(child)) continue;
      out.push(`${child}${entry.isSymlink ? "@" : entry.isDirectory ? "/" : ""}`);
      if (entry.isDirectory && !entry.isSymlink) walk(child);
    }
  };
  walk(root);
  return out.sort();
}

Deno.test("a snapshot with '..', '/' and absolute names cannot write outside the restore target", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const jail = `${fixture.root}/jail`;
    const target = `${jail}/target`;
    Deno.mkdirSync(target, { recursive: true });
    const repository = await fixture.open();
    await repository.loadIndex();
    const craft = new SnapshotCrafter(repository);
    const snapshot = await craft.snapshot([
      craft.dir("..", [craft.file("escaped-dotdot", "via ..")]),
      craft.dir(".", [craft.file("escaped-dot", "via .")]),
      craft.dir("a", [craft.file("inner", "inner")]),
      craft.file("a/b", "via a slash"),
      craft.file("../escaped-relative", "via ../"),
      craft.file("../../escaped-twice", "via ../../"),
      craft.file(`${jail}/escaped-absolute`, "via an absolute name"),
      craft.file("", "empty name"),
      craft.file("nul\0byte", "NUL"),
      craft.dir("sub", [craft.dir("..", [craft.dir("..", [craft.file("escaped-nested", "nested ..")])])]),
      craft.file("ok", "a harmless file"),
    ]);
    const before = inventory(fixture.root, [target, fixture.repo]);

    const result = await fixture.kept(["restore", snapshot.slice(0, 16), "--target", target]);
    assert.equal(result.code, 1, result.stderr);
    const unsafe = result.stderr.split("\n").filter((line) => line.includes("unsafe name"));
    assert.equal(unsafe.length, 9, result.stderr);
    assert.match(result.stderr, /Restore incomplete: 9 entries could not be restored/);

    assert.deepEqual(
      inventory(fixture.root, [target, fixture.repo]),
      before,
      "something appeared outside the target",
    );
    assert.deepEqual(inventory(target, []), [
      `${target}/a/`,
      `${target}/a/inner`,
      `${target}/ok`,
      `${target}/sub/`,
    ]);
    assert.equal(Deno.readTextFileSync(`${target}/ok`), "a harmless file");

    const viaPath = await fixture.kept([
      "restore",
      snapshot.slice(0, 16),
      "--target",
      target,
      "--path",
      "/..",
    ]);
    assert.equal(viaPath.code, 1);
    assert.deepEqual(inventory(fixture.root, [target, fixture.repo]), before);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a symlink in the target, or listed twice in a snapshot, cannot redirect a restore outside it", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const outside = `${fixture.root}/outside`;
    const target = `${fixture.root}/target`;
    Deno.mkdirSync(outside);
    Deno.writeTextFileSync(`${outside}/victim`, "untouched");
    const repository = await fixture.open();
    await repository.loadIndex();

    // A duplicate name: first a symlink to the outside, then a folder or file of the same name.
    const twice = new SnapshotCrafter(repository);
    const duplicate = await twice.snapshot([
      twice.symlink("esc", outside),
      twice.dir("esc", [twice.file("victim", "overwritten through a duplicate")]),
      twice.symlink("file", `${outside}/victim`),
      twice.file("file", "overwritten through a duplicate file"),
    ], "twice");
    const refused = await fixture.kept(["restore", duplicate.slice(0, 16), "--target", target]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /lists "esc" twice/);
    assert.equal(Deno.readTextFileSync(`${outside}/victim`), "untouched");
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["victim"]);

    // Symlinks already in the target (from an earlier restore, or planted) where the snapshot has a folder and a file.
    Deno.mkdirSync(target, { recursive: true });
    Deno.symlinkSync(outside, `${target}/esc`);
    Deno.symlinkSync(`${outside}/victim`, `${target}/file`);
    const later = new SnapshotCrafter(repository);
    const snapshot = await later.snapshot([
      later.dir("esc", [later.file("victim", "overwritten through a symlink")]),
      later.file("file", "overwritten through a symlinked file"),
    ], "later");
    const blocked = await fixture.kept(["restore", snapshot.slice(0, 16), "--target", target]);
    assert.equal(blocked.code, 1, blocked.stderr);
    assert.equal(Deno.readTextFileSync(`${outside}/victim`), "untouched");

    const replaced = await fixture.kept([
      "restore",
      snapshot.slice(0, 16),
      "--target",
      target,
      "--overwrite",
    ]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(Deno.readTextFileSync(`${outside}/victim`), "untouched");
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["victim"]);
    assert.ok(Deno.lstatSync(`${target}/esc`).isDirectory);
    assert.equal(Deno.readTextFileSync(`${target}/esc/victim`), "overwritten through a symlink");
    assert.equal(Deno.readTextFileSync(`${target}/file`), "overwritten through a symlinked file");
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("restore finishes, and sets every folder's time, on trees deeper and wider than it lets wait", async () => {
  // Walked folders wait for their files with a bound (256), which must never stop the walk from reaching
  // the files they wait for: 300 nested folders and 600 empty siblings hit it both ways.
  const fixture = await makeFixture(() => ({}));
  try {
    const repository = await fixture.open();
    await repository.loadIndex();
    const craft = new SnapshotCrafter(repository);
    let deep = craft.dir("d", [craft.file("leaf", "at the bottom")]);
    for (let depth = 1; depth < 300; depth++) {
      deep = craft.dir("d", [deep, craft.file(`f${depth}`, `${depth}`)]);
    }
    const wide = craft.dir("wide", Array.from({ length: 600 }, (_, i) => craft.dir(`e${i}`, [])));
    const snapshot = await craft.snapshot([deep, wide]);
    const target = `${fixture.root}/out`;

    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"still running after 60 s">((resolve) =>
      timer = setTimeout(() => resolve("still running after 60 s"), 60_000)
    );
    const result = await Promise.race([
      fixture.kept(["restore", snapshot.slice(0, 16), "--target", target]),
      timeout,
    ]);
    clearTimeout(timer);
    assert.notEqual(result, "still running after 60 s");
    if (typeof result === "string") return;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /300 files, 901 folders/);
    const deepest = `${target}/${Array(300).fill("d").join("/")}`;
    assert.equal(Deno.readTextFileSync(`${deepest}/leaf`), "at the bottom");
    for (const folder of [`${target}/d`, deepest, `${target}/wide`, `${target}/wide/e599`]) {
      assert.equal(Deno.statSync(folder).mtime?.getTime(), 1_600_000_000_000, folder);
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a restore run again as a user other than root goes into the read-only folders it restored", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/ro/inner`, { recursive: true });
    Deno.mkdirSync(`${src}/closed`);
    Deno.writeTextFileSync(`${src}/ro/inner/g`, "g\n");
    Deno.writeTextFileSync(`${src}/closed/h`, "h\n");
    Deno.chmodSync(`${src}/ro/inner`, 0o555);
    Deno.chmodSync(`${src}/ro`, 0o555);
    Deno.chmodSync(`${src}/closed`, 0o000);
    await fixture.backup("p");
    await chownTree(fixture.repo, NOBODY);
    await chownTree(fixture.config, NOBODY);
    const out = `${fixture.root}/out`;
    Deno.mkdirSync(out);
    await chownTree(out, NOBODY);
    const restore = () =>
      runKeptAsNobody(fixture.root, ["--config", fixture.config, "restore", "latest", "--target", out]);
    const first = await restore();
    assert.equal(first.code, 0, first.stderr);
    // Again, as an interrupted restore is resumed: the folders now have the snapshot's modes.
    const again = await restore();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\(2 already present\)/);
    Deno.removeSync(`${out}${src}/ro/inner/g`);
    Deno.removeSync(`${out}${src}/closed/h`);
    const resumed = await restore();
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(Deno.readTextFileSync(`${out}${src}/ro/inner/g`), "g\n");
    assert.equal(Deno.readTextFileSync(`${out}${src}/closed/h`), "h\n");
    for (const [folder, mode] of [["ro", 0o555], ["ro/inner", 0o555], ["closed", 0o000]] as const) {
      assert.equal(Deno.statSync(`${out}${src}/${folder}`).mode! & 0o7777, mode, folder);
    }
  } finally {
    Deno.chmodSync(`${src}/closed`, 0o700);
    await fixture.cleanup();
  }
});

Deno.test("a target or zip archive below a file or a missing folder is said in kept's words, naming that one", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a`, "a");
    Deno.writeTextFileSync(`${fixture.root}/file`, "");
    await fixture.backup("p");
    const cases: [string[], string][] = [
      [
        ["--target", `${fixture.root}/file/out`],
        `Cannot restore into "${fixture.root}/file/out": ${fixture.root}/file is not a folder`,
      ],
      [
        ["--zip", `${fixture.root}/file/a.zip`],
        `Cannot write the zip archive ${fixture.root}/file/a.zip: ${fixture.root}/file is not a folder`,
      ],
      [
        ["--zip", `${fixture.root}/none/a.zip`],
        `Cannot write the zip archive ${fixture.root}/none/a.zip: its folder ${fixture.root}/none does not exist`,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await fixture.kept(["restore", "latest", ...args]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, `kept: ${message}\n`);
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a rerun as a user other than root takes a file whose setgid bit the system cleared as already there", async () => {
  await withSource(async (fixture, src) => {
    Deno.writeTextFileSync(`${src}/tool`, "#!/bin/sh\n");
    Deno.chmodSync(`${src}/tool`, 0o2755);
    await fixture.backup("p");
    await chownTree(fixture.repo, NOBODY);
    await chownTree(fixture.config, NOBODY);
    // A target whose folders pass their group (root's) on: nobody, not in it, may not set setgid there.
    const out = `${fixture.root}/out`;
    Deno.mkdirSync(out);
    Deno.chownSync(out, NOBODY, 0);
    Deno.chmodSync(out, 0o2775);
    const restore = () =>
      runKeptAsNobody(fixture.root, ["--config", fixture.config, "restore", "latest", "--target", out]);
    const first = await restore();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(Deno.statSync(`${out}${src}/tool`).mode! & 0o7777, 0o755, "the system cleared setgid");
    const again = await restore();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\(1 already present\)/);
  });
});
