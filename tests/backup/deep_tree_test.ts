// A tree nested almost as deep as a path may be long (PATH_MAX, 4096 bytes) backs up, restores and zips:
// the walk handed each folder out on its parent's call stack, and 1,300 levels overflowed it (exit 1 with
// Deno's uncaught RangeError and a stale lock).

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const LEVELS = 1900;

Deno.test("a tree 1,900 folders deep backs up twice, restores and zips", async () => {
  using dir = tempDir("kept-deep-");
  const root = Deno.realPathSync(dir.path);
  const deepest = `${root}/src/${"d/".repeat(LEVELS)}`;
  Deno.mkdirSync(deepest, { recursive: true });
  Deno.writeTextFileSync(`${deepest}f.txt`, "at the bottom");
  const config = `${root}/kept.yaml`;
  Deno.writeTextFileSync(
    config,
    JSON.stringify({
      version: 1,
      destinations: { local: { url: `${root}/repo`, password: "pw" } },
      plans: { deep: { sources: [`${root}/src`], destinations: ["local"] } },
    }),
  );
  const kept = async (...args: string[]) => {
    const result = await runKept(["--config", config, ...args], { env: { KEPT_KDF_N: "1024" } });
    assert.equal(
      result.code,
      0,
      `kept ${args.join(" ")} failed (${result.code}):\n${result.stderr.slice(0, 2000)}`,
    );
    return result;
  };
  await kept("init", "local");
  const first = await kept("backup", "deep");
  assert.match(first.stdout, /1 files, 1903 folders/);
  const repeat = await kept("backup", "deep"); // walks against the parent snapshot's trees
  assert.match(repeat.stdout, /1903 folders/);

  await kept("restore", "latest", "--target", `${root}/out`);
  assert.equal(Deno.readTextFileSync(`${root}/out${deepest}f.txt`), "at the bottom");
  await kept("restore", "latest", "--zip", `${root}/deep.zip`);
  assert.ok(Deno.statSync(`${root}/deep.zip`).size > LEVELS * 2 * 30, "every folder is in the zip");
  await kept("check", "--read-data");
});
