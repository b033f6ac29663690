// Every command's --json output against docs/json.md: one naming style (snake_case keys, all the way down)
// and every top-level key named in the command's section of the page.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Fixture, makeFixture } from "../_support/fixture.ts";

const DOCS = fileURLToPath(new URL("../../docs/json.md", import.meta.url));

/** The text of the section whose heading starts with "## `kept COMMAND". */
function section(docs: string, command: string): string {
  const start = docs.indexOf(`\n## \`kept ${command}`);
  assert.ok(start >= 0, `docs/json.md has no section for kept ${command}`);
  const end = docs.indexOf("\n## ", start + 1);
  return docs.slice(start, end < 0 ? undefined : end);
}

/** Every key of `value`, deeply, except the keys of `affected` (snapshot ids: data, not names). */
function keysOf(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => keysOf(item, into));
  else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      if (key !== "affected") keysOf(inner, into);
    }
  }
  return into;
}

/** Parses one JSON document, or JSON lines. */
function parse(stdout: string): unknown[] {
  try {
    return [JSON.parse(stdout)];
  } catch {
    return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
  }
}

/** The top-level keys of what a command printed (of each element, for an array or JSON lines). */
function topKeys(documents: unknown[]): Set<string> {
  const keys = new Set<string>();
  for (const document of documents) {
    for (const item of Array.isArray(document) ? document : [document]) {
      if (item !== null && typeof item === "object") Object.keys(item).forEach((key) => keys.add(key));
    }
  }
  return keys;
}

async function twoBackups(): Promise<{ fixture: Fixture; first: string; second: string }> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  Deno.mkdirSync(`${fixture.root}/src`);
  Deno.writeTextFileSync(`${fixture.root}/src/a.txt`, "a");
  const first = (await fixture.backup("p")).snapshotId!;
  Deno.writeTextFileSync(`${fixture.root}/src/b.txt`, "b");
  const second = (await fixture.backup("p")).snapshotId!;
  return { fixture, first, second };
}

Deno.test("every --json output has snake_case keys and is described in docs/json.md", async () => {
  const docs = await Deno.readTextFile(DOCS);
  const { fixture, first, second } = await twoBackups();
  const env = { env: { XDG_STATE_HOME: `${fixture.root}/state`, XDG_CACHE_HOME: `${fixture.root}/cache` } };
  try {
    const commands: [string, string[]][] = [
      ["backup", ["backup", "p", "--json"]],
      ["snapshots", ["snapshots", "--json"]],
      ["ls", ["ls", "latest", "--json"]],
      ["diff", ["diff", first, second, "--json"]],
      ["check", ["check", "--read-data", "--json"]],
      ["forget", ["forget", "--json", "--dry-run"]],
      ["forget", ["forget", "--snapshot", first.slice(0, 8), "--json", "--dry-run"]],
      ["prune", ["prune", "--json", "--dry-run"]],
      ["key list", ["key", "list", "--json"]],
      ["unlock", ["unlock", "--json"]],
      ["plan", ["plan", "--json"]],
      ["apply", ["apply", "--json"]],
      ["state", ["state", "--json"]],
      ["cache", ["cache", "--json"]],
    ];
    for (const [command, args] of commands) {
      const result = await fixture.kept(args, env);
      assert.equal(result.code, 0, `kept ${args.join(" ")}: ${result.stderr}`);
      const documents = parse(result.stdout);
      for (const key of keysOf(documents)) {
        assert.match(key, /^[a-z][a-z0-9_]*$/, `kept ${args.join(" ")} prints the key "${key}"`);
      }
      const text = section(docs, command);
      for (const key of topKeys(documents)) {
        assert.ok(text.includes(key), `docs/json.md's section on kept ${command} does not name "${key}"`);
      }
    }
    // restore's JSON lines are described in docs/restore.md, which the section points to.
    const restore = await fixture.kept(["restore", "latest", "--target", `${fixture.root}/out`, "--json"]);
    for (const key of keysOf(parse(restore.stdout))) assert.match(key, /^[a-z][a-z0-9_]*$/);
    assert.match(section(docs, "restore"), /docs\/restore\.md/);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("backup --json keeps the snapshot id of a destination whose after hook failed", async () => {
  const fixture = await makeFixture((root) => ({
    p: { sources: [`${root}/src`], hooks: { after: ["exit 5"] } },
  }));
  try {
    Deno.mkdirSync(`${fixture.root}/src`);
    Deno.writeTextFileSync(`${fixture.root}/src/a`, "a");
    const result = await fixture.kept(["backup", "p", "--json"]);
    assert.equal(result.code, 1, result.stderr);
    const [outcome] = JSON.parse(result.stdout);
    assert.equal(outcome.error, 'after hook "exit 5" failed: exit code 5');
    const [snapshot] = JSON.parse((await fixture.keptOk(["snapshots", "--json"])).stdout);
    assert.equal(outcome.snapshot_id, snapshot.id);
  } finally {
    await fixture.cleanup();
  }
});
