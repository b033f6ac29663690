// A backup leaves out what git leaves out (git 2.x on Linux, core.ignorecase=false): the plan's excludes
// stand for git's info/exclude and `ignore_files: [.gitignore]` are git's own, so one tree answers both.

import assert from "node:assert/strict";
import { describePath, nameText, platform } from "../../lib/platform/mod.ts";
import { makeFixture } from "../_support/fixture.ts";
import { tempDir } from "../_support/temp_dir.ts";

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
/** A folder whose name is not UTF-8 (the FFI platform only: Deno's file API cannot name it). */
const CAFE = latin1("caf\xe9");
const withFfi = platform().kind === "ffi";

/** The plan's excludes, in git's info/exclude: no pattern anchored, so both read them alike. */
const EXCLUDES = ["*.log", "scratch*/"];

/** The tree: path → text. Each comment says what git does with it. */
const FILES: Record<string, string> = {
  ".gitignore": [
    "*.bak",
    "build/",
    "ünï",
    "!important.log",
    "*.tmp",
    "!keep.tmp",
    "!late.txt",
    "late.txt",
    "cache/",
    "",
  ].join("\n"),
  "x.log": "left out by the plan's excludes",
  "X.LOG": "kept: letter case counts",
  "important.log": "kept: an ignore file wins over the plan's excludes",
  "ünï": "left out",
  "Ünï": "kept: letter case counts beyond ASCII too",
  "a.bak": "left out",
  "A.BAK": "kept",
  "..dotdot.bak": "left out: a name starting with `..` is a name like any other",
  "..keep": "kept",
  "keep.tmp": "kept: the later line wins",
  "other.tmp": "left out",
  "late.txt": "left out: the later line wins",
  "build/out": "left out with its folder",
  "Build/out": "kept",
  "scratchdir/f": "left out with its folder, by the plan's excludes",
  "cache/f": "left out with its folder",
  "sub/.gitignore": "!keep.bak\n!build/\n!scratchx/\n!cache/f\n",
  "sub/keep.bak": "kept: the deeper ignore file wins",
  "sub/other.bak": "left out",
  "sub/build/out": "kept: the deeper ignore file keeps the folder",
  "sub/build/x.bak": "left out",
  "sub/scratchx/f": "kept: an ignore file keeps a folder the plan's excludes leave out",
  "sub/cache/f": "left out: nothing in an excluded folder is kept again",
  "sub/deep/.gitignore": "keep.bak\n",
  "sub/deep/keep.bak": "left out: the deepest ignore file wins",
};

/** What is kept, below the source. */
const KEPT = [
  ".gitignore",
  "..keep",
  "A.BAK",
  "Build/out",
  "X.LOG",
  "important.log",
  "keep.tmp",
  "sub/.gitignore",
  "sub/build/out",
  "sub/deep/.gitignore",
  "sub/keep.bak",
  "sub/scratchx/f",
  "Ünï",
];

/** Adds `caf\xe9/` with an ignore file leaving out `secret`, which git and kept read by bytes. */
function writeCafe(src: string): string[] {
  using root = platform().openDir(src);
  root.mkdir(CAFE, 0o755);
  using folder = root.openDir(CAFE);
  for (const [name, text] of [[".gitignore", "secret\n"], ["secret", "left out"], ["other", "kept"]]) {
    using file = folder.createFile(name!, 0o644);
    file.write(new TextEncoder().encode(text), 0);
  }
  const cafe = nameText(CAFE);
  return [`${cafe}/.gitignore`, `${cafe}/other`];
}

/** What git leaves in `src` (untracked and not ignored), or undefined without git. */
async function gitKeeps(src: string): Promise<string[] | undefined> {
  using gitDir = tempDir("kept-git-");
  const env = {
    GIT_DIR: gitDir.path,
    GIT_WORK_TREE: src,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  const git = async (...args: string[]) => {
    const output = await new Deno.Command("git", { args, env, stderr: "inherit" }).output();
    assert.equal(output.code, 0, `git ${args.join(" ")}`);
    return output.stdout;
  };
  try {
    await git("init", "--quiet");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  Deno.writeTextFileSync(`${gitDir.path}/info/exclude`, EXCLUDES.join("\n") + "\n");
  const listed = await git("-c", "core.ignorecase=false", "ls-files", "-z", "--others", "--exclude-standard");
  const paths: string[] = [];
  for (let start = 0; start < listed.length;) {
    const end = listed.indexOf(0, start);
    paths.push(nameText(listed.subarray(start, end)));
    start = end + 1;
  }
  return paths.sort();
}

Deno.test("a backup leaves out what git leaves out: case, precedence, `..` names, folders not named in UTF-8", async () => {
  const fixture = await makeFixture((root) => ({
    p: { sources: [`${root}/src`], excludes: EXCLUDES, ignore_files: [".gitignore"] },
  }));
  try {
    const src = `${fixture.root}/src`;
    for (const [path, text] of Object.entries(FILES)) {
      Deno.mkdirSync(`${src}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
      Deno.writeTextFileSync(`${src}/${path}`, text);
    }
    const expected = [...KEPT, ...(withFfi ? writeCafe(src) : [])].sort();

    const result = await fixture.keptOk(["backup", "p", "-v", "--dry-run"]);
    assert.doesNotMatch(result.stderr, /warning|ignore file/i);
    const kept = result.stdout.split("\n").filter((line) => line.startsWith("+ "))
      .map((line) => line.slice(`+ ${src}/`.length)).sort();
    assert.deepEqual(kept, expected.map((path) => describePath(path)).sort());

    const git = await gitKeeps(src);
    if (git === undefined) {
      console.warn("git is not installed: the comparison with git is skipped");
      return;
    }
    assert.deepEqual(git, expected, "git agrees");
  } finally {
    await fixture.cleanup();
  }
});
