// The progress line of backup (and apply), restore and check, seen as a user sees it: in a pseudo-terminal
// (`script -qfc`) the line is drawn and cleared before the summary, or before an interruption is reported;
// `-v` listings stay on lines of their own; piped, with --quiet or --json, there is none.
// deno-lint-ignore-file no-control-regex -- terminal escape codes are what these tests look for

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { makeFixture } from "../_support/fixture.ts";
import { randomBytes } from "../_support/random_bytes.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
/** Incompressible data big enough that backing it up or restoring it takes more than one redraw (250 ms). */
const FILES = 40;
const FILE_BYTES = 3 * 1024 * 1024;

/** Draws of the line: a carriage return, then the text, then "erase to the end of the line". */
const DRAW = /\r((?:backing up|restoring|checking) [^\r]*?)\x1b\[K/g;

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

/**
 * Runs `kept ARGS` under `script` like {@linkcode inTerminal}, and sends it SIGTERM once it has drawn its
 * progress line (not SIGINT, which the shell has a command it starts in the background ignore).
 */
async function interruptedInTerminal(
  args: string[],
  pidFile: string,
): Promise<{ code: number; text: string }> {
  const quoted = [Deno.execPath(), "run", "-A", "--quiet", MAIN, ...args].map((arg) => `'${arg}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qfec", `${quoted} & echo $! > '${pidFile}'; wait $!`, "/dev/null"],
    env: { KEPT_KDF_N: "1024", TZ: "UTC" },
    stdin: "null",
    stdout: "piped",
  }).spawn();
  const drawn = (text: string) => new RegExp(DRAW.source).test(text);
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of child.stdout) {
    const before = drawn(text);
    text += decoder.decode(chunk, { stream: true });
    if (!before && drawn(text)) Deno.kill(Number(await Deno.readTextFile(pidFile)), "SIGTERM");
  }
  return { code: (await child.status).code, text };
}

type Fixture = Awaited<ReturnType<typeof makeFixture>>;

/** Writes the files of plan `p` (`root/data`), from seeds `seed + 1` on; returns their paths. */
async function writeData(fixture: Fixture, seed = 0): Promise<string[]> {
  await Deno.mkdir(`${fixture.root}/data`, { recursive: true });
  const paths: string[] = [];
  for (let index = 0; index < FILES; index++) {
    paths.push(`${fixture.root}/data/f${index}.bin`);
    await Deno.writeFile(paths[index]!, randomBytes(FILE_BYTES, seed + index + 1));
  }
  return paths;
}

/** A fixture with plan `p`, its data written, and (`backedUp`) backed up once. */
async function withData(backedUp: boolean, test: (fixture: Fixture) => Promise<void>) {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/data`] } }));
  try {
    await writeData(fixture);
    if (backedUp) await fixture.backup("p");
    await test(fixture);
  } finally {
    await fixture.cleanup();
  }
}

/**
 * What a terminal ends up showing on each line: the text after the line's last carriage return (a draw
 * or a clear starts there), without the "erase to the end of the line" codes.
 */
function shownLines(text: string): string[] {
  return text.split("\n").map((line) => line.replace(/\r$/, "").split("\r").at(-1)!.replaceAll("\x1b[K", ""))
    .filter((line) => line !== "");
}

Deno.test("the progress line of backup, on a terminal and off it", async (t) => {
  await withData(false, async (fixture) => {
    const config = ["--config", fixture.config];
    await t.step(
      "backup on a terminal draws files and bytes done and clears the line before the summary",
      async () => {
        const { code, text } = await inTerminal([...config, "backup", "p"], {});
        assert.equal(code, 0, text);
        const draws = [...text.matchAll(DRAW)].map((match) => match[1]!);
        assert.ok(draws.length >= 1, `expected a progress line:\n${JSON.stringify(text)}`);
        for (const draw of draws) {
          // Totals marked + while the walk still meets files; the share and ETA once it has met them all.
          assert.match(
            draw,
            /^backing up \d+\/\d+(\+ files, [\d.]+ \w+\/[\d.]+ \w+\+| files, [\d.]+ \w+\/120\.0 MiB, )/,
          );
        }
        assert.match(text, /\r\x1b\[Klocal: snapshot [0-9a-f]{12} saved: 40 files/);
        assert.doesNotMatch(text.slice(text.indexOf("local: snapshot")), DRAW, "no draw after the summary");
        assert.deepEqual(shownLines(text).filter((line) => line.includes("backing up")), []);
      },
    );

    await t.step(
      "backup -v lists every file read on lines of its own, the progress line around them",
      async () => {
        const paths = await writeData(fixture, 100);
        const { code, text } = await inTerminal([...config, "-v", "backup", "p"], { NO_COLOR: "1" });
        assert.equal(code, 0, text);
        const shown = shownLines(text);
        assert.deepEqual(
          shown.filter((line) => line.startsWith("M ")).sort(),
          paths.map((path) => `M ${path}`).sort(),
        );
        assert.match(shown.at(-1)!, /^local: snapshot [0-9a-f]{12} saved: 40 files/);
        assert.ok([...text.matchAll(DRAW)].length >= 1, `expected a progress line:\n${JSON.stringify(text)}`);
        assert.doesNotMatch(text, /\x1b\[[0-9;]*m/, "no colours with NO_COLOR");
      },
    );

    await t.step("backup interrupted on a terminal clears its line for good before it says so", async () => {
      // Three times the data, so that the backup is still running when the signal comes.
      await writeData(fixture, 500);
      const more = [...Array(2 * FILES).keys()].map((i) => `${fixture.root}/data/g${i}.bin`);
      for (const [i, path] of more.entries()) await Deno.writeFile(path, randomBytes(FILE_BYTES, 600 + i));
      const { code, text } = await interruptedInTerminal([...config, "backup", "p"], `${fixture.root}/pid`);
      assert.equal(code, 143, text);
      const said = text.indexOf("kept: interrupted by SIGTERM");
      assert.ok(said > 0 && /\r(backing up [^\r]*?)\x1b\[K/.test(text.slice(0, said)), JSON.stringify(text));
      assert.match(text.slice(0, said), /\r\x1b\[K$/, "the line is cleared before the message");
      assert.doesNotMatch(text.slice(said), /backing up/, "and not drawn again while kept stops");
      for (const path of more) await Deno.remove(path);
    });

    await t.step(
      "backup with --quiet or --json on a terminal, or piped, draws no progress line",
      async () => {
        await writeData(fixture, 200);
        const quiet = await inTerminal([...config, "-q", "backup", "p"], {});
        assert.equal(quiet.code, 0, quiet.text);
        assert.doesNotMatch(quiet.text, /backing up|\r(?!\n)|\x1b/);

        await writeData(fixture, 300);
        const json = await inTerminal([...config, "backup", "p", "--json"], {});
        assert.equal(json.code, 0, json.text);
        assert.doesNotMatch(json.text, /backing up|\x1b/);

        await writeData(fixture, 400);
        const piped = await fixture.kept(["backup", "p"]);
        assert.equal(piped.code, 0, piped.stderr);
        assert.equal(piped.stderr, "");
        assert.doesNotMatch(piped.stdout, /\r|\x1b|backing up/);
      },
    );
  });
});

Deno.test("the progress line of restore and check, on a terminal and off it", async (t) => {
  // One backup for every step: it is the slow part.
  await withData(true, async (fixture) => {
    await t.step(
      "restore on a terminal draws one progress line and clears it before the summary",
      async () => {
        const config = ["--config", fixture.config];
        const { code, text } = await inTerminal(
          [...config, "restore", "latest", "--target", `${fixture.root}/a`],
          {},
        );
        assert.equal(code, 0, text);
        const draws = [...text.matchAll(DRAW)].map((match) => match[1]!);
        // One draw at least: a fast machine restores these 120 MiB within a redraw interval or two (the
        // redraws themselves are progress_test.ts's).
        assert.ok(draws.length >= 1, `expected a progress line:\n${JSON.stringify(text)}`);
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

Deno.test("kept apply on a terminal shows each backup's progress line, and clears it", async () => {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "kept-apply-progress-" }));
  try {
    await Deno.mkdir(`${root}/data`);
    for (let index = 0; index < FILES; index++) {
      await Deno.writeFile(`${root}/data/f${index}.bin`, randomBytes(FILE_BYTES, index + 1));
    }
    const config = `${root}/kept.yaml`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        version: 1,
        state: `${root}/state/state.db`,
        destinations: { local: { url: `${root}/repo`, password: "pw" } },
        plans: { p: { sources: [`${root}/data`], destinations: ["local"], schedule: "15 2 * * *" } },
      }),
    );
    const { code, text } = await inTerminal(["--config", config, "apply"], {});
    assert.equal(code, 0, text);
    const draws = [...text.matchAll(DRAW)].map((match) => match[1]!);
    assert.ok(draws.length >= 1, `expected a progress line:\n${JSON.stringify(text)}`);
    assert.ok(draws.every((draw) => draw.startsWith("backing up ")), JSON.stringify(draws));
    const shown = shownLines(text);
    assert.deepEqual(shown.filter((line) => line.includes("backing up")), []);
    assert.ok(
      shown.some((line) => /^ {2}done: snapshot [0-9a-f]{12} saved, 40 files/.test(line)),
      shown.join("\n"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
