// A plan's excludes, exclude_if_present, ignore_files and exclude_larger_than decide what a backup keeps.

import assert from "node:assert/strict";
import ignore from "ignore";
import { ExcludeMatcher } from "../../lib/backup/excludes.ts";
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
  const rules = matcher.folderRules(root, new Set(names), []);
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
    const rules = matcher.folderRules(root, new Set([".keptignore"]), []);
    const library = ignore({ allowRelativePaths: true }).add(text);
    for (const name of names) {
      const expected = library.ignores(name);
      const label = `${JSON.stringify(name)} with ${JSON.stringify(text)}`;
      assert.equal(matcher.isExcluded(`${root}/${name}`, false, rules), expected, `ignore file: ${label}`);
      assert.equal(matcher.isExcluded(`/${name}`, false, []), expected, `excludes: ${label}`);
    }
    if (text === texts[1]) assert.ok(names.every((name) => !library.ignores(name)), "comments only");
  }
});
