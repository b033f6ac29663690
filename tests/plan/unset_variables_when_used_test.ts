// `requireEnv: "when-used"` (how commands load plans): a variable that is not set fails only the destination
// or plan that holds it, when a command uses that one; the rest of the config stays usable.

import assert from "node:assert/strict";
import {
  type Config,
  destinationNames,
  loadConfig,
  type Problem,
  unresolvedError,
} from "../../lib/plan/mod.ts";
import { chooseDestinations } from "../../lib/cli/_context.ts";
import { destinationByName } from "../../lib/destinations/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { tempDir } from "../_support/temp_dir.ts";

const PLANS = `version: 1
destinations:
  nas: { url: nas, password: pw }
  offsite: { url: offsite, password: "\${OFFSITE_PASSWORD}" }
  far: { url: "\${FAR_URL}", password: pw }
plans:
  home: { sources: [home], destinations: [nas, offsite] }
  web:
    sources: ["\${DATA}/x", "\${EMPTY}/y"]
    destinations: [nas]
`;

const ENV: Record<string, string> = { HOME: "/home/alice", EMPTY: "" };
const env = (name: string) => ENV[name];

/** `line:col: message` of each problem. */
function lines(problems: readonly Problem[] | undefined): string[] {
  return (problems ?? []).map((p) => `${p.line}:${p.column}: ${p.message}`);
}

async function load(text: string): Promise<{ file: string; config: Config | undefined; errors: Problem[] }> {
  using dir = tempDir("kept-when-used-");
  const file = `${dir.path}/kept.yaml`;
  Deno.writeTextFileSync(file, text);
  const result = await loadConfig([file], { env, requireEnv: "when-used" });
  return { file, config: result.config, errors: result.problems.filter((p) => p.severity === "error") };
}

Deno.test('loadConfig() with requireEnv "when-used" loads, and records what each unset variable leaves unusable', async () => {
  const { config, errors } = await load(PLANS);
  assert.deepEqual(errors, []);
  assert.ok(config);
  assert.deepEqual([...config.unresolved.destinations.keys()], ["offsite", "far"]);
  assert.deepEqual(lines(config.unresolved.destinations.get("offsite")), [
    "4:38: environment variable OFFSITE_PASSWORD is not set (used in destinations.offsite.password)",
  ]);
  assert.deepEqual([...config.unresolved.plans.keys()], ["web"]);
  // Empty counts as unset, as with requireEnv: `${EMPTY}/y` must not become `/y`.
  assert.deepEqual(lines(config.unresolved.plans.get("web")), [
    '9:15: environment variable DATA is not set (used in plans.web.sources[0], which becomes "/x")',
    '9:28: environment variable EMPTY is empty (used in plans.web.sources[1], which becomes "/y")',
  ]);
  assert.equal(config.unresolved.plans.has("home"), false);
  // A destination whose URL is a hole is not in `destinations`, yet is defined: a command names its problem.
  assert.deepEqual([...config.destinations.keys()], ["nas", "offsite"]);
  assert.deepEqual(destinationNames(config), ["nas", "offsite", "far"]);
});

Deno.test("destinationByName() throws the variable's file:line:col and key for a destination that uses it", async () => {
  const { file, config } = await load(PLANS);
  assert.ok(config);
  assert.equal(destinationByName(config, "nas").name, "nas");
  for (const [name, at] of [["offsite", "4:38"], ["far", "5:15"]] as const) {
    assert.throws(() => destinationByName(config, name), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, new RegExp(`^${file}:${at}: error: environment variable \\w+ is not set`));
      assert.match(error.message, new RegExp(`\\(used in destinations\\.${name}\\.(password|url)\\)$`));
      return true;
    });
  }
  assert.throws(
    () => destinationByName(config, "tape"),
    /^UserError: Unknown destination "tape" \(defined: nas, offsite, far\)$/,
  );
  // `--destination far` is a destination of the config, not an unknown one.
  assert.deepEqual(chooseDestinations(config, undefined, "far"), ["far"]);
  assert.deepEqual(chooseDestinations(config, "home", undefined), ["nas", "offsite"]);
});

Deno.test("unresolvedError() names the first problem and counts the others", async () => {
  const { file, config } = await load(PLANS);
  const error = unresolvedError(config!.unresolved.plans.get("web")!);
  assert.equal(
    error.message,
    `${file}:9:15: error: environment variable DATA is not set (used in plans.web.sources[0], which becomes "/x") ` +
      "(and 1 more; run `kept validate`)",
  );
});

Deno.test('requireEnv "when-used" keeps a variable outside any destination or plan an error', async () => {
  const { config, errors } = await load(`state: "\${STATE_FILE}"\n${PLANS}`);
  assert.equal(config, undefined);
  assert.deepEqual(lines(errors), ["1:8: environment variable STATE_FILE is not set (used in state)"]);
});

Deno.test("an unset variable in a list item that must not be empty leaves out only its plan, not the file", async () => {
  const text = `version: 1
destinations:
  nas: { url: nas, password: pw }
plans:
  home: { sources: [home], destinations: [nas] }
  web: { sources: [www], exclude_if_present: ["\${MARKER}"], destinations: [nas] }
`;
  const { config, errors } = await load(text);
  assert.deepEqual(errors, []);
  assert.ok(config);
  assert.deepEqual([...config.plans.keys()], ["home"]);
  assert.deepEqual(lines(config.unresolved.plans.get("web")), [
    "6:47: environment variable MARKER is not set (used in plans.web.exclude_if_present[0])",
  ]);
  assert.deepEqual([...config.destinations.keys()], ["nas"]);
});
