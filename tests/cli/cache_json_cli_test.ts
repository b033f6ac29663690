// `kept cache --json` and `kept cache clean --json` (docs/json.md): `--json` counts before and after `clean`.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

Deno.test("kept cache clean prints JSON with --json before or after `clean`, and removes the cache", async () => {
  using temp = tempDir("kept-test-");
  const root = `${temp.path}/cache`;
  const env = { KEPT_CACHE_DIR: root };
  const id = "ab".repeat(16);
  for (const args of [["cache", "clean", "--json"], ["cache", "--json", "clean"]]) {
    Deno.mkdirSync(`${root}/${id}/index`, { recursive: true });
    Deno.writeTextFileSync(`${root}/${id}/index/${"cd".repeat(32)}`, "12345");
    const listed = await runKept(["cache", "--json"], { cwd: temp.path, env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), {
      root,
      repositories: [{ id, files: 1, bytes: 5 }],
      unlock_records: 0,
    });

    const result = await runKept(args, { cwd: temp.path, env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      JSON.parse(result.stdout),
      { root, removed: [{ id, files: 1, bytes: 5 }] },
      args.join(" "),
    );
    assert.deepEqual([...Deno.readDirSync(root)], [], "the cache is gone");
  }
});
