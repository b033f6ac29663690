// The progress line of restore and check, seen as a user sees it: in a pseudo-terminal (`script -qfc`)
// the line is drawn, redrawn and cleared before the summary; piped, with --quiet or --json, there is none.
// deno-lint-ignore-file no-control-regex -- terminal escape codes are what these tests look for

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { makeFixture } from "../_support/fixture.ts";
import { randomBytes } from "../_support/random_bytes.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
/** Incompressible data big enough that restoring it takes more than one redraw interval (250 ms). */
const FILES = 40;
const FILE_BYTES = 3 * 1024 * 1024;

/** Draws of the line: a carriage return, then the text, then "erase to the end of the line". */
const DRAW = /\r((?:restoring|checking) [^\r]*?)\x1b\[K/g;

/** Runs `kept ARGS` under `script`, so that its stdout and stderr are a terminal; returns what it printed. */
async function inTerminal(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; text: string }> {
  const quoted = [Deno.execPath(), "run", "-A", "--quiet", MAIN, ...args].map((arg) => `'${arg}'`).join(" ");
  const { code, stdout } = await new Deno.Command("script", {
    args: ["-qfec", quoted, "/dev/null"],
    env: { KEPT_KDF_N: "1024", TZ: "UTC", ...env },
    stdin: "null",
  }).output();
  return { code, text: new TextDecoder().decode(stdout) };
}

async function withBackup(test: (fixture: Awaited<ReturnType<typeof makeFixture>>) => Promise<void>) {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/data`] } }));
  try {
    await Deno.mkdir(`${fixture.root}/data`);
    for (let index = 0; index < FILES; index++) {
      await Deno.writeFile(`${fixture.root}/data/f${index}.bin`, randomBytes(FILE_BYTES, index + 1));
    }
    await fixture.backup("p");
    await test(fixture);
  } finally {
    await fixture.cleanup();
  }
}

Deno.test("the progress line of restore and check, on a terminal and off it", async (t) => {
  // One backup for every step: it is the slow part.
  await withBackup(async (fixture) => {
    await t.step(
      "restore on a terminal redraws one progress line and clears it before the summary",
      async () => {
        const config = ["--config", fixture.config];
        const { code, text } = await inTerminal(
          [...config, "restore", "latest", "--target", `${fixture.root}/a`],
          {},
        );
        assert.equal(code, 0, text);
        const draws = [...text.matchAll(DRAW)].map((match) => match[1]!);
        assert.ok(draws.length >= 2, `expected the line to be redrawn:\n${JSON.stringify(text)}`);
        assert.match(draws.at(-1)!, /^restoring \d+\/40 files, [\d.]+ \w+\/120\.0 MiB, \x1b\[1m\d+%/);
        assert.match(text, /\r\x1b\[Krestored snapshot [0-9a-f]{12}: 40 files/);

        const plain = await inTerminal([...config, "restore", "latest", "--target", `${fixture.root}/b`], {
          NO_COLOR: "1",
        });
        assert.ok([...plain.text.matchAll(DRAW)].length >= 1, plain.text);
        assert.doesNotMatch(plain.text, /\x1b\[[0-9;]*m/, "no colours with NO_COLOR");

        const quiet = await inTerminal(
          [...config, "-q", "restore", "latest", "--target", `${fixture.root}/c`],
          {},
        );
        assert.equal(quiet.code, 0, quiet.text);
        assert.doesNotMatch(quiet.text, /restoring|\x1b/);
      },
    );

    await t.step("restore and check --read-data piped or with --json print no progress line", async () => {
      const piped = await fixture.kept(["restore", "latest", "--target", `${fixture.root}/a`]);
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stderr, "");
      assert.doesNotMatch(piped.stdout, /\r|\x1b|restoring/);

      const json = await inTerminal(["--config", fixture.config, "check", "--read-data", "--json"], {});
      assert.equal(json.code, 0, json.text);
      assert.doesNotMatch(json.text, /checking|\x1b/);
    });

    await t.step("check --read-data on a terminal draws the packs read and clears the line", async () => {
      const { code, text } = await inTerminal(["--config", fixture.config, "check", "--read-data"], {});
      assert.equal(code, 0, text);
      const draws = [...text.matchAll(DRAW)].map((match) => match[1]!);
      assert.ok(draws.length >= 1, JSON.stringify(text));
      assert.match(draws[0]!, /^checking \d+\/\d+ packs, /);
      assert.match(text, /\r\x1b\[Klocal: no errors in 1 snapshots/);
    });
  });
});
