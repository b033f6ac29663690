// Environment variables that are unset or empty: reported where they are used, without hiding the rest of
// the file from `kept validate`, and never turning `${DATA}/x` into `/x` silently.

import assert from "node:assert/strict";
import { loadConfig, type Problem } from "../../lib/plan/mod.ts";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** `line:col: severity: message` of each problem, without the file. */
function lines(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${p.line}:${p.column}: ${p.severity}: ${p.message}`);
}

Deno.test("an unset variable leaves its value out, and the file still counts with its plans and checks", async () => {
  using dir = tempDir("kept-env-");
  const file = `${dir.path}/kept.yaml`;
  Deno.writeTextFileSync(
    file,
    `version: 1
destinations:
  nas: { url: repo, password: pw }
  far: { url: "\${FAR_URL}", password: pw }
plans:
  web:
    sources: [gone]
    schedule: \${SCHED}
    timezone: \${ZONE}
    retention: { keep_within: "\${KEEP}" }
    destinations: [nas, far]
`,
  );
  const result = await loadConfig([file], { env: () => undefined, checkSources: true });
  assert.deepEqual(lines(result.problems), [
    "4:15: warning: environment variable FAR_URL is not set (used in destinations.far.url)",
    `7:15: warning: source "gone" (${dir.path}/gone) does not exist on this machine`,
    "8:15: warning: environment variable SCHED is not set (used in plans.web.schedule)",
    "9:15: warning: environment variable ZONE is not set (used in plans.web.timezone)",
    "10:31: warning: environment variable KEEP is not set (used in plans.web.retention.keep_within)",
  ]);
  assert.ok(result.config, "the file counts");
  const web = result.config.plans.get("web");
  assert.ok(web, "plan web is in the config");
  assert.equal(web.schedule, undefined);
  assert.equal(web.timezone, undefined);
  assert.equal(web.retention, undefined);
  assert.deepEqual(web.destinations, ["nas", "far"]);
  // A destination without its URL cannot be used: it is left out, and its name still counts for the plans.
  assert.deepEqual([...result.config.destinations.keys()], ["nas"]);
});

Deno.test("`kept -v validate` lists the plans of a file whose schedule is an unset variable", async () => {
  using dir = tempDir("kept-env-");
  const file = `${dir.path}/kept.yaml`;
  Deno.writeTextFileSync(
    file,
    `version: 1\ndestinations:\n  nas: { url: repo, password: pw }\n` +
      `plans:\n  web:\n    sources: [gone]\n    schedule: \${KEPT_TEST_UNSET_SCHED}\n    destinations: [nas]\n`,
  );
  const result = await runKept(["-v", "validate", file]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    `${file}:6:15: warning: source "gone" (${dir.path}/gone) does not exist on this machine\n` +
      `${file}:7:15: warning: environment variable KEPT_TEST_UNSET_SCHED is not set (used in plans.web.schedule)\n` +
      `plan "web" (${file}): backs up ${dir.path}/gone to nas\n`,
  );
  assert.equal(result.stderr, "1 file valid: 1 plan, 1 destination, 2 warnings\n");
});

Deno.test("an empty variable is a warning where it makes a path absolute, and an error with requireEnv", async () => {
  using dir = tempDir("kept-env-");
  const file = `${dir.path}/kept.yaml`;
  Deno.writeTextFileSync(
    file,
    `version: 1
destinations:
  nas: { url: repo, password: "\${PASSWORD}" }
plans:
  etc:
    sources: ["\${DATA}/etc", "\${DATA:-}/srv", "\${HOME}/docs"]
    destinations: [nas]
`,
  );
  const env = (name: string) =>
    ({ DATA: "", PASSWORD: "", HOME: "/home/alice" } as Record<string, string>)[name];
  const lenient = await loadConfig([file], { env });
  assert.deepEqual(lines(lenient.problems), [
    `6:15: warning: environment variable DATA is empty (used in plans.etc.sources[0], which becomes "/etc")`,
  ]);
  assert.deepEqual(lenient.config?.plans.get("etc")?.sources, ["/etc", "/srv", "/home/alice/docs"]);

  // Where variables are required (`--require-env`, and every command that acts on plans), empty is unset.
  const strict = await loadConfig([file], { env, requireEnv: true });
  assert.equal(strict.config, undefined);
  assert.deepEqual(lines(strict.problems), [
    "3:31: error: environment variable PASSWORD is empty (used in destinations.nas.password)",
    `6:15: error: environment variable DATA is empty (used in plans.etc.sources[0], which becomes "/etc")`,
  ]);
});
