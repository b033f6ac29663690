import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";

Deno.test("`kept validate plans/` accepts the example plans", async () => {
  const result = await runKept(["validate", "plans/"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stderr, /valid: 1 plan, 1 destination/);
});

Deno.test("validate warns about a source the plan's excludes leave out, or a folder it is in: it is kept empty", async () => {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "kept-validate-" }));
  try {
    for (const folder of ["a/b/c", "a/keep", "logs"]) {
      Deno.mkdirSync(`${root}/${folder}`, { recursive: true });
    }
    Deno.writeTextFileSync(
      `${root}/kept.yaml`,
      JSON.stringify({
        version: 1,
        destinations: { d: { url: `${root}/repo`, password: "pw" } },
        plans: {
          p: {
            sources: [`${root}/a`, `${root}/a/b/c`, `${root}/a/keep`, `${root}/logs`],
            excludes: ["b", `${root}/logs/`],
            destinations: ["d"],
          },
        },
      }),
    );
    const result = await runKept(["validate", `${root}/kept.yaml`]);
    assert.equal(result.code, 0, result.stderr);
    const warnings = result.stdout.trimEnd().split("\n").map((line) => line.replace(/^[^ ]* /, ""));
    assert.deepEqual(warnings, [
      `warning: source "${root}/a/b/c" is kept empty: the plan's excludes leave out "${root}/a/b", which it is in`,
      `warning: source "${root}/logs" is kept empty: the plan's excludes leave it out`,
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
