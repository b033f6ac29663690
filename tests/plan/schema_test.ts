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

Deno.test("cronProblem() refuses day and month ranges, steps and lists that never meet", () => {
  const never: [string, RegExp][] = [
    ["0 0 30-31 2 *", /it never runs: February has no day 30 or 31$/],
    ["0 0 31 2-4/2 *", /it never runs: February and April have no day 31$/],
    ["0 0 31 feb,apr-jun/2 ?", /it never runs: February, April and June have no day 31$/],
    ["0 0 31 4-11/5 *", /it never runs: April and September have no day 31$/],
    ["0 0 30W 2 *", /it never runs: February has no day 30$/],
    // croner's `+`: the day must match both fields, so the weekday cannot save it.
    ["0 0 31 2 +MON", /it never runs: February has no day 31$/],
    ["0 0 0 31 4,6 *", /it never runs: April and June have no day 31$/],
  ];
  for (const [expression, message] of never) {
    const problem = cronProblem(expression);
    assert.ok(problem !== undefined, `${expression} was accepted`);
    assert.match(problem, message, expression);
  }
});

Deno.test("cronProblem() accepts a day that only some months or weekdays reach", () => {
  for (
    const expression of [
      "0 0 29 2 *", // leap years
      "0 0 30-31 1-2 *",
      "0 0 31 */2 *", // January
      "0 0 29-31/2 2 *",
      "0 0 L 2 *",
      "0 0 LW 2 *",
      // Day and weekday both restricted: either one matching is enough, as in classic cron.
      "0 0 31 2 MON",
      "0 0 30-31 2 1-5",
    ]
  ) {
    assert.equal(cronProblem(expression), undefined, expression);
  }
});

Deno.test("timeZoneProblem() refuses spellings and offsets that systemd and cron cannot read", () => {
  assert.equal(
    timeZoneProblem("europe/berlin"),
    `timezone "europe/berlin" is not spelled as systemd and cron know it (zone names are case-sensitive); ` +
      `did you mean "Europe/Berlin"?`,
  );
  assert.match(timeZoneProblem("utc")!, /; did you mean "UTC"\?$/);
  assert.match(timeZoneProblem("AMERICA/NEW_YORK")!, /; did you mean "America\/New_York"\?$/);
  assert.equal(
    timeZoneProblem("+02:00"),
    `timezone "+02:00" is a UTC offset, which systemd and cron cannot read: use an IANA name like ` +
      `Europe/Berlin, or Etc/GMT-2 for this fixed offset`,
  );
  assert.match(timeZoneProblem("-05:30")!, /is a UTC offset, .*like Europe\/Berlin$/);
  // Names of the tz database, links included, as /usr/share/zoneinfo and systemd know them.
  for (
    const zone of ["UTC", "Etc/UTC", "Etc/GMT-2", "Asia/Kolkata", "Asia/Calcutta", "US/Eastern", "EST5EDT"]
  ) {
    assert.equal(timeZoneProblem(zone), undefined, zone);
  }
});
