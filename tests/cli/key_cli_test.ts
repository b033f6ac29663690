// `kept key` as a user runs it, in real processes: key changes take an exclusive lock, so two at once cannot
// remove each other's key; --new-password-file errors name the flag; a key left by an interrupted init is
// marked by `key list` and removed by `key remove`.

import assert from "node:assert/strict";
import { type Fixture, makeFixture, PASSWORD } from "../_support/fixture.ts";
import { holdLock as startHolder } from "../_support/lock_holder.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

interface ListedKey {
  id: string;
  current: boolean;
  foreign: boolean;
  other_repository: string | null;
}

const as = (password: string, more: Record<string, string> = {}) => ({
  env: { KEPT_PASSWORD: password, ...more },
});

async function keys(fixture: Fixture, password = PASSWORD): Promise<ListedKey[]> {
  return JSON.parse((await fixture.keptOk(["key", "list", "--json"], as(password))).stdout);
}

/** A fixture whose repository opens with PASSWORD (key `one`) and with "two" (key `two`). */
async function withTwoKeys(
  test: (fixture: Fixture, one: string, two: string) => Promise<void>,
): Promise<void> {
  const fixture = await makeFixture(() => ({}), { passwordInConfig: false });
  try {
    await fixture.keptOk(["key", "add"], as(PASSWORD, { KEPT_NEW_PASSWORD: "two" }));
    const current = async (password: string) =>
      (await keys(fixture, password)).find((key) => key.current)!.id;
    await test(fixture, await current(PASSWORD), await current("two"));
  } finally {
    await fixture.cleanup();
  }
}

/** Whether process `pid` is stopped (SIGSTOP): its state in /proc is T. */
function stopped(pid: number): boolean {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
}

async function until(done: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!done() && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(done(), what);
}

Deno.test("two key removes at once cannot leave a repository without a key: the second meets the first's lock", async () => {
  await withTwoKeys(async (fixture, one, two) => {
    // The first stops itself once it holds its lock, before it removes anything.
    const first = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "--config", fixture.config, "key", "remove", two],
      env: { KEPT_KDF_N: "1024", NO_COLOR: "1", KEPT_PASSWORD: PASSWORD, KEPT_TEST_STOP_AFTER_LOCK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      await until(() => stopped(first.pid), "the first key remove did not stop after taking its lock");
      const second = await fixture.kept(["key", "remove", one], as("two"));
      assert.equal(second.code, 11, second.stderr);
      assert.match(second.stderr, /^kept: Repository .+ is locked exclusively by /m);
    } finally {
      first.kill("SIGCONT");
    }
    const { code, stderr } = await first.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.deepEqual((await keys(fixture)).map((key) => key.id), [one]);
  });
});

/** A process holding a lock of `kind` on the fixture's repository for `holdMs`, once it holds it. */
async function holdLock(fixture: Fixture, kind: string, holdMs: number) {
  const holder = await startHolder(fixture, kind, holdMs);
  assert.equal(holder.first.ok, true, holder.first.error);
  return holder;
}

Deno.test("key add, remove and passwd need the repository to themselves: a shared lock makes them fail or wait", async (t) => {
  await withTwoKeys(async (fixture, one, two) => {
    const changes: [string, string[], Record<string, string>][] = [
      ["add", ["key", "add"], { KEPT_NEW_PASSWORD: "three" }],
      ["remove", ["key", "remove", two], {}],
      ["passwd", ["key", "passwd"], { KEPT_NEW_PASSWORD: "three" }],
    ];
    const holder = await holdLock(fixture, "shared", 60_000);
    try {
      for (const [name, args, env] of changes) {
        await t.step(`key ${name} fails at once, naming the lock`, async () => {
          const result = await fixture.kept(args, as(PASSWORD, env));
          assert.equal(result.code, 11, result.stderr);
          assert.match(result.stderr, /is locked \(shared\) by holder@/);
          assert.deepEqual((await keys(fixture)).map((key) => key.id), [one, two]);
        });
      }
    } finally {
      holder.child.kill("SIGKILL");
      await holder.done;
    }
    await t.step("key remove with --lock-wait waits for the lock, then removes the key", async () => {
      const waiting = await holdLock(fixture, "shared", 1500);
      const result = await fixture.kept(["--lock-wait", "30s", "key", "remove", two], as(PASSWORD));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await waiting.done, 0, "the holder's lock was taken from it");
      assert.deepEqual((await keys(fixture)).map((key) => key.id), [one]);
    });
  });
});

Deno.test("--new-password-file that is missing, empty or a folder is a one-line error naming the flag", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    const empty = `${fixture.root}/empty.txt`;
    Deno.writeTextFileSync(empty, "\nsecond line\n", { mode: 0o600 });
    const missing = `${fixture.root}/nonexist.txt`;
    const cases: [string, string][] = [
      [missing, `kept: Cannot read the new password from --new-password-file "${missing}": no such file\n`],
      [empty, `kept: The new password in --new-password-file "${empty}" is empty\n`],
      [
        fixture.root,
        `kept: Cannot read the new password from --new-password-file "${fixture.root}": it is not a regular file\n`,
      ],
    ];
    for (const command of ["add", "passwd"]) {
      for (const [file, message] of cases) {
        const result = await fixture.kept(["key", command, "--new-password-file", file]);
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stderr, message);
      }
    }
    assert.equal((await keys(fixture)).length, 1);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("a key left by an interrupted init is marked by key list and removed by key remove", async () => {
  const fixture = await makeFixture(() => ({}));
  try {
    // An init killed between its key and its config leaves the key: the next init adds its own.
    await Deno.remove(`${fixture.repo}/config`);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later creation time
    await fixture.keptOk(["init", "local"]);
    const listed = await keys(fixture);
    const foreign = listed.filter((key) => key.foreign);
    assert.equal(foreign.length, 1, JSON.stringify(listed));
    assert.match(foreign[0]!.other_repository ?? "", /^[0-9a-f]{32}$/);
    assert.deepEqual(listed.filter((key) => !key.foreign).map((key) => [key.current, key.other_repository]), [
      [true, null],
    ]);
    const short = foreign[0]!.id.slice(0, 12);
    const text = await fixture.keptOk(["key", "list"]);
    assert.match(
      text.stdout,
      new RegExp(`^ +${short} .* foreign \\(left by an interrupted init\\): kept key remove ${short}$`, "m"),
    );

    const removed = await fixture.keptOk(["key", "remove", short]);
    assert.equal(removed.stdout, `removed key ${short}\n`);
    const after = await fixture.keptOk(["key", "list", "--json"]);
    assert.equal(after.stderr, "", "a warning about the removed key is left");
    assert.deepEqual((JSON.parse(after.stdout) as ListedKey[]).map((key) => key.current), [true]);
  } finally {
    await fixture.cleanup();
  }
});
