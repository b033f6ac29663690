// The library says what went wrong; the CLI adds what to do about it, naming its own commands and flags.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { hintFor } from "../../lib/cli/_hints.ts";
import { UserError } from "../../lib/errors.ts";
import { NoRepositoryError } from "../../lib/repo/mod.ts";

Deno.test("an empty folder as destination: one error line, then a hint naming kept init", async () => {
  using dir = tempDir("kept-hints-");
  Deno.mkdirSync(`${dir.path}/repo`);
  Deno.writeTextFileSync(
    `${dir.path}/kept.yaml`,
    JSON.stringify({
      version: 1,
      destinations: { nas: { url: `${dir.path}/repo`, password: "pw" } },
      plans: {},
    }),
  );
  const result = await runKept(["--config", `${dir.path}/kept.yaml`, "check"]);
  assert.equal(result.code, 10); // restic's "repository does not exist"
  assert.deepEqual(result.stderr.trimEnd().split("\n"), [
    `kept: No kept repository at ${dir.path}/repo`,
    "hint: create one with `kept init DESTINATION`",
  ]);
});

Deno.test("hintFor() keeps an error's own hint and adds none to errors it does not know", () => {
  assert.equal(hintFor(new UserError("x", { hint: "do y" })), "do y");
  assert.equal(hintFor(new UserError("x")), undefined);
  assert.match(hintFor(new NoRepositoryError("x"))!, /kept init/);
});
