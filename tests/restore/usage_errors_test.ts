// `kept restore` refuses, with one line and exit code 2, flags that would restore other than what was asked:
// an empty --target (the current folder), a --target holding U+FFFD (Deno's stand-in for bytes that are not
// UTF-8: kept would write elsewhere), and include patterns that can match nothing (a restore of nothing
// that says it succeeded). Nothing is written.

import assert from "node:assert/strict";
import { type Fixture, makeFixture } from "../_support/fixture.ts";
import { runKept } from "../_support/run_cli.ts";
import { includeProblem, planRestore } from "../../lib/restore/mod.ts";
import { UsageError, UserError } from "../../lib/errors.ts";
import { testRepository } from "../_support/repository.ts";
import ignore from "ignore";

async function withSnapshot(test: (fixture: Fixture) => Promise<void>): Promise<void> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "alpha\n");
    await fixture.backup("p");
    Deno.mkdirSync(`${fixture.root}/cwd`);
    await test(fixture);
  } finally {
    await fixture.cleanup();
  }
}

/** Runs `kept restore latest ARGS` in an empty folder; asserts a one-line usage error and nothing written. */
async function refused(fixture: Fixture, args: string[]): Promise<string> {
  const cwd = `${fixture.root}/cwd`;
  const result = await runKept(["--config", fixture.config, "restore", "latest", ...args], {
    cwd,
    env: { KEPT_KDF_N: "1024" },
  });
  assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.deepEqual([...Deno.readDirSync(cwd)], [], "nothing is written");
  return result.stderr.trimEnd();
}

Deno.test("restore --target '' is a usage error, not a restore into the current folder", async () => {
  await withSnapshot(async (fixture) => {
    assert.equal(
      await refused(fixture, ["--target", ""]),
      `kept: Invalid --target "": give the folder to restore into`,
    );
    assert.equal(
      await refused(fixture, ["--target", "", "--dry-run"]),
      `kept: Invalid --target "": give the folder to restore into`,
    );
  });
});

Deno.test("restore --target with bytes that are not UTF-8 (read as U+FFFD) is refused, saying why", async () => {
  await withSnapshot(async (fixture) => {
    const out = `${fixture.root}/caf\uFFFD`;
    const message = `kept: Invalid --target "${out}": it holds U+FFFD, which Deno reads in place of bytes ` +
      `that are not UTF-8, so kept would restore elsewhere than asked: give a path that is UTF-8`;
    assert.equal(await refused(fixture, ["--target", out]), message);
    // The byte 0xE9 itself, as a shell passes it: Deno reads it as U+FFFD, and nothing is written.
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const shell = new Deno.Command("sh", {
      args: [
        "-c",
        `exec "$0" run -A --quiet "$1" --config "$2" restore latest --target "$(printf '%s/caf\\351' "$3")"`,
        Deno.execPath(),
        main,
        fixture.config,
        fixture.root,
      ],
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
    });
    const output = await shell.output();
    assert.equal(output.code, 2);
    assert.equal(new TextDecoder().decode(output.stderr).trimEnd(), message);
    const names = [...Deno.readDirSync(fixture.root)].map((entry) => entry.name).sort();
    assert.deepEqual(names, ["config", "cwd", "repo", "src"]);
  });
});

/** Patterns that can match nothing, and the words that say why. */
const INVALID: Record<string, string> = {
  "[": `its "[" at character 1 is never closed by "]", so it matches nothing (write "\\[" for the character)`,
  "\\": `it ends in a backslash that escapes nothing, so it matches nothing (write "\\\\" for a backslash)`,
  "!": `"!" with no pattern after it matches nothing`,
  "": "an empty pattern matches nothing",
  "  ": "an empty pattern matches nothing",
  "#notes": `a pattern starting with "#" is a comment, which matches nothing (write "\\#" for a name that ` +
    `starts with "#")`,
  "*.txt[": `its "[" at character 6 is never closed by "]", so it matches nothing (write "\\[" for the ` +
    `character)`,
  "[]":
    `its "[" at character 1 is never closed by "]", so it matches nothing (write "\\[" for the character)`,
  "[!]":
    `its "[" at character 1 is never closed by "]", so it matches nothing (write "\\[" for the character)`,
  "[a\\]": `its "[" at character 1 is never closed by "]", so it matches nothing (write "\\[" for the ` +
    `character)`,
  "[[:alpha:]": `its "[" at character 1 is never closed by "]", so it matches nothing (write "\\[" for the ` +
    `character)`,
  "[[:word:]]": `"[:word:]" is no character class (alnum, alpha, blank, cntrl, digit, graph, lower, print, ` +
    `punct, space, upper, xdigit), so it matches nothing`,
  "docs\\/": `its final "/", which only marks a folder, is escaped, so it matches nothing`,
  "/": "a pattern of slashes only matches nothing",
  "!a.txt": `a pattern starting with "!" excepts paths from the patterns before it, and none comes before ` +
    `it (put it after them, or write "\\!" for a name that starts with "!")`,
};

/** Patterns that look odd but match something, as git reads them. */
const VALID = [
  "*.txt",
  "a[]b]",
  "[!]a]",
  "[a-]",
  "[z-a]",
  "[]-a]",
  "[[:alpha:]]",
  "[[]",
  "\\[",
  "\\\\",
  "\\!a",
  "\\#a",
  "a\\ ",
  "a ",
  "docs/",
  "/a",
  "**",
  "\\a",
  "[a\\]]",
];
const NAMES = ["a", "a.txt", "ab", "z", "]", "[", "\\", "!a", "#a", "a ", "docs", "-", "a]b", "q"];

Deno.test("includeProblem() names each pattern that can match nothing, as the matcher reads it", () => {
  for (const [pattern, problem] of Object.entries(INVALID)) {
    assert.deepEqual(includeProblem([pattern]), { pattern, problem }, JSON.stringify(pattern));
    const matcher = ignore().add([pattern]);
    assert.deepEqual(NAMES.filter((name) => matcher.ignores(name)), [], JSON.stringify(pattern));
  }
  for (const pattern of VALID) {
    assert.equal(includeProblem([pattern]), undefined, JSON.stringify(pattern));
    const matcher = ignore().add([pattern]);
    const matched = NAMES.some((name) => matcher.ignores(name) || matcher.ignores(`${name}/`));
    assert.ok(matched, `${JSON.stringify(pattern)} matches one of the names`);
  }
  // An exception after a pattern it excepts from is one; the first problem of a list is the one named.
  assert.equal(includeProblem(["*.txt", "!secret.txt"]), undefined);
  assert.equal(includeProblem(["*.txt", "[", "!"])?.pattern, "[");
});

Deno.test("restore --include with a pattern that matches nothing is a one-line usage error", async () => {
  await withSnapshot(async (fixture) => {
    const out = `${fixture.root}/out`;
    for (const pattern of ["[", "\\", "!", ""]) {
      for (const dryRun of [[], ["--dry-run"]]) {
        assert.equal(
          await refused(fixture, ["--target", out, "--include", "*.txt", "--include", pattern, ...dryRun]),
          `kept: Invalid --include "${pattern}": ${INVALID[pattern]}`,
        );
      }
    }
    assert.throws(() => Deno.lstatSync(out), Deno.errors.NotFound);
  });
});

Deno.test("planRestore() refuses an include pattern that matches nothing, and an empty target", async () => {
  const repository = await testRepository();
  const tree = "00".repeat(32);
  await assert.rejects(
    planRestore(repository, { tree, target: "/nonexistent", include: ["["], asRoot: false }),
    (error) => error instanceof UsageError && error.message.startsWith(`Invalid include pattern "[": `),
  );
  await assert.rejects(
    planRestore(repository, { tree, target: "", asRoot: false }),
    (error) => error instanceof UserError && error.message === `Cannot restore into "": no folder given`,
  );
});

Deno.test("an empty or repeated --path, and --zip-level without --zip, are usage errors, not silently passed by", async () => {
  await withSnapshot(async (fixture) => {
    const target = `${fixture.root}/cwd/out`;
    assert.equal(
      await refused(fixture, ["--target", target, "--path", ""]),
      `kept: Invalid --path "": give a path in the snapshot, e.g. /etc/nginx`,
    );
    assert.equal(
      await refused(fixture, ["--zip", `${fixture.root}/cwd/a.zip`, "--path", ""]),
      `kept: Invalid --path "": give a path in the snapshot, e.g. /etc/nginx`,
    );
    assert.match(
      await refused(fixture, ["--target", target, "--path", "/a", "--path", "/b"]),
      /--path may be given once \(also "\/a"\)/,
    );
    assert.equal(
      await refused(fixture, ["--target", target, "--zip-level", "3"]),
      "kept: --zip-level sets the level of a zip archive: it goes with --zip FILE",
    );
  });
});

Deno.test("a snapshot named after --include's patterns is explained, and -- ends the patterns", async () => {
  await withSnapshot(async (fixture) => {
    const cwd = `${fixture.root}/cwd`;
    const run = (args: string[]) =>
      runKept(["--config", fixture.config, "restore", ...args], { cwd, env: { KEPT_KDF_N: "1024" } });
    const swallowed = await run(["--target", `${cwd}/out`, "--include", "*.txt", "latest"]);
    assert.equal(swallowed.code, 2);
    assert.equal(
      swallowed.stderr,
      `kept: Missing the snapshot to restore: --include took "latest" as a pattern (it takes every word after ` +
        `it): name the snapshot before --include, or end the patterns with --\n`,
    );
    assert.deepEqual([...Deno.readDirSync(cwd)], [], "nothing is written");
    const ended = await run(["--target", `${cwd}/out`, "--include", "*.txt", "--", "latest"]);
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(Deno.readTextFileSync(`${cwd}/out${fixture.root}/src/a.txt`), "alpha\n");
    const none = await run([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^kept: Missing the snapshot to restore: give an id/);
  });
});
