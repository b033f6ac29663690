// Repository locks between real processes: a holder in one process, kept in another.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/local.ts";
import type { LockFile } from "../../lib/repo/mod.ts";
import { Repository } from "../../lib/repo/repository.ts";
import { type Fixture, makeFixture, PASSWORD } from "../_support/fixture.ts";
import { holdLock } from "../_support/lock_holder.ts";

function lockNames(fixture: Fixture): string[] {
  return [...Deno.readDirSync(`${fixture.repo}/locks`)].map((entry) => entry.name).filter((name) =>
    !name.startsWith(".")
  );
}

async function withFixture(test: (fixture: Fixture) => Promise<void>): Promise<void> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  await Deno.mkdir(`${fixture.root}/src`);
  await Deno.writeTextFile(`${fixture.root}/src/a.txt`, "a");
  try {
    await test(fixture);
  } finally {
    await fixture.cleanup();
  }
}

const HOST = Deno.hostname();

Deno.test("forget meets a shared lock of another process: fails naming the holder, or waits with --lock-wait", async () => {
  await withFixture(async (fixture) => {
    await fixture.backup("p");
    const holder = await holdLock(fixture, "shared", 2500);
    assert.equal(holder.first.ok, true, holder.first.error);
    const refused = await fixture.kept(["forget"]);
    assert.equal(refused.code, 11, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `locked \\(shared\\) by holder@${HOST}, pid ${holder.first.pid}, since \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    assert.equal(lockNames(fixture).length, 1, "the refused forget left no lock of its own");

    const waited = await fixture.kept(["--lock-wait", "30s", "forget"]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(await holder.done, 0);
    assert.deepEqual(lockNames(fixture), [], "forget released its exclusive lock");
  });
});

Deno.test("backup meets an exclusive lock of another process: the destination fails naming the holder", async () => {
  await withFixture(async (fixture) => {
    const holder = await holdLock(fixture, "exclusive", 60_000);
    try {
      const result = await fixture.kept(["backup", "p"]);
      assert.equal(result.code, 11, "its only destination could not be locked");
      assert.match(result.stderr, new RegExp(`destination "local": .*locked exclusively by holder@${HOST}`));
      assert.match(result.stderr, new RegExp(`pid ${holder.first.pid}`));
      assert.deepEqual([...Deno.readDirSync(`${fixture.repo}/snapshots`)], [], "no snapshot was written");
    } finally {
      holder.child.kill("SIGKILL");
      await holder.done;
    }
  });
});

Deno.test("the lock of a SIGKILLed process is stale by its pid and removed with a notice", async () => {
  await withFixture(async (fixture) => {
    const holder = await holdLock(fixture, "exclusive", 60_000);
    holder.child.kill("SIGKILL");
    await holder.done;
    assert.equal(lockNames(fixture).length, 1, "the killed process left its lock");
    const result = await fixture.kept(["backup", "p"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `kept: removed stale exclusive lock \\w+ of holder@${HOST} \\(pid ${holder.first.pid}, .*its process is gone`,
      ),
    );
    assert.deepEqual(lockNames(fixture), []);
  });
});

/** Writes a lock file as another host would have, `minutesAgo` since its last refresh. */
async function writeForeignLock(fixture: Fixture, minutesAgo: number): Promise<void> {
  const repository = await Repository.open(await LocalBackend.open(fixture.repo), PASSWORD);
  const time = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const lock: LockFile = {
    version: 1,
    kind: "exclusive",
    host: "far-away-host",
    username: "carol",
    pid: 1,
    created: time,
    time,
  };
  await repository.lockStore().write(lock);
}

Deno.test("a lock not refreshed for 30 minutes is stale; a younger one of another host blocks until unlock --all", async () => {
  await withFixture(async (fixture) => {
    await writeForeignLock(fixture, 31);
    const check = await fixture.kept(["check"]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(
      check.stderr,
      /removed stale exclusive lock \w+ of carol@far-away-host .*not refreshed for 31 minutes/,
    );
    assert.deepEqual(lockNames(fixture), []);

    await writeForeignLock(fixture, 10);
    const blocked = await fixture.kept(["check"]);
    assert.equal(blocked.code, 11, "restic's exit code for a repository that cannot be locked");
    assert.match(blocked.stderr, /locked exclusively by carol@far-away-host, pid 1, since/);
    const unlock = await fixture.keptOk(["unlock"]);
    assert.match(unlock.stdout, /local: no stale locks/);
    // What still blocks is named, with the way to remove it.
    assert.match(
      unlock.stderr,
      /^note: kept exclusive lock \w+ of carol@far-away-host \(pid 1, since .*\): not stale yet \(--all removes it\)$/m,
    );
    assert.equal(lockNames(fixture).length, 1);
    const all = await fixture.keptOk(["unlock", "--all"]);
    assert.match(all.stdout, /removed exclusive lock \w+ of carol@far-away-host/);
    assert.match(all.stdout, /local: 1 lock removed\n/);
    assert.deepEqual(lockNames(fixture), []);
    await fixture.keptOk(["check"]);
  });
});

Deno.test("two processes that want the exclusive lock at the same instant: exactly one gets it", async () => {
  await withFixture(async (fixture) => {
    for (let round = 0; round < 4; round++) {
      const startAt = Date.now() + 2500;
      const [a, b] = await Promise.all([
        holdLock(fixture, "exclusive", 800, startAt),
        holdLock(fixture, "exclusive", 800, startAt),
      ]);
      const codes = await Promise.all([a!.done, b!.done]);
      assert.deepEqual(
        [a!.first.ok, b!.first.ok].filter(Boolean).length,
        1,
        `round ${round}: ${JSON.stringify([a!.first, b!.first])}`,
      );
      assert.deepEqual(codes.sort(), [0, 1]);
      assert.deepEqual(lockNames(fixture), []);
    }
  });
});

Deno.test("a command that fails after taking its lock still releases it", async () => {
  await withFixture(async (fixture) => {
    const result = await fixture.kept(["forget", "--snapshot", "ffff"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No snapshot "ffff"/);
    assert.deepEqual(lockNames(fixture), []);
  });
});
