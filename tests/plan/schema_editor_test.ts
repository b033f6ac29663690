// The schema editors read (`kept schema`) judged by a real draft-07 validator, as yaml-language-server would:
// it accepts the plans `kept validate` accepts, variables included, and flags what validate flags.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { loadConfig, planJsonSchema } from "../../lib/plan/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A draft-07 validator of `kept schema`'s output (Ajv's default class reads draft-07 only). */
function schemaValidator(): (value: unknown) => boolean {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(planJsonSchema());
  return (value) => validate(value) as boolean;
}

/** The ```yaml blocks of a markdown file that are whole plan files. */
function planBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^( *)```ya?ml\n([\s\S]*?)^\1```$/gm)]
    .map(([, indent, body]) => body!.split("\n").map((line) => line.slice(indent!.length)).join("\n"))
    .filter((block) => /^version: 1$/m.test(block) && /^plans:/m.test(block));
}

/** A plan file around `plan` (the keys of one plan) for destination `nas`. */
function planFile(plan: Record<string, unknown>): string {
  return JSON.stringify({
    version: 1,
    destinations: { nas: { url: "/srv/backup", password: "${KEPT_PASSWORD}" } },
    plans: { web: { sources: ["/etc"], destinations: ["nas"], ...plan } },
  });
}

/** Whether `kept validate` (the loader) finds no error in `text`, with every variable unset. */
async function validateAccepts(text: string): Promise<boolean> {
  using dir = tempDir("kept-schema-");
  const file = join(dir.path, "plan.yaml");
  await Deno.writeTextFile(file, text);
  const result = await loadConfig([file], { env: () => undefined });
  return !result.problems.some((problem) => problem.severity === "error");
}

Deno.test("`kept schema` declares draft-07, which yaml-language-server reads", () => {
  assert.equal(planJsonSchema().$schema, "http://json-schema.org/draft-07/schema#");
});

Deno.test("the example plans of plans/, the README and docs/plans.md are valid against the schema", async () => {
  const valid = schemaValidator();
  const examples = [await Deno.readTextFile(join(ROOT, "plans/example.yaml"))];
  for (const doc of ["README.md", "docs/plans.md"]) {
    examples.push(...planBlocks(await Deno.readTextFile(join(ROOT, doc))));
  }
  assert.ok(examples.length >= 4, `expected at least 4 example plans, found ${examples.length}`);
  // Merge keys (`<<: *defaults`) as kept reads them.
  for (const example of examples) assert.ok(valid(parse(example, { merge: true })), example);
});

Deno.test("the schema accepts ${VAR} in sizes, durations and timeouts, as `kept validate` does", async () => {
  const valid = schemaValidator();
  const plans = [
    { exclude_larger_than: "${MAXSIZE:-2GiB}" },
    { retention: { keep_daily: 7, keep_within: "${KEEP_WITHIN:-30d}" } },
    { hooks: { before: ["true"], timeout: "${HOOK_TIMEOUT}" } },
  ];
  for (const plan of plans) {
    const text = planFile(plan);
    assert.ok(valid(JSON.parse(text)), text);
    assert.ok(await validateAccepts(text), text);
  }
});

Deno.test("the schema and `kept validate` agree on durations, timeouts and sizes, a bare m refused by both", async () => {
  const valid = schemaValidator();
  const cases: [Record<string, unknown>, boolean][] = [
    [{ retention: { keep_within: "1y6mo" } }, true],
    [{ retention: { keep_within: "2months1week" } }, true],
    [{ retention: { keep_within: "6m" } }, false],
    [{ retention: { keep_within: "90min" } }, false],
    [{ hooks: { timeout: "1h30min" } }, true],
    [{ hooks: { timeout: "90" } }, true],
    [{ hooks: { timeout: "30m" } }, false],
    [{ hooks: { timeout: "10 minutes" } }, false],
    [{ exclude_larger_than: "2GiB" }, true],
    [{ exclude_larger_than: "lots" }, false],
  ];
  for (const [plan, expected] of cases) {
    const text = planFile(plan);
    assert.equal(valid(JSON.parse(text)), expected, `schema: ${text}`);
    assert.equal(await validateAccepts(text), expected, `validate: ${text}`);
  }
});
