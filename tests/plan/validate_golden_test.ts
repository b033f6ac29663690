// `kept validate` on broken plans, run as a real child process: every fixture under
// tests/fixtures/plans/invalid/ (a file, or a folder of files) has a golden file next to it with the exact
// output. `UPDATE_GOLDEN=1 deno task test` rewrites the golden files; read the diff before committing.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type CliResult, runKept } from "../_support/run_cli.ts";
import { assertGolden } from "../_support/golden.ts";

/** The repository root, with a trailing "/". */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = "tests/fixtures/plans/invalid";

/** One run of `kept validate`, compared with `<golden>.golden`. */
interface Case {
  golden: string;
  args: string[];
}

/** Every fixture runs with plain `validate`; these run again with other flags or paths. */
const EXTRA_CASES: Case[] = [
  { golden: "unset_env.require-env", args: ["validate", "--require-env", `${FIXTURES}/unset_env.yaml`] },
  { golden: "missing_path", args: ["validate", `${FIXTURES}/no_such_plan.yaml`] },
  {
    golden: "several_files",
    args: [
      "validate",
      `${FIXTURES}/unknown_key.yaml`,
      `${FIXTURES}/empty.yaml`,
      `${FIXTURES}/version_2.yaml`,
    ],
  },
];

async function discoverCases(): Promise<Case[]> {
  const cases: Case[] = [];
  for await (const entry of Deno.readDir(`${ROOT}${FIXTURES}`)) {
    const name = entry.name.replace(/\.ya?ml$/, "");
    if (entry.isDirectory || name !== entry.name) {
      cases.push({ golden: name, args: ["validate", `${FIXTURES}/${entry.name}`] });
    }
  }
  return [...cases.sort((a, b) => a.golden < b.golden ? -1 : 1), ...EXTRA_CASES];
}

function render(args: string[], result: CliResult): string {
  return `$ kept ${
    args.join(" ")
  }\nexit code ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

/** Runs `tasks` with at most `limit` at a time, keeping their order. */
async function pooled<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

Deno.test("`kept validate` prints file:line:col and a helpful message for each broken plan fixture", async (t) => {
  const cases = await discoverCases();
  assert.ok(cases.length >= 22, `expected at least 22 fixtures, found ${cases.length}`);
  const results = await pooled(cases.map((c) => () => runKept(c.args, { cwd: ROOT })), 4);

  for (const [index, testCase] of cases.entries()) {
    const result = results[index]!;
    await t.step(testCase.golden, async () => {
      const output = result.stdout + result.stderr;
      assert.doesNotMatch(output, /^\s+at /m, "no stack trace");
      assert.doesNotMatch(output, /internal error/);
      assert.ok(result.code === 0 || result.code === 1, `exit code ${result.code}`);
      for (const line of result.stdout.split("\n").filter((line) => line !== "")) {
        assert.match(line, /^tests\/fixtures\/plans\/invalid\/\S+?(:\d+:\d+)?: (error|warning): \S/);
      }
      await assertGolden(`${ROOT}${FIXTURES}/${testCase.golden}.golden`, render(testCase.args, result));
    });
  }
});

Deno.test("every golden file under tests/fixtures/plans/invalid belongs to a fixture", async () => {
  const goldens = new Set((await discoverCases()).map((c) => `${c.golden}.golden`));
  for await (const entry of Deno.readDir(`${ROOT}${FIXTURES}`)) {
    if (entry.name.endsWith(".golden")) assert.ok(goldens.has(entry.name), `stale golden file ${entry.name}`);
  }
});

Deno.test("`kept validate` exits 0 with a warning when an env variable is unset, 1 with --require-env", async () => {
  const plain = await runKept(["validate", `${FIXTURES}/unset_env.yaml`], { cwd: ROOT });
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /:5:15: warning: environment variable KEPT_TEST_UNSET_PASSWORD is not set/);

  const strict = await runKept(["validate", "--require-env", `${FIXTURES}/unset_env.yaml`], { cwd: ROOT });
  assert.equal(strict.code, 1);
  assert.match(strict.stdout, /:5:15: error: environment variable KEPT_TEST_UNSET_PASSWORD is not set/);

  const set = await runKept(["validate", "--require-env", `${FIXTURES}/unset_env.yaml`], {
    cwd: ROOT,
    env: { KEPT_TEST_UNSET_PASSWORD: "pw", KEPT_TEST_UNSET_SECRET: "secret" },
  });
  assert.equal(set.code, 0, set.stdout + set.stderr);
  assert.equal(set.stdout, "");
});

Deno.test("`kept validate --json` reports file, line, column, key path, severity and message", async () => {
  const result = await runKept(["validate", "--json", `${FIXTURES}/several_problems.yaml`], { cwd: ROOT });
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout);
  assert.equal(report.valid, false);
  assert.deepEqual(report.files, [`${FIXTURES}/several_problems.yaml`]);
  assert.ok(report.problems.length >= 5);
  for (const problem of report.problems) {
    assert.deepEqual(Object.keys(problem).sort(), ["column", "file", "line", "message", "path", "severity"]);
    assert.equal(problem.file, `${FIXTURES}/several_problems.yaml`);
    assert.equal(typeof problem.line, "number");
    assert.equal(typeof problem.column, "number");
    assert.equal(problem.severity, "error");
  }
  assert.deepEqual(report.problems[0], {
    file: `${FIXTURES}/several_problems.yaml`,
    line: 6,
    column: 5,
    path: "destinations.nas.pasword",
    severity: "error",
    message: `unknown key "pasword" in destinations.nas; did you mean "password"?`,
  });
  assert.ok(
    report.problems.some((p: { path: string; line: number }) =>
      p.path === "plans.home.schedule" && p.line === 15
    ),
  );
});

Deno.test("`kept validate --json` marks unset variables as warnings and stays valid", async () => {
  const result = await runKept(["validate", "--json", `${FIXTURES}/unset_env.yaml`], { cwd: ROOT });
  assert.equal(result.code, 0);
  const report = JSON.parse(result.stdout);
  assert.equal(report.valid, true);
  assert.deepEqual(
    report.problems.map((p: { path: string; severity: string }) => [p.path, p.severity]),
    [["destinations.offsite.password", "warning"], ["destinations.offsite.secret_access_key", "warning"]],
  );
});

Deno.test("`kept validate` exits 2 for an unknown option", async () => {
  const result = await runKept(["validate", "--no-such-option", "plans/"], { cwd: ROOT });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown option/);
});
