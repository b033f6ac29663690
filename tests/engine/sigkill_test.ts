// Killing a backup at any moment loses nothing: what it stored is complete, nothing refers to data that
// is missing, and the next backup works.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { assertSameTree } from "../_support/tree_differ.ts";
import { makeFixture, packFiles } from "./_fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test("a backup killed with SIGKILL leaves a repository that checks clean and takes the next backup", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    for (let folder = 0; folder < 3; folder++) {
      Deno.mkdirSync(`${src}/${folder}`, { recursive: true });
      for (let file = 0; file < 10; file++) {
        writeRandomFile(`${src}/${folder}/${file}.bin`, 10_000_000, 100 * folder + file);
      }
    }

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "--config", fixture.config, "backup", "p"],
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Kill it while it is storing packs: shortly after the first one appears (or after 30 s at most).
    const started = Date.now();
    while (packFiles(fixture.repo).length === 0 && Date.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL", "the backup ended before it was killed");
    assert.deepEqual([...Deno.readDirSync(`${fixture.repo}/snapshots`)], [], "a snapshot was written");
    const packsLeft = packFiles(fixture.repo).length;
    assert.ok(packsLeft >= 1, "the backup was killed before it stored anything");

    const check = await fixture.kept(["check", "--read-data"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, new RegExp(`no errors in 0 snapshots, ${packsLeft} packs`));

    const again = await fixture.backup("p");
    assert.equal(again.stats.files, 30);
    assert.equal(again.stats.skipped, 0);
    const checkAgain = await fixture.kept(["check", "--read-data"]);
    assert.equal(checkAgain.code, 0, checkAgain.stdout + checkAgain.stderr);

    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    assertSameTree(src, `${out}${src}`);
  } finally {
    await fixture.cleanup();
  }
});
