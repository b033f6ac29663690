import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadConfig, planJsonSchema } from "../../lib/plan/mod.ts";
import { cronProblem, timeZoneProblem } from "../../lib/plan/schema.ts";
import { SuggestionBudget } from "../../lib/plan/_suggest.ts";

/** The repository root, with a trailing "/". */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("docs/kept.schema.json is the output of `kept schema` (regenerate it when this fails)", async () => {
  const committed = await Deno.readTextFile(`${ROOT}docs/kept.schema.json`);
  assert.equal(
    committed,
    JSON.stringify(planJsonSchema(), null, 2) + "\n",
    "docs/kept.schema.json is stale: run `deno run -A main.ts schema > docs/kept.schema.json`",
  );
});

Deno.test("planJsonSchema() describes every top-level key and refuses unknown ones", () => {
  const schema = planJsonSchema() as {
    title: string;
    properties: Record<string, unknown>;
    required: string[];
    additionalProperties: boolean;
  };
  assert.equal(schema.title, "kept plan file (version 1)");
  assert.deepEqual(Object.keys(schema.properties).sort(), ["destinations", "plans", "state", "version"]);
  assert.deepEqual(schema.required, ["version"]);
  assert.equal(schema.additionalProperties, false);
});

Deno.test("plans/example.yaml is valid and points editors at the schema", async () => {
  const result = await loadConfig([`${ROOT}plans/example.yaml`]);
  assert.deepEqual(result.problems, []);
  const text = await Deno.readTextFile(`${ROOT}plans/example.yaml`);
  assert.match(text, /^# yaml-language-server: \$schema=\.\.\/docs\/kept\.schema\.json$/m);
});

Deno.test("cronProblem() accepts 5 and 6 fields, names, steps, ranges and nicknames", () => {
  for (
    const expression of [
      "0 3 * * *",
      "*/15 * * * *",
      "0 22 * * MON-FRI",
      "0 0 1 jan,jul *",
      "30 0 3 * * *",
      "0 0 L * *",
      "0 0 * * 5#2",
      "0 0 29 2 *",
      "@daily",
      "@hourly",
      "@DAILY",
    ]
  ) {
    assert.equal(cronProblem(expression), undefined, expression);
  }
});

Deno.test("cronProblem() names the field and its range", () => {
  assert.match(cronProblem("0 3 * *")!, /expected 5 fields .* found 4$/);
  assert.match(cronProblem("61 3 * * *")!, /minute 61 is out of range 0-59$/);
  assert.match(cronProblem("0 24 * * *")!, /hour 24 is out of range 0-23$/);
  assert.match(cronProblem("0 0 0 * *")!, /day of month 0 is out of range 1-31$/);
  assert.match(cronProblem("0 0 * 13 *")!, /month 13 is out of range 1-12$/);
  assert.match(cronProblem("0 0 * * 8")!, /weekday 8 is out of range 0-7$/);
  assert.match(cronProblem("60 * * * * *")!, /second 60 is out of range 0-59$/);
  assert.match(cronProblem("0 0 * * MON-FRY")!, /unknown weekday "FRY"; did you mean "FRI"\?$/);
  assert.match(cronProblem("1,,2 * * * *")!, /the minute field "1,,2" has an empty entry$/);
  assert.match(cronProblem("*/x * * * *")!, /invalid step "\/x"$/);
  assert.match(cronProblem("0 0 30 2 *")!, /it never runs: February has no day 30$/);
  assert.match(cronProblem("@dayly")!, /did you mean "@daily"\?$/);
  assert.match(cronProblem("  ")!, /^schedule is empty/);
});

Deno.test("timeZoneProblem() accepts IANA names and suggests a close one within a budget", () => {
  assert.equal(timeZoneProblem("UTC"), undefined);
  assert.equal(timeZoneProblem("Europe/Berlin"), undefined);
  assert.equal(
    timeZoneProblem("Europe/Berln"),
    `unknown time zone "Europe/Berln": use an IANA name like Europe/Berlin or UTC`,
  );
  assert.match(
    timeZoneProblem("Europe/Berln", new SuggestionBudget())!,
    /; did you mean "Europe\/Berlin"\?$/,
  );
  assert.doesNotMatch(timeZoneProblem("Mars/Olympus", new SuggestionBudget())!, /did you mean/);
});
