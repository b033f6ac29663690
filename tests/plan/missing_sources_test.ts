import assert from "node:assert/strict";
import { missingSources } from "../../lib/plan/mod.ts";
import { testPlan } from "../_support/plan.ts";
import { tempDir } from "../_support/temp_dir.ts";

Deno.test("missingSources() names the sources that do not exist, by their resolved path", async () => {
  using dir = tempDir("kept-sources-");
  await Deno.mkdir(`${dir.path}/data`);
  await Deno.writeTextFile(`${dir.path}/file`, "x");
  await Deno.symlink(`${dir.path}/gone`, `${dir.path}/dangling`); // a link is backed up as a link
  const plan = testPlan([
    `${dir.path}/data`,
    `${dir.path}/file`,
    `${dir.path}/dangling`,
    `${dir.path}/uploads`,
    `${dir.path}/file/below`,
  ]);
  assert.deepEqual(missingSources(plan), [`${dir.path}/uploads`, `${dir.path}/file/below`]);
});
