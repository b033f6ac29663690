// `hooks.timeout` outside what a hook's timer can use (below 1s, or above 2^31-1 ms, where setTimeout
// fires at once) is a plan error at its line and column, not a hook that fails as soon as it starts.

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatProblem, loadConfig } from "../../lib/plan/mod.ts";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** A plan file whose `hooks.timeout` is `timeout` (YAML text), at line 10, column 23. */
function planWithTimeout(timeout: string): string {
  return `version: 1
destinations:
  nas:
    url: repo
    password: s3cret
plans:
  web:
    sources: [site]
    destinations: [nas]
    hooks: { timeout: ${timeout}, before: ["true"] }
`;
}

const TOO_LONG =
  "timeout must be at most 24d20h31min23s647ms (about 24.8 days, the longest a timer can wait)";

Deno.test("loadConfig() rejects a hooks.timeout below 1s or above 2^31-1 ms, at its line and column", async () => {
  using dir = tempDir("kept-timeout-");
  const file = join(dir.path, "web.yaml");
  const rejected: Record<string, string> = {
    "0": "timeout must be at least 1s, found 0",
    "500ms": 'timeout must be at least 1s, found "500ms"',
    "4w": `${TOO_LONG}, found "4w"`,
    "25d": `${TOO_LONG}, found "25d"`,
  };
  for (const [timeout, message] of Object.entries(rejected)) {
    await Deno.writeTextFile(file, planWithTimeout(timeout));
    const result = await loadConfig([file]);
    assert.equal(result.config, undefined, timeout);
    assert.deepEqual(result.problems.map(formatProblem), [`${file}:10:23: error: ${message}`], timeout);
  }
  const accepted: Record<string, number> = {
    "1s": 1_000,
    "24d": 24 * 86_400_000,
    "2147483647ms": 2 ** 31 - 1,
  };
  for (const [timeout, ms] of Object.entries(accepted)) {
    await Deno.writeTextFile(file, planWithTimeout(timeout));
    const result = await loadConfig([file]);
    assert.deepEqual(result.problems, [], timeout);
    assert.equal(result.config?.plans.get("web")?.hooks.timeoutMs, ms, timeout);
  }
});

Deno.test("`kept validate` fails on hooks.timeout: 4w with one file:line:col error line", async () => {
  using dir = tempDir("kept-timeout-");
  await Deno.writeTextFile(join(dir.path, "web.yaml"), planWithTimeout("4w"));
  const result = await runKept(["validate", "web.yaml"], { cwd: dir.path });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, `web.yaml:10:23: error: ${TOO_LONG}, found "4w"\n`);
});
