// A FIFO (or another file that is not a regular file) where kept expects a file never makes a command
// wait: kept refuses it in one line naming the path (issue 16, item 10). Commands run as child processes
// here, killed if they block, so that a regression fails instead of hanging the tests.

import assert from "node:assert/strict";
import { inProcessFixture, writeConfig } from "./_in_process.ts";
import { packFiles } from "../_support/fixture.ts";
import { keptWithin } from "./_run_within.ts";

function mkfifo(path: string): void {
  const made = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.ok(made.success, new TextDecoder().decode(made.stderr));
}

Deno.test("a FIFO as the repository's config, a pack or the password file is refused in one line, without waiting", async (t) => {
  using f = await inProcessFixture();
  Deno.writeTextFileSync(`${f.data}/a.txt`, "some data");
  await f.keptOk(["backup", "p"]);
  const config = ["--config", f.config];

  // One pack at a time: the folder listings' pack is read here, the file data's by the restore workers.
  for (const [i, pack] of packFiles(f.repo).entries()) {
    await t.step(`pack ${i + 1} of ${packFiles(f.repo).length}`, async () => {
      const saved = Deno.readFileSync(pack);
      Deno.removeSync(pack);
      mkfifo(pack);
      try {
        const target = `${f.root}/restored-${i}`;
        const result = await keptWithin(20_000, [...config, "restore", "latest", "--target", target]);
        assert.equal(result.blocked, false, "restore waited on a FIFO");
        assert.equal(result.code, 1, result.stderr);
        assert.doesNotMatch(result.stderr, /internal error/);
        assert.match(result.stderr, /not a regular file/);
      } finally {
        Deno.removeSync(pack);
        Deno.writeFileSync(pack, saved);
      }
    });
  }

  await t.step("the config file", async () => {
    const saved = Deno.readFileSync(`${f.repo}/config`);
    Deno.removeSync(`${f.repo}/config`);
    mkfifo(`${f.repo}/config`);
    try {
      const result = await keptWithin(20_000, [...config, "snapshots"]);
      assert.equal(result.blocked, false, "snapshots waited on a FIFO");
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /^kept: .*Cannot read "config" in ".*": it is not a regular file$/m);
    } finally {
      Deno.removeSync(`${f.repo}/config`);
      Deno.writeFileSync(`${f.repo}/config`, saved);
    }
  });

  await t.step("the password file", async () => {
    mkfifo(`${f.root}/password`);
    writeConfig(f, { password_file: `${f.root}/password` });
    const result = await keptWithin(20_000, [...config, "snapshots"]);
    assert.equal(result.blocked, false, "snapshots waited on a FIFO");
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^kept: .*Cannot read password_file ".*\/password" of destination "local": it is not a regular file$/m,
    );
  });

  await t.step("the plan file", async () => {
    const plans = `${f.root}/fifo-plans`;
    Deno.mkdirSync(plans);
    mkfifo(`${plans}/kept.yaml`);
    const result = await keptWithin(20_000, ["--config", plans, "snapshots"]);
    assert.equal(result.blocked, false, "snapshots waited on a FIFO");
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /kept\.yaml.*cannot read file: is not a regular file \(a FIFO or socket\)/);
  });
});
