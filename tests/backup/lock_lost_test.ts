// A backup whose lock another process removes as stale while it is stopped (a suspended VM, SIGSTOP) must
// not save a snapshot afterwards: a prune in between may have removed data it counts on.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { makeFixture } from "../_support/fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Whether process `pid` is stopped (SIGSTOP): its state in /proc is T. */
function stopped(pid: number): boolean {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
}

function lockFiles(repo: string): string[] {
  // Not the temporary file a lock is written through before it gets its name.
  return [...Deno.readDirSync(`${repo}/locks`)].map((entry) => entry.name).filter((name) =>
    !name.startsWith(".")
  );
}

Deno.test("a backup stopped while its lock was removed fails with the lost lock and saves no snapshot", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(src);
    writeRandomFile(`${src}/small.bin`, 10_000, 1);
    await fixture.keptOk(["backup", "p"]);
    for (let file = 0; file < 3; file++) writeRandomFile(`${src}/${file}.bin`, 3_000_000, 10 + file);

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "--config", fixture.config, "backup", "p"],
      // It stops itself once it holds its lock, as a suspended machine would.
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1", KEPT_TEST_STOP_AFTER_LOCK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const started = Date.now();
    while (!stopped(child.pid) && Date.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(stopped(child.pid), "the backup did not stop after taking its lock");
    assert.equal(lockFiles(fixture.repo).length, 1);
    // What a forget or prune that finds the lock stale does first (here without waiting 30 minutes).
    const unlock = await fixture.kept(["unlock", "--all"]);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.deepEqual(lockFiles(fixture.repo), [], unlock.stdout + unlock.stderr);
    child.kill("SIGCONT");

    const { code, stderr, stdout } = await child.output();
    const message = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
    assert.notEqual(code, 0, "the backup reported success: " + message);
    assert.match(message, /Lost the lock on .+: another process removed it as stale/);
    assert.doesNotMatch(message, /^\s+at /m, "a stack trace");
    assert.deepEqual(lockFiles(fixture.repo), [], "the lost lock was written again");
    const snapshots = await fixture.keptOk(["snapshots", "--json"]);
    assert.equal(JSON.parse(snapshots.stdout).length, 1, "a snapshot was saved under the lost lock");
    const check = await fixture.kept(["check"]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  } finally {
    await fixture.cleanup();
  }
});
