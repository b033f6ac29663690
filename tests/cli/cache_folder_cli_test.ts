// `kept cache` and `kept cache clean` with a cache folder that cannot be read: one line naming it.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

Deno.test("kept cache and cache clean name a cache folder that is a file, in one line", async () => {
  using temp = tempDir("kept-test-");
  const file = `${temp.path}/not-a-folder`;
  Deno.writeTextFileSync(file, "x\n");
  for (const args of [["cache"], ["cache", "clean"]]) {
    const result = await runKept(args, { cwd: temp.path, env: { KEPT_CACHE_DIR: file } });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, `kept: Cannot read the cache folder "${file}": it is not a folder\n`);
    assert.equal(Deno.readTextFileSync(file), "x\n", "the file was left as it was");
  }
});
