// Killing a backup at any moment loses nothing: what it stored is complete, nothing refers to data that
// is missing, and the next backup works.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { assertSameTree } from "../_support/tree_differ.ts";
import { makeFixture, packFiles } from "../_support/fixture.ts";

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
    // The pack it was writing through when it died is a temporary file, named in check's warnings.
    const leftovers = temporaryFiles(fixture.repo);
    assert.ok(leftovers.length >= 1, "no pack was being written when the backup was killed");

    const check = await fixture.kept(["check", "--read-data"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, new RegExp(`no errors in 0 snapshots, ${packsLeft} packs`));
    const counted = leftovers.length === 1 ? "1 temporary file" : `${leftovers.length} temporary files`;
    assert.match(
      check.stderr,
      new RegExp(`warning: ${counted} \\(.+\\) left by interrupted writes, or being written`),
    );
    for (const path of leftovers) assert.ok(check.stderr.includes(path), `check names ${path}`);

    // A backup leaves them while they may still be another backup's (a day), then removes them.
    const again = await fixture.backup("p");
    assert.equal(again.stats.files, 30);
    assert.equal(again.stats.skipped, 0);
    assert.equal(again.removedLeftovers, undefined);
    assert.deepEqual(temporaryFiles(fixture.repo), leftovers);
    const dayAndMinuteAgo = new Date(Date.now() - 24 * 3600_000 - 60_000);
    for (const path of leftovers) Deno.utimeSync(`${fixture.repo}/${path}`, dayAndMinuteAgo, dayAndMinuteAgo);
    const third = await fixture.keptOk(["backup", "p"]);
    const plural = leftovers.length === 1 ? "file" : "files";
    assert.match(
      third.stdout,
      new RegExp(`removed ${leftovers.length} temporary ${plural} \\(.+\\) left by`),
    );
    assert.deepEqual(temporaryFiles(fixture.repo), []);
    const checkAgain = await fixture.kept(["check", "--read-data"]);
    assert.equal(checkAgain.code, 0, checkAgain.stdout + checkAgain.stderr);
    assert.doesNotMatch(checkAgain.stderr, /temporary/);

    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    assertSameTree(src, `${out}${src}`);
  } finally {
    await fixture.cleanup();
  }
});

/** Repository-relative paths of the temporary files in `repo`, sorted. */
function temporaryFiles(repo: string): string[] {
  const found: string[] = [];
  const walk = (folder: string, prefix: string) => {
    for (const entry of Deno.readDirSync(folder)) {
      const relative = prefix + entry.name;
      if (entry.isDirectory) walk(`${folder}/${entry.name}`, `${relative}/`);
      else if (entry.name.startsWith(".tmp-")) found.push(relative);
    }
  };
  walk(repo, "");
  return found.sort();
}
