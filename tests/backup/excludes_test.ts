// A plan's excludes, exclude_if_present, ignore_files and exclude_larger_than decide what a backup keeps.

import assert from "node:assert/strict";
import ignore from "ignore";
import { ExcludeMatcher, type ExcludeRules, type FolderRules } from "../../lib/backup/excludes.ts";
import { scanFolder } from "../../lib/backup/folder_scan.ts";
import { nameText, platform } from "../../lib/platform/mod.ts";
import { makeFixture, parseLines } from "../_support/fixture.ts";
import { tempDir } from "../_support/temp_dir.ts";

Deno.test("backup honours excludes, exclude_if_present, per-folder ignore files and exclude_larger_than", async () => {
  const fixture = await makeFixture((root) => ({
    p: {
      sources: [`${root}/src`],
      excludes: ["*.log", "**/node_modules/", `${root}/src/tmp/`],
      exclude_if_present: [".nobackup"],
      ignore_files: [".keptignore"],
      exclude_larger_than: "1MiB",
    },
  }));
  const src = `${fixture.root}/src`;
  try {
    const files: Record<string, string | number> = {
      "keep.txt": "kept",
      "app.log": "excluded by *.log",
      "sub/debug.log": "excluded by *.log in a subfolder",
      "sub/log.txt": "kept: *.log matches names ending in .log only",
      "node_modules/pkg/index.js": "excluded folder",
      "sub/node_modules/x.js": "excluded folder at any depth",
      "other/node_modules": "kept: a file, and the pattern names folders",
      "tmp/scratch": "excluded by the anchored pattern",
      "sub/tmp/keep.txt": "kept: the anchored pattern names only the top tmp/",
      "cache/.nobackup": "",
      "cache/data": "excluded with its folder",
      "cache/deeper/data": "excluded with its folder",
      "proj/.keptignore": "*.o\nbuild/\n!keep.o\n",
      "proj/main.c": "kept",
      "proj/main.o": "excluded by the ignore file",
      "proj/keep.o": "kept: negated in the ignore file",
      "proj/build/out": "excluded by the ignore file",
      "proj/sub/x.o": "excluded: ignore files apply to every folder below theirs",
      "other/y.o": "kept: the ignore file is in proj/ only",
      "big/large.bin": 1024 * 1024 + 1,
      "big/limit.bin": 1024 * 1024,
    };
    for (const [path, content] of Object.entries(files)) {
      Deno.mkdirSync(`${src}/${path.slice(0, path.lastIndexOf("/") + 1)}`, { recursive: true });
      if (typeof content === "number") Deno.writeFileSync(`${src}/${path}`, new Uint8Array(content));
      else Deno.writeTextFileSync(`${src}/${path}`, content);
    }
    await fixture.backup("p");

    const listed = parseLines<{ path: string; type: string }>(
      (await fixture.keptOk(["ls", "latest", src, "--json"])).stdout,
    );
    const kept = listed.filter((e) => e.type === "file").map((e) => e.path.slice(src.length + 1)).sort();
    assert.deepEqual(kept, [
      "big/limit.bin",
      "keep.txt",
      "other/node_modules",
      "other/y.o",
      "proj/.keptignore",
      "proj/keep.o",
      "proj/main.c",
      "sub/log.txt",
      "sub/tmp/keep.txt",
    ]);
    const folders = listed.filter((e) => e.type === "dir").map((e) => e.path.slice(src.length + 1)).sort();
    assert.deepEqual(folders, ["", "big", "other", "proj", "proj/sub", "sub", "sub/tmp"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a source that holds an exclude_if_present marker is kept as an empty folder; a folder below one is left out", async () => {
  const fixture = await makeFixture((root) => ({
    p: { sources: [`${root}/marked`, `${root}/plain`], exclude_if_present: [".nobackup"] },
  }));
  try {
    for (const folder of ["marked", "plain"]) {
      Deno.mkdirSync(`${fixture.root}/${folder}/sub`, { recursive: true });
      Deno.writeTextFileSync(`${fixture.root}/${folder}/a.txt`, folder);
    }
    Deno.writeTextFileSync(`${fixture.root}/marked/.nobackup`, "");
    Deno.writeTextFileSync(`${fixture.root}/plain/sub/.nobackup`, "");
    await fixture.backup("p");
    const listed = parseLines<{ path: string; type: string }>(
      (await fixture.keptOk(["ls", "latest", fixture.root, "--json"])).stdout,
    ).map((entry) => entry.path.slice(fixture.root.length + 1)).filter((path) => path !== "").sort();
    assert.deepEqual(listed, ["marked", "plain", "plain/a.txt"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a source inside a folder an exclude_if_present marker leaves out is kept empty, with the way to it", async () => {
  const fixture = await makeFixture((root) => ({
    p: {
      sources: [`${root}/marked`, `${root}/marked/sub`, `${root}/outer`, `${root}/outer/skipped/deep/source`],
      exclude_if_present: [".nobackup"],
    },
  }));
  try {
    for (const file of ["marked/a.txt", "marked/sub/b.txt", "outer/c.txt", "outer/skipped/d.txt"]) {
      Deno.mkdirSync(`${fixture.root}/${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${fixture.root}/${file}`, file);
    }
    Deno.mkdirSync(`${fixture.root}/outer/skipped/deep/source/more`, { recursive: true });
    Deno.writeTextFileSync(`${fixture.root}/outer/skipped/deep/source/more/e.txt`, "e");
    Deno.writeTextFileSync(`${fixture.root}/outer/skipped/deep/f.txt`, "f");
    Deno.writeTextFileSync(`${fixture.root}/marked/.nobackup`, "");
    Deno.writeTextFileSync(`${fixture.root}/outer/skipped/.nobackup`, "");
    // Exit 0: nothing was lost that the plan asked for (a source below a marker was once left out, exit 3,
    // and one below a marked folder on the way vanished).
    await fixture.backup("p");
    const listed = parseLines<{ path: string }>(
      (await fixture.keptOk(["ls", "latest", fixture.root, "--json"])).stdout,
    ).map((entry) => entry.path.slice(fixture.root.length + 1)).filter((path) => path !== "").sort();
    assert.deepEqual(listed, [
      "marked",
      "marked/sub",
      "outer",
      "outer/c.txt",
      "outer/skipped",
      "outer/skipped/deep",
      "outer/skipped/deep/source",
    ]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a folder a pattern leaves out holds only the way to a source inside it, and that source is kept empty", async () => {
  const fixture = await makeFixture((root) => ({
    p: {
      sources: [`${root}/tree/a`, `${root}/tree/a/b/c`, `${root}/tree/a/secret`],
      excludes: ["b", "secret"],
    },
  }));
  try {
    for (const file of ["a/keep.txt", "a/b/c/f", "a/b/h", "a/b/other/g", "a/secret/key"]) {
      Deno.mkdirSync(`${fixture.root}/tree/${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${fixture.root}/tree/${file}`, file);
    }
    await fixture.backup("p");
    const listed = parseLines<{ path: string }>(
      (await fixture.keptOk(["ls", "latest", `${fixture.root}/tree/a`, "--json"])).stdout,
    ).map((entry) => entry.path.slice(fixture.root.length + "/tree/".length)).sort();
    // What the patterns leave out stays out (b/h and b/other were backed up, unmatched by `b` on their own).
    assert.deepEqual(listed, ["a", "a/b", "a/b/c", "a/keep.txt", "a/secret"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a source inside another that excludes leave out is kept empty, not lost", async () => {
  const fixture = await makeFixture((root) => ({
    p: {
      sources: [`${root}/n/a`, `${root}/n/a/b`, `${root}/n/x/y`],
      excludes: [`${root}/n/a/`, `${root}/n/x/`],
    },
  }));
  try {
    for (const file of ["n/a/g", "n/a/b/f", "n/x/y/h"]) {
      Deno.mkdirSync(`${fixture.root}/${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${fixture.root}/${file}`, file);
    }
    await fixture.backup("p");
    const listed = parseLines<{ path: string }>(
      (await fixture.keptOk(["ls", "latest", `${fixture.root}/n`, "--json"])).stdout,
    ).map((entry) => entry.path.slice(fixture.root.length + 1)).sort();
    // Every source is in the snapshot, empty where the excludes leave out what is in it (docs/plans.md).
    assert.deepEqual(listed, ["n", "n/a", "n/a/b", "n/x", "n/x/y"]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("exclude answers stay right after the matcher starts a fresh cache", () => {
  const matcher = new ExcludeMatcher({
    excludes: ["*.tmp", "/srv/cache/"],
    excludeIfPresent: [],
    ignoreFiles: [],
    excludeLargerThan: undefined,
  });
  // Several times the number of paths one `ignore` instance answers for before it is replaced.
  for (let i = 0; i < 20_000; i++) {
    assert.equal(matcher.isExcluded(`/srv/data/${i}.tmp`, false, []), true, `${i}.tmp`);
    assert.equal(matcher.isExcluded(`/srv/data/${i}.txt`, false, []), false, `${i}.txt`);
    assert.equal(matcher.isExcluded(`/srv/cache/${i}`, false, []), true, `cache/${i}`);
  }
});

Deno.test("the exclude matcher's memory does not grow with the number of files it has seen", async () => {
  const probe = new URL("./_exclude_memory_probe.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config, "--v8-flags=--expose-gc", probe],
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  const { kept, excluded } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(excluded, true);
  // The `ignore` library alone keeps ~40 MB for these 300,000 paths.
  assert.ok(kept < 4 * 1024 * 1024, `the matcher keeps ${kept} bytes after 300,000 paths`);
});

Deno.test("each ignore file is read as git reads it: its own byte-order mark, CR LF line ends", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  const names = [".gitignore", ".keptignore"];
  Deno.writeTextFileSync(`${root}/.gitignore`, "a.txt\r\nc.txt\r\r\n");
  Deno.writeTextFileSync(`${root}/.keptignore`, "\uFEFFsecret.key\n"); // as some Windows editors save it
  const matcher = new ExcludeMatcher({
    excludes: [],
    excludeIfPresent: [],
    ignoreFiles: names,
    excludeLargerThan: undefined,
  });
  const { rules } = matcher.folderRules(root, new Set(names), []);
  const excluded = (name: string) => matcher.isExcluded(`${root}/${name}`, false, rules);
  assert.equal(excluded("secret.key"), true, "the second file's first pattern, after its BOM");
  assert.equal(excluded("a.txt"), true, "a CR LF line");
  assert.equal(excluded("c.txt"), false, "only the CR of CR LF is dropped: the pattern is `c.txt\\r`");
});

Deno.test("ignore files of only blank lines and comments exclude nothing, and every real pattern counts", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  const texts = [
    "",
    "# only comments\n\n   \n \r\n",
    "#a\n  #a\n", // a `#` after spaces starts a pattern, as in git
    "\\#b\n",
    "\uFEFF#c\n",
    "\r\n#x\r\nd\r\n",
    // Only spaces (and one CR) make a blank line: a tab or a no-break space is a name, in git too.
    "# a comment\n\t\n",
    "# a comment\n\u00a0\n",
    "# a comment\n \r\r\n",
  ];
  const names = ["a", "#a", "  #a", "b", "#b", "c", "#c", "d", "x", "#x", "\t", "\u00a0", "\r", " \r"];
  for (const text of texts) {
    Deno.writeTextFileSync(`${root}/.keptignore`, text);
    const matcher = new ExcludeMatcher({
      excludes: text.split("\n"),
      excludeIfPresent: [],
      ignoreFiles: [".keptignore"],
      excludeLargerThan: undefined,
    });
    const { rules } = matcher.folderRules(root, new Set([".keptignore"]), []);
    const library = ignore({ allowRelativePaths: true, ignorecase: false }).add(text);
    for (const name of names) {
      const expected = library.ignores(name);
      const label = `${JSON.stringify(name)} with ${JSON.stringify(text)}`;
      assert.equal(matcher.isExcluded(`${root}/${name}`, false, rules), expected, `ignore file: ${label}`);
      assert.equal(matcher.isExcluded(`/${name}`, false, []), expected, `excludes: ${label}`);
    }
    if (text === texts[1]) assert.ok(names.every((name) => !library.ignores(name)), "comments only");
  }
});

/** A matcher for `rules`, no exclude rules by default. */
function matcherFor(rules: Partial<ExcludeRules>): ExcludeMatcher {
  return new ExcludeMatcher({
    excludes: [],
    excludeIfPresent: [],
    ignoreFiles: [".keptignore"],
    excludeLargerThan: undefined,
    ...rules,
  });
}

/** Writes `files` (path below `root` → text) and the folders they are in. */
function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    Deno.mkdirSync(`${root}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    Deno.writeTextFileSync(`${root}/${path}`, text);
  }
}

/** The rules for the entries of `folder`, below the source `source`, as the walk builds them folder by folder. */
function rulesAt(matcher: ExcludeMatcher, source: string, folder: string): readonly FolderRules[] {
  let rules = matcher.folderRules(source, new Set(Deno.readDirSync(source).map((e) => e.name)), []).rules;
  let path = source;
  for (const part of folder.slice(source.length).split("/").filter((p) => p !== "")) {
    path = `${path}/${part}`;
    rules = matcher.folderRules(path, new Set(Deno.readDirSync(path).map((e) => e.name)), rules).rules;
  }
  return rules;
}

Deno.test("letter case counts in excludes and ignore files, as in git on Linux", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  writeFiles(root, { ".keptignore": "*.log\nünï\nBuild/\n" });
  const matcher = matcherFor({ excludes: ["*.tmp", "Ärger"] });
  const rules = rulesAt(matcher, root, root);
  const cases: [string, boolean, boolean][] = [
    ["a.log", false, true],
    ["A.LOG", false, false],
    ["a.Log", false, false],
    ["ünï", false, true],
    ["Ünï", false, false],
    ["ÜNÏ", false, false],
    ["Build", true, true],
    ["build", true, false],
    ["x.tmp", false, true],
    ["X.TMP", false, false],
    ["Ärger", false, true],
    ["ärger", false, false],
  ];
  for (const [name, isDirectory, expected] of cases) {
    assert.equal(matcher.isExcluded(`${root}/${name}`, isDirectory, rules), expected, name);
  }
  // With nothing known of its parent folders, the plan's excludes are tested on each: in the same way.
  assert.equal(matcher.isExcluded("/srv/X.TMP/a", false, []), false);
  assert.equal(matcher.isExcluded("/srv/x.tmp/a", false, []), true);
});

Deno.test("the deepest ignore file decides, then its last matching line, and ignore files come before excludes", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  writeFiles(root, {
    ".keptignore": "*.bak\n!keep.log\nbuild/\n",
    "sub/.keptignore": "!keep.bak\nother.txt\n!other.txt\n!late.txt\nlate.txt\n!build/\n",
    "sub/deeper/file": "",
    "sub/build/out": "",
  });
  const matcher = matcherFor({ excludes: ["*.log", "plain.txt", "late.txt"] });
  const top = rulesAt(matcher, root, root);
  const sub = rulesAt(matcher, root, `${root}/sub`);
  const deeper = rulesAt(matcher, root, `${root}/sub/deeper`);
  const build = rulesAt(matcher, root, `${root}/sub/build`);
  const cases: [string, boolean, readonly FolderRules[], boolean][] = [
    ["keep.bak", false, top, true],
    ["x.bak", false, top, true],
    ["sub/keep.bak", false, sub, false], // sub/.keptignore's `!keep.bak` wins over the top `*.bak`
    ["sub/x.bak", false, sub, true],
    ["sub/deeper/keep.bak", false, deeper, false], // and applies to every folder below sub/
    ["sub/other.txt", false, sub, false], // the later line of one file wins
    ["sub/late.txt", false, sub, true],
    ["keep.log", false, top, false], // an ignore file wins over the plan's excludes
    ["sub/keep.log", false, sub, false],
    ["x.log", false, top, true],
    ["plain.txt", false, top, true], // the plan's excludes decide where no ignore file speaks
    ["build", true, top, true],
    ["sub/build", true, sub, false], // a folder kept again by a deeper ignore file...
    ["sub/build/out", false, build, false], // ...keeps what is in it: `build/` names the folder only
  ];
  for (const [path, isDirectory, rules, expected] of cases) {
    const label = `${path} (${isDirectory ? "folder" : "file"})`;
    assert.equal(matcher.isExcluded(`${root}/${path}`, isDirectory, rules), expected, label);
  }
});

Deno.test("nothing below a source that the plan's excludes leave out is kept again by an ignore file", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  writeFiles(root, { "cache/.keptignore": "!*\n", "cache/sub/.keptignore": "!*\n" });
  for (const excludes of [[`${root}/cache/`], [`${root}/`], ["cache/"]]) {
    const matcher = matcherFor({ excludes });
    // As git does: a path below an excluded folder cannot be kept again.
    const source = `${root}/cache`;
    const rules = rulesAt(matcher, source, source);
    for (const name of ["x", ".keptignore", "sub"]) {
      assert.equal(
        matcher.isExcluded(`${source}/${name}`, name === "sub", rules),
        true,
        `${excludes}: ${name}`,
      );
    }
    const scan = scanFolder(source, [], matcher);
    assert.deepEqual(scan.kind === "read" ? scan.entries : scan.kind, [], `${excludes}: the scan`);
  }
});

Deno.test("ignore-file patterns apply to names that start with two dots", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  writeFiles(root, { ".keptignore": "*.bak\n..hidden\n", "..d/x.bak": "", "sub/..hidden": "" });
  const matcher = matcherFor({});
  const rules = rulesAt(matcher, root, root);
  for (const path of ["..dotdot.bak", "..bak", "...bak", "..hidden", "..d/x.bak", "sub/..hidden"]) {
    const folder = path.includes("/") ? rulesAt(matcher, root, `${root}/${path.split("/")[0]}`) : rules;
    assert.equal(matcher.isExcluded(`${root}/${path}`, false, folder), true, path);
  }
  assert.equal(matcher.isExcluded(`${root}/..keep`, false, rules), false);
});

Deno.test("an ignore file in a folder whose name is not UTF-8 is read by its bytes", {
  ignore: platform().kind !== "ffi",
}, () => {
  using dir = tempDir("kept-ignore-");
  const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
  {
    using root = platform().openDir(dir.path);
    root.mkdir(latin1("caf\xe9"), 0o755);
    using folder = root.openDir(latin1("caf\xe9"));
    // A pattern holding such a byte matches the names that hold it, as in git.
    using file = folder.createFile(".keptignore", 0o644);
    file.write(latin1("secret\nna\xefve\n"), 0);
  }
  const folder = `${dir.path}/${nameText(latin1("caf\xe9"))}`;
  const matcher = matcherFor({});
  const { rules, problems } = matcher.folderRules(folder, new Set([".keptignore"]), []);
  assert.deepEqual(problems, []);
  assert.equal(matcher.isExcluded(`${folder}/secret`, false, rules), true);
  assert.equal(matcher.isExcluded(`${folder}/${nameText(latin1("na\xefve"))}`, false, rules), true);
  assert.equal(
    matcher.isExcluded(`${folder}/naïve`, false, rules),
    false,
    "the UTF-8 spelling is another name",
  );
  assert.equal(matcher.isExcluded(`${folder}/other`, false, rules), false);
});

Deno.test("an ignore file that is there but cannot be read is a problem naming it", () => {
  using dir = tempDir("kept-ignore-");
  const root = dir.path;
  const names = [".keptignore", ".gitignore"];
  Deno.mkdirSync(`${root}/folder/.keptignore`, { recursive: true });
  Deno.writeTextFileSync(`${root}/folder/.gitignore`, "*.bak\n");
  Deno.mkdirSync(`${root}/dangling`);
  Deno.symlinkSync("nowhere", `${root}/dangling/.keptignore`);
  const matcher = matcherFor({ ignoreFiles: names });
  const folder = matcher.folderRules(`${root}/folder`, new Set(names), []);
  assert.deepEqual(folder.problems.length, 1);
  assert.match(folder.problems[0]!, new RegExp(`^${root}/folder/\\.keptignore: cannot read ignore file: `));
  assert.equal(
    matcher.isExcluded(`${root}/folder/x.bak`, false, folder.rules),
    true,
    "the other file counts",
  );
  const dangling = matcher.folderRules(`${root}/dangling`, new Set(names), []);
  assert.match(
    dangling.problems[0] ?? "",
    new RegExp(`^${root}/dangling/\\.keptignore: cannot read ignore file: `),
  );
  // The walk reports what its scan of the folder found.
  const scan = scanFolder(`${root}/folder`, [], matcher);
  assert.deepEqual(scan.kind === "read" ? scan.problems : scan.kind, folder.problems);
});
