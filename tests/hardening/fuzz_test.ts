// Mutated config, key, index, snapshot and pack files, fed to `snapshots`, `check` and `restore` through
// the CLI: every case ends in success or a one-line error, within a time and memory bound, never in a
// stack trace (issue 16, "done when"). Seeded, so that a failure repeats; KEPT_FUZZ_SEED and KEPT_FUZZ_RUNS
// explore further.

import assert from "node:assert/strict";
import fc from "fast-check";
import { inProcessFixture, type RunResult } from "./_in_process.ts";
import { filesOf } from "./_damage.ts";
import { packFiles } from "../_support/fixture.ts";
import { writeRandomFile } from "../_support/random_bytes.ts";

/** How a file is changed. */
type Mutation =
  | { kind: "flip"; at: number; mask: number }
  | { kind: "truncate"; at: number }
  | { kind: "append"; bytes: Uint8Array }
  | { kind: "replace"; bytes: Uint8Array }
  | { kind: "field"; at: number; value: unknown };

const jsonValue = fc.oneof(
  fc.constantFrom(null, true, "", "1", -1, 0, 1.5, 2 ** 31, 2 ** 53, 1e308, [], {}, [1], { N: 2 ** 40 }),
  fc.integer(),
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }),
);

// Field changes weigh most: the plain JSON files (config, keys) are where a value is read before any check.
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant("replace" as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  {
    arbitrary: fc.record({ kind: fc.constant("field" as const), at: fc.nat(), value: jsonValue }),
    weight: 4,
  },
);

/** The bytes `mutation` makes of `bytes`. */
function mutate(bytes: Uint8Array, change: Mutation): Uint8Array {
  switch (change.kind) {
    case "flip": {
      if (bytes.length === 0) return bytes;
      const out = bytes.slice();
      out[change.at % out.length]! ^= change.mask;
      return out;
    }
    case "truncate":
      return bytes.slice(0, bytes.length === 0 ? 0 : change.at % bytes.length);
    case "append":
      return new Uint8Array([...bytes, ...change.bytes]);
    case "replace":
      return change.bytes;
    case "field":
      return changeField(bytes, change.at, change.value);
  }
}

/** Sets one field (nested fields included) of a JSON file to `value`; other files are left as they are. */
function changeField(bytes: Uint8Array, at: number, value: unknown): Uint8Array {
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return bytes;
  }
  const holders: [Record<string, unknown>, string][] = [];
  const visit = (node: unknown) => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      holders.push([node as Record<string, unknown>, key]);
      visit(child);
    }
  };
  visit(document);
  const chosen = holders[at % Math.max(holders.length, 1)];
  if (!chosen) return bytes;
  chosen[0][chosen[1]] = value;
  return new TextEncoder().encode(JSON.stringify(document));
}

const COMMANDS = [["snapshots"], ["check"], ["restore", "latest"], ["check", "--read-data"], ["backup", "p"]];

Deno.test("mutated repository files end every command in success or one line, quickly, never a stack", async () => {
  using f = await inProcessFixture();
  Deno.mkdirSync(`${f.data}/sub`);
  Deno.writeTextFileSync(`${f.data}/sub/small.txt`, "small");
  writeRandomFile(`${f.data}/big.bin`, 400_000, 9);
  await f.keptOk(["backup", "p"]);
  // Each kind of file as likely as the others whatever their numbers, and config and keys twice as likely.
  const kinds = [
    ["config"],
    filesOf(f.repo, "keys").map((name) => `keys/${name}`),
    filesOf(f.repo, "index").map((name) => `index/${name}`),
    filesOf(f.repo, "snapshots").map((name) => `snapshots/${name}`),
    packFiles(f.repo).map((path) => path.slice(f.repo.length + 1)),
  ];
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(kinds[0]!, kinds[1]!, ...kinds).chain((files) => fc.constantFrom(...files)),
      mutation,
      fc.constantFrom(...COMMANDS),
      async (file, change, command) => {
        const path = `${f.repo}/${file}`;
        const original = Deno.readFileSync(path);
        Deno.writeFileSync(path, mutate(original, change));
        const run = runs++;
        // A backup with something new to read: only then does it start its chunker.
        if (command[0] === "backup") Deno.writeTextFileSync(`${f.data}/new-${run}.txt`, `new ${run}`);
        const args = command[0] === "restore"
          ? [...command, "--target", `${f.root}/restored-${run}`]
          : command;
        const started = performance.now();
        let result: RunResult;
        try {
          result = await f.kept(args);
        } finally {
          Deno.writeFileSync(path, original);
        }
        const ms = performance.now() - started;
        const told = `kept ${
          args.join(" ")
        } with ${file} ${change.kind}ed:\n${result.stdout}${result.stderr}`;
        assert.ok(ms < 10_000, `took ${Math.round(ms)} ms: ${told}`);
        assert.ok(Deno.memoryUsage().rss < 2 * 1024 ** 3, `used ${Deno.memoryUsage().rss} bytes: ${told}`);
        assert.ok([0, 1, 3].includes(result.code), `exit ${result.code}: ${told}`);
        assert.doesNotMatch(result.stderr, /internal error|^\s+at /m, told);
        if (result.code !== 0) {
          const lines = result.stderr.split("\n").filter((line) => line.startsWith("kept: "));
          assert.ok(lines.length <= 1, `more than one error line: ${told}`);
        }
      },
    ),
    {
      numRuns: Number(Deno.env.get("KEPT_FUZZ_RUNS") ?? 120),
      seed: Number(Deno.env.get("KEPT_FUZZ_SEED") ?? 16),
      endOnFailure: true,
    },
  );
});
