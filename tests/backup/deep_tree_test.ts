// A tree nested almost as deep as a path may be long (PATH_MAX, 4096 bytes) backs up, lists, compares,
// restores and zips: the walk handed each folder out on its parent's call stack, and 1,300 levels
// overflowed it (exit 1 with Deno's uncaught RangeError); `ls` and `diff` recursed through nested
// generators and overflowed at ~1,850.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const LEVELS = 1900;

/** A config with one plan of `sources` at destination "local" in `root`, and a kept that must succeed. */
function setUp(root: string, sources: string[]) {
  const config = `${root}/kept.yaml`;
  Deno.writeTextFileSync(
    config,
    JSON.stringify({
      version: 1,
      destinations: { local: { url: `${root}/repo`, password: "pw" } },
      plans: { deep: { sources, destinations: ["local"] } },
    }),
  );
  return async (...args: string[]) => {
    const result = await runKept(["--config", config, ...args], { env: { KEPT_KDF_N: "1024" } });
    assert.equal(
      result.code,
      0,
      `kept ${args.join(" ")} failed (${result.code}):\n${result.stderr.slice(0, 2000)}`,
    );
    return result;
  };
}

/** The number of entries a zip archive says it holds (its end of central directory record). */
function zipEntries(path: string): number {
  const bytes = Deno.readFileSync(path);
  const view = new DataView(bytes.buffer);
  for (let at = bytes.length - 22; at >= 0; at--) {
    if (view.getUint32(at, true) === 0x06054b50) return view.getUint16(at + 10, true);
  }
  throw new Error(`${path} has no end of central directory`);
}

Deno.test("a tree 1,900 folders deep backs up twice, lists, compares, restores and zips", async () => {
  using dir = tempDir("kept-deep-");
  const root = Deno.realPathSync(dir.path);
  const deepest = `${root}/src/${"d/".repeat(LEVELS)}`;
  Deno.mkdirSync(deepest, { recursive: true });
  Deno.writeTextFileSync(`${deepest}f.txt`, "at the bottom");
  const kept = setUp(root, [`${root}/src`]);
  await kept("init", "local");
  const first = await kept("backup", "deep", "--json");
  assert.match((await kept("backup", "deep")).stdout, /1903 folders/, "against the parent snapshot's trees");
  Deno.writeTextFileSync(`${deepest}f.txt`, "changed at the bottom");
  const second = await kept("backup", "deep", "--json");
  const [a, b] = [first, second].map((result) => JSON.parse(result.stdout)[0].snapshot_id as string);

  const listed = (await kept("ls", b!)).stdout.trim().split("\n");
  assert.equal(listed.length, 1 + LEVELS + 3, "every folder and the file");
  const diff = await kept("diff", a!, b!);
  assert.match(diff.stdout, new RegExp(`^M +${deepest}f\\.txt$`, "m"));

  await kept("restore", "latest", "--target", `${root}/out`);
  assert.equal(Deno.readTextFileSync(`${root}/out${deepest}f.txt`), "changed at the bottom");
  await kept("restore", "latest", "--zip", `${root}/deep.zip`);
  assert.equal(zipEntries(`${root}/deep.zip`), 1 + LEVELS + 3, "every folder and the file");
  await kept("check", "--read-data");
});

Deno.test("a source 1,900 folders deep: the folders on the way to it are recorded without overflowing", async () => {
  using dir = tempDir("kept-deep-source-");
  const root = Deno.realPathSync(dir.path);
  const source = `${root}/src/${"d/".repeat(LEVELS)}leaf`;
  Deno.mkdirSync(source, { recursive: true });
  Deno.writeTextFileSync(`${source}/f.txt`, "in the source");
  const kept = setUp(root, [source]);
  await kept("init", "local");
  await kept("backup", "deep");
  await kept("backup", "deep");
  await kept("restore", "latest", "--target", `${root}/out`);
  assert.equal(Deno.readTextFileSync(`${root}/out${source}/f.txt`), "in the source");
});
