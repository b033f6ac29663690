// Hostile input for `kept validate`: each must end with exit code 1 and one line naming the file, never a
// stack trace or a hang. The inputs are generated in a temp dir (no 10 MB files in git).

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { loadConfig } from "../../lib/plan/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Seeded bytes (xorshift32), so a failure can be reproduced. */
function seededBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const encoder = new TextEncoder();

/** A hostile input: its name, its bytes, and what the one line of output must say. */
interface Hostile {
  name: string;
  bytes: () => Uint8Array;
  message: RegExp;
}

const DEPTH = 10_000;

const HOSTILE: Hostile[] = [
  { name: "empty.yaml", bytes: () => new Uint8Array(0), message: /file is empty/ },
  {
    name: "garbage.yaml",
    bytes: () => {
      const bytes = seededBytes(64 * 1024, 42);
      bytes.fill(0, 100, 110); // NULs for sure
      return bytes;
    },
    message: /not UTF-8 text|NUL byte/,
  },
  {
    name: "nul.yaml",
    bytes: () => encoder.encode("version: 1\nplans:\n  a\0b: {}\n"),
    message: /NUL byte/,
  },
  {
    name: "ten_megabytes.yaml",
    bytes: () =>
      encoder.encode("version: 1\n" + "# padding padding padding padding padding\n".repeat(250_000)),
    message: /larger than 1 MiB/,
  },
  {
    name: "one_byte_over_the_limit.yaml",
    bytes: () => encoder.encode("version: 1\n#" + "x".repeat(1024 * 1024 - 12) + "\n"),
    message: /larger than 1 MiB/,
  },
  {
    name: "nested_flow_lists.yaml",
    bytes: () => encoder.encode("version: 1\nplans: " + "[".repeat(DEPTH) + "]".repeat(DEPTH) + "\n"),
    message: /nested too deeply/,
  },
  {
    name: "nested_flow_mappings.yaml",
    bytes: () =>
      encoder.encode("version: 1\nplans: " + "{a: ".repeat(DEPTH) + "1" + "}".repeat(DEPTH) + "\n"),
    message: /nested too deeply/,
  },
  {
    name: "unclosed_flow_lists.yaml",
    bytes: () => encoder.encode("[".repeat(DEPTH) + "\n"),
    message: /nested too deeply|not closed/,
  },
  {
    name: "nested_block_lists.yaml",
    bytes: () => encoder.encode("- ".repeat(DEPTH) + "x\n"),
    message: /nested too deeply/,
  },
  {
    // 10,000 levels of block mappings need ~50 MB of indentation: refused by size before parsing.
    name: "nested_block_mappings.yaml",
    bytes: () => {
      const lines: string[] = [];
      for (let level = 0; level < DEPTH; level++) lines.push(" ".repeat(level) + "a:\n");
      return encoder.encode(lines.join("") + " ".repeat(DEPTH) + "b: 1\n");
    },
    message: /larger than 1 MiB/,
  },
  {
    // As deep as block mappings get within 1 MiB.
    name: "nested_block_mappings_under_the_limit.yaml",
    bytes: () => {
      const lines: string[] = [];
      for (let level = 0; level < 1400; level++) lines.push(" ".repeat(level) + "a:\n");
      return encoder.encode(lines.join("") + " ".repeat(1400) + "b: 1\n");
    },
    message: /nested too deeply/,
  },
  {
    name: "billion_laughs.yaml",
    bytes: () => {
      const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
      for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(", ")}]`);
      return encoder.encode("version: 1\n" + lines.join("\n") + "\n");
    },
    message: /alias bomb/,
  },
  {
    name: "alias_flood.yaml",
    bytes: () => {
      const lines = ["version: 1"];
      for (let i = 0; i < 3000; i++) lines.push(`a${i}: &a${i} ${i}`, `b${i}: *a${i}`);
      return encoder.encode(lines.join("\n") + "\n");
    },
    message: /more than 1000 aliases/,
  },
];

/** Generous: a child process under a parallel test run. A hang or a quadratic blow-up takes far longer. */
const DEADLINE_MS = 15_000;

Deno.test("`kept validate` rejects hostile input with one line naming the file, without a stack trace", async (t) => {
  using temp = tempDir("kept-hostile-");
  const dir = temp.path;
  for (const input of HOSTILE) await Deno.writeFile(`${dir}/${input.name}`, input.bytes());
  for (const input of HOSTILE) {
    await t.step(input.name, async () => {
      const started = performance.now();
      const result = await runKept(["validate", input.name], { cwd: dir });
      const elapsed = performance.now() - started;
      const output = result.stdout + result.stderr;
      assert.doesNotMatch(output, /^\s+at /m, "no stack trace");
      assert.doesNotMatch(output, /internal error/);
      assert.equal(result.code, 1, output);
      const lines = result.stdout.split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, result.stdout);
      // A problem of the file as a whole (too large, not text, not YAML) has no line and column.
      assert.match(lines[0]!, new RegExp(`^${input.name.replaceAll(".", "\\.")}(:\\d+:\\d+)?: error: `));
      assert.match(lines[0]!, input.message);
      assert.equal(result.stderr, "1 file checked: 1 error, 0 warnings\n");
      assert.ok(elapsed < DEADLINE_MS, `took ${Math.round(elapsed)} ms`);
    });
  }
});

Deno.test({
  name: "loadConfig() reads at most a little over 1 MiB of an endless device",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const result = await loadConfig(["/dev/zero"]);
    assert.equal(result.config, undefined);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0]!.message, /larger than 1 MiB/);
  },
});

Deno.test("loadConfig() reports a folder it cannot list, and a folder without plan files", async () => {
  using temp = tempDir("kept-folders-");
  const dir = temp.path;
  await Deno.mkdir(`${dir}/empty`);
  await Deno.writeTextFile(`${dir}/empty/notes.txt`, "not a plan");
  const result = await loadConfig([`${dir}/empty`, `${dir}/missing`]);
  assert.deepEqual(result.problems.map((p) => [p.file, p.severity, p.message]), [
    [`${dir}/empty`, "error", "folder contains no plan files (*.yaml, *.yml)"],
    [`${dir}/missing`, "error", "cannot read config: no such file or folder"],
  ]);
});
