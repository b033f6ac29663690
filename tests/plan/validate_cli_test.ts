import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";

Deno.test("`kept validate plans/` accepts the example plans", async () => {
  const result = await runKept(["validate", "plans/"]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stderr, /valid: 1 plan, 1 destination/);
});
