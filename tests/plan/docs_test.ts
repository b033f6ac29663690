// The docs stay true: the key reference in docs/plans.md is generated from the schema (UPDATE_GOLDEN=1
// rewrites it), every complete plan example in the docs validates, and the CI example is well-formed YAML.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadConfig, planJsonSchema } from "../../lib/plan/mod.ts";
import { AGE_PATTERN, SIZE_PATTERN, TIMEOUT_PATTERN } from "../../lib/plan/units.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** The repository root, with a trailing "/". */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BEGIN = "<!-- BEGIN KEY REFERENCE: generated from the schema by tests/plan/docs_test.ts -->";
const END = "<!-- END KEY REFERENCE -->";

interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  items?: JsonSchema;
  default?: unknown;
}

function typeName(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  // The schema's patterns also accept a value holding `${VAR}`.
  const pattern = schema.pattern?.replace(/\|\\\$\\\{$/, "");
  if (pattern === SIZE_PATTERN) return "size";
  if (pattern === AGE_PATTERN) return "duration";
  if (pattern === TIMEOUT_PATTERN) return "timeout";
  if (schema.type === "array") return `list of ${typeName(schema.items ?? {})}s`;
  if (schema.type === "object") return "mapping";
  if (schema.type === "integer") return schema.minimum === -1 ? "integer ≥ -1" : "integer";
  if (schema.type === "boolean") return "true or false";
  return Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type ?? "any";
}

/** One table row per key, depth first, from the JSON Schema of plan files. */
function referenceRows(schema: JsonSchema, prefix: string, rows: string[]): string[] {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const required = schema.required?.includes(key) ? "yes" : "no";
    const fallback = child.default === undefined ? "" : `\`${JSON.stringify(child.default)}\``;
    const description = (child.description ?? "").replaceAll("|", "\\|");
    rows.push(`| \`${path}\` | ${typeName(child)} | ${required} | ${fallback} | ${description} |`);
    if (child.properties) referenceRows(child, path, rows);
    if (typeof child.additionalProperties === "object") {
      referenceRows(child.additionalProperties, `${path}.<name>`, rows);
    }
  }
  return rows;
}

function referenceTable(): string {
  const rows = referenceRows(planJsonSchema() as JsonSchema, "", []);
  return ["| Key | Type | Required | Default | Meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

Deno.test("the key reference in docs/plans.md matches the schema", async () => {
  const path = join(ROOT, "docs/plans.md");
  const text = await Deno.readTextFile(path);
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, `docs/plans.md needs the markers ${BEGIN} and ${END}`);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(
      path,
      `${text.slice(0, start + BEGIN.length)}\n\n${referenceTable()}\n\n${text.slice(end)}`,
    );
    const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path] }).output();
    assert.equal(fmt.code, 0, new TextDecoder().decode(fmt.stderr));
    return;
  }
  assert.equal(
    normalizeTable(text.slice(start + BEGIN.length, end)),
    normalizeTable(referenceTable()),
    "docs/plans.md is stale: run UPDATE_GOLDEN=1 deno task test",
  );
});

/** A markdown table without the padding that `deno fmt` adds to align its columns. */
function normalizeTable(table: string): string {
  return table.trim().split("\n").map((line) => line.replace(/ *\| */g, "|").replace(/\|-+(?=\|)/g, "|-"))
    .join("\n");
}

/** The ```yaml blocks of a markdown file, also those indented in a list item. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^( *)```ya?ml\n([\s\S]*?)^\1```$/gm)].map(([, indent, body]) =>
    body!.split("\n").map((line) => line.slice(indent!.length)).join("\n")
  );
}

Deno.test("every complete plan file shown in docs/plans.md is valid", async () => {
  const blocks = yamlBlocks(await Deno.readTextFile(join(ROOT, "docs/plans.md")))
    .filter((block) => /^version: 1$/m.test(block) && /^plans:/m.test(block));
  assert.ok(blocks.length >= 2, "docs/plans.md shows at least two complete plan files");
  using temp = tempDir("kept-docs-");
  const dir = temp.path;
  for (const [index, block] of blocks.entries()) {
    const file = join(dir, `example_${index}.yaml`);
    await Deno.writeTextFile(file, block);
    const result = await loadConfig([file], { env: (name) => name === "HOME" ? "/home/me" : "value" });
    assert.deepEqual(result.problems, [], `example ${index + 1}:\n${block}`);
  }
});

Deno.test("docs/ci.md shows a GitHub Actions job that installs Deno 2.9.6 and validates plans/", async () => {
  const blocks = yamlBlocks(await Deno.readTextFile(join(ROOT, "docs/ci.md")));
  const workflow = blocks.map((block) => parse(block)).find((doc) => doc?.on?.pull_request !== undefined);
  assert.ok(workflow, "a workflow that runs on pull_request");
  const steps = Object.values(workflow.jobs as Record<string, { steps: { run?: string; uses?: string }[] }>)
    .flatMap((job) => job.steps);
  const runs = steps.map((step) => step.run ?? "").join("\n");
  assert.ok(steps.some((step) => step.uses?.startsWith("actions/checkout@")));
  assert.match(runs, /npm install -g deno@2\.9\.6/);
  assert.match(runs, /validate .*plans\//);
});
