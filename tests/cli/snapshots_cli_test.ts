// `kept snapshots` over several destinations: one list, oldest first (docs/json.md), in text and JSON; the
// exit code of destinations that cannot be read follows the README's rule, and `--help` says so.

import assert from "node:assert/strict";
import { ExitCode } from "../../lib/errors.ts";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** A config with destinations `a` and `b`, and `extra` ones. */
function config(root: string, extra: Record<string, { url: string; password: string }> = {}): string {
  Deno.mkdirSync(`${root}/src`);
  Deno.writeTextFileSync(`${root}/src/f`, "f\n");
  Deno.mkdirSync(`${root}/config`);
  Deno.writeTextFileSync(
    `${root}/config/kept.yaml`,
    JSON.stringify({
      version: 1,
      destinations: {
        a: { url: `${root}/a`, password: "pw" },
        b: { url: `${root}/b`, password: "pw" },
        ...extra,
      },
      plans: { p: { sources: [`${root}/src`], destinations: ["a", "b"] } },
    }),
  );
  return `${root}/config`;
}

Deno.test("kept snapshots lists the snapshots of every destination oldest first, in text and JSON", async () => {
  using temp = tempDir("kept-snapshots-");
  const dir = config(temp.path);
  const kept = async (...args: string[]) => {
    const result = await runKept(["--config", dir, ...args], {
      env: { KEPT_KDF_N: "1024", TZ: "UTC" },
    });
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  await kept("init", "a");
  await kept("init", "b");
  // b holds the oldest and the newest snapshot, a the one between.
  const times = [["b", "2026-11-01T10:00:00Z"], ["a", "2026-11-02T10:00:00Z"], ["b", "2026-11-03T10:00:00Z"]];
  for (const [destination, time] of times) {
    await kept("backup", "p", "--destination", destination!, "--time", time!, "--quiet");
  }

  const listed = JSON.parse(await kept("snapshots", "--json")) as { time: string; destination: string }[];
  assert.deepEqual(
    listed.map(({ destination, time }) => [destination, time]),
    times.map(([destination, time]) => [destination, time!.replace("Z", ".000Z")]),
  );
  const text = (await kept("snapshots")).split("\n").slice(1, 4);
  assert.deepEqual(text.map((line) => /^\S+ +(\S+) .* (a|b) /.exec(line)?.slice(1)), [
    ["2026-11-01", "b"],
    ["2026-11-02", "a"],
    ["2026-11-03", "b"],
  ]);
});

Deno.test("kept snapshots ends with the failures' code when every destination fails alike, as --help says", async () => {
  using temp = tempDir("kept-snapshots-");
  // `bad` opens `a`'s repository with a wrong password.
  const dir = config(temp.path, { bad: { url: `${temp.path}/a`, password: "not the password" } });
  const env = { KEPT_KDF_N: "1024" };
  assert.equal((await runKept(["--config", dir, "init", "a"], { env })).code, 0);
  const wrong = await runKept(["--config", dir, "snapshots", "--destination", "bad"], { env });
  assert.equal(wrong.code, ExitCode.wrongPassword, wrong.stderr);
  const help = await runKept(["snapshots", "--help"]);
  assert.equal(help.code, 0);
  const words = help.stdout.replace(/\s+/g, " ");
  assert.match(
    words,
    /the exit code is then 1, or the failures' code \(10, 11, 12\) when every destination failed alike/,
  );
  assert.match(words, /oldest first/);
});
