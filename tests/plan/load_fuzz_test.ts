// Property tests: whatever a plan file contains, loadConfig() returns problems (never throws), and every
// problem names the file, a severity, a one-line message and a position inside the file.

import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import { loadConfig, type LoadResult } from "../../lib/plan/mod.ts";

const RUNS = 200;
const ENV: Record<string, string> = { HOME: "/home/tester", SET: "value", EMPTY: "" };
const env = (name: string) => ENV[name];

/** Asserts the invariants of a load result for a file whose content is `bytes`. */
function assertWellFormed(result: LoadResult, file: string, bytes: Uint8Array): void {
  assert.deepEqual(result.files, [file]);
  const text = new TextDecoder().decode(bytes);
  const lines = text.split(/\r\n|\r|\n/);
  const longestLine = Math.max(...text.split("\n").map((line) => line.length));
  const hasError = result.problems.some((problem) => problem.severity === "error");
  assert.equal(result.config !== undefined, !hasError, "config is present exactly when there is no error");
  for (const problem of result.problems) {
    assert.equal(problem.file, file);
    assert.ok(problem.severity === "error" || problem.severity === "warning", problem.severity);
    assert.equal(typeof problem.message, "string");
    assert.ok(problem.message.length > 0);
    assert.ok(!/[\n\r]/.test(problem.message), `one line: ${JSON.stringify(problem.message)}`);
    assert.ok(Array.isArray(problem.path));
    assert.equal(problem.line === undefined, problem.column === undefined);
    if (problem.line === undefined || problem.column === undefined) continue;
    assert.ok(Number.isInteger(problem.line) && Number.isInteger(problem.column));
    assert.ok(problem.line >= 1 && problem.line <= lines.length, `line ${problem.line} of ${lines.length}`);
    const lineLength = text.includes("\r") ? longestLine : lines[problem.line - 1]!.length;
    assert.ok(problem.column >= 1 && problem.column <= lineLength + 1, `column ${problem.column}`);
  }
}

/** Runs `arbitrary` through a file and loadConfig(), `RUNS` times. */
async function checkLoads(arbitrary: fc.Arbitrary<Uint8Array>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kept-fuzz-" });
  const file = `${dir}/plan.yaml`;
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (bytes) => {
        await Deno.writeFile(file, bytes);
        const result = await loadConfig([file], { env });
        assertWellFormed(result, file, bytes);
      }),
      { numRuns: RUNS },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);

/** Fragments of plan files and of YAML syntax, to build text that is nearly, but not quite, a plan. */
const FRAGMENTS = [
  "version",
  "destinations",
  "plans",
  "state",
  "nas",
  "home",
  "url",
  "password",
  "password_file",
  "sources",
  "excludes",
  "schedule",
  "timezone",
  "retention",
  "keep_daily",
  "keep_within",
  "hooks",
  "timeout",
  "exclude_larger_than",
  "<<",
  ": ",
  ":",
  "- ",
  "-",
  " ",
  "  ",
  "\t",
  "\n",
  "\r\n",
  "[",
  "]",
  "{",
  "}",
  ", ",
  "&a ",
  "*a",
  "*b",
  "!!str ",
  "!!binary ",
  "!tag ",
  '"',
  "'",
  "# ",
  "|",
  ">-",
  "? ",
  "---",
  "...",
  "%YAML 1.2",
  "~",
  "null",
  "true",
  "1",
  "-1",
  "0x1F",
  "1e400",
  ".nan",
  "${SET}",
  "${UNSET}",
  "${EMPTY:-x}",
  "${",
  "$$",
  "${1}",
  "@daily",
  "0 3 * * *",
  "61 * * * *",
  "2GiB",
  "36h",
  "1y2m",
  "10m",
  "Europe/Berlin",
  "/srv/backup",
  "~/docs",
  "s3://s3.example.com/bucket/prefix",
  "sftp://host/x",
  "file:///srv",
  "file://host/srv",
  "s3://h.example/bucket/50%off",
  "é",
  "😀",
  "\u2028",
  "\uFEFF",
];

const yamlish = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }).map((parts) =>
  utf8(parts.join(""))
);

const yamlishLines = fc.array(
  fc.tuple(fc.nat({ max: 8 }), fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 })),
  { maxLength: 25 },
).map((lines) => utf8(lines.map(([indent, parts]) => " ".repeat(indent) + parts.join("")).join("\n")));

/** Values shaped like plan files, with wrong types, odd names and odd values mixed in. */
const anyValue = fc.oneof(
  fc.constantFrom("2GiB", "lots", "36h", "1y2m", "10m", "@daily", "0 3 * * *", "Mars/Base", "${UNSET}", "${"),
  fc.integer({ min: -3, max: 10 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
);
const names = fc.oneof(fc.constantFrom("nas", "offsite", "home", "bad name", "-x", "__proto__"), fc.string());
const destinationValue = fc.record({
  url: fc.oneof(
    fc.constantFrom(
      "/srv/backup",
      "s3://h.example/bucket/p",
      "s3://h/",
      "s3:///bucket",
      "s3://h.example/bucket/100%",
      "file://nas/x",
      "file:///a%20b",
      "sftp://x/y",
      "",
    ),
    anyValue,
  ),
  password: fc.oneof(fc.constantFrom("${SET}", "${UNSET}", "pw"), anyValue),
  password_file: anyValue,
  region: anyValue,
}, { requiredKeys: ["url"] });
const retentionValue = fc.record({
  keep_last: anyValue,
  keep_daily: fc.integer({ min: -2, max: 3 }),
  keep_within: anyValue,
  keep_tags: anyValue,
  keep_dayly: anyValue,
}, { requiredKeys: [] });
const planValue = fc.record({
  sources: fc.oneof(fc.array(fc.constantFrom("/home", "docs", "~/x", "~"), { maxLength: 3 }), anyValue),
  destinations: fc.oneof(fc.array(names, { maxLength: 3 }), anyValue),
  schedule: anyValue,
  timezone: fc.oneof(fc.constantFrom("UTC", "Europe/Berlin", "Europe/Berln"), anyValue),
  exclude_larger_than: anyValue,
  retention: fc.oneof(retentionValue, anyValue),
  hooks: fc.record({ before: anyValue, timeout: anyValue }, { requiredKeys: [] }),
  one_file_system: anyValue,
}, { requiredKeys: [] });
const planFile = fc.record({
  version: fc.oneof(fc.constant(1), anyValue),
  state: anyValue,
  destinations: fc.oneof(fc.dictionary(names, destinationValue, { maxKeys: 3 }), anyValue),
  plans: fc.oneof(fc.dictionary(names, planValue, { maxKeys: 3 }), anyValue),
  plan: anyValue,
}, { requiredKeys: [] });

Deno.test("loadConfig() never throws and places every problem inside the file, for any text", async () => {
  await checkLoads(fc.string({ unit: "binary", maxLength: 400 }).map(utf8));
});

Deno.test("loadConfig() never throws and places every problem inside the file, for any bytes", async () => {
  await checkLoads(fc.uint8Array({ maxLength: 400 }));
});

Deno.test("loadConfig() never throws and places every problem inside the file, for YAML-like text", async () => {
  await checkLoads(fc.oneof(yamlish, yamlishLines));
});

Deno.test("loadConfig() never throws and places every problem inside the file, for JSON values", async () => {
  await checkLoads(fc.jsonValue({ maxDepth: 6 }).map((value) => utf8(JSON.stringify(value))));
});

Deno.test("loadConfig() never throws and places every problem inside the file, for plan-shaped YAML", async () => {
  await checkLoads(
    fc.tuple(planFile, fc.boolean()).map(([value, flow]) =>
      utf8(flow ? JSON.stringify(value) : stringify(value, { aliasDuplicateObjects: false }))
    ),
  );
});
