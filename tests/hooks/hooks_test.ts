// Hooks as real `sh` processes: their environment, output, time limit (the whole process group is
// killed), interruption, and the order before → work → after / on_failure.

import assert from "node:assert/strict";
import { KILL_GRACE_MS, MAX_OUTPUT_BYTES, runHookCommand, withHooks } from "../../lib/hooks/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

const HOOKS = { before: [], after: [], onFailure: [], timeoutMs: 10_000 };

function context(cwd: string, env: Record<string, string> = {}) {
  return {
    plan: "web",
    destination: "nas",
    cwd,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("withHooks() runs before, the work and after in order, with KEPT_* in their environment", async () => {
  using dir = tempDir("kept-hooks-");
  const env = 'echo "$0 $KEPT_PLAN $KEPT_DESTINATION snapshot=$KEPT_SNAPSHOT result=$KEPT_RESULT" >> order';
  const outcome = await withHooks(
    { ...HOOKS, before: [env.replace("$0", "before")], after: [env.replace("$0", "after")] },
    context(dir.path),
    async () => {
      await Deno.writeTextFile(`${dir.path}/order`, "work\n", { append: true });
      return { ok: true, value: 42, snapshot: "abc123" };
    },
  );
  assert.deepEqual(outcome.ok && outcome.value, 42);
  assert.equal(
    await Deno.readTextFile(`${dir.path}/order`),
    "before web nas snapshot= result=\nwork\nafter web nas snapshot=abc123 result=success\n",
  );
  assert.match(outcome.log, /^before \$ echo .*\nbefore: ok in .*\nafter \$ echo .*\nafter: ok in /s);
});

Deno.test("withHooks(): a failing before hook skips the work and runs on_failure with KEPT_ERROR", async () => {
  using dir = tempDir("kept-hooks-");
  let worked = false;
  const outcome = await withHooks(
    {
      ...HOOKS,
      before: ["echo dumping; echo 'disk full' >&2; exit 3", "touch second-before"],
      onFailure: ['echo "$KEPT_RESULT: $KEPT_ERROR" > failure'],
    },
    context(dir.path),
    () => {
      worked = true;
      return Promise.resolve({ ok: true, value: 1 });
    },
  );
  assert.equal(worked, false);
  assert.equal(outcome.ok, false);
  const error = "before hook \"echo dumping; echo 'disk full' >&2; exit 3\" failed: exit code 3: disk full";
  assert.equal(!outcome.ok && outcome.error, error);
  assert.equal(exists(`${dir.path}/second-before`), false, "a before hook after the failing one ran");
  assert.equal(await Deno.readTextFile(`${dir.path}/failure`), `failure: ${error}\n`);
  assert.match(outcome.log, /dumping\ndisk full\nbefore: exit code 3 in/);
});

Deno.test("withHooks(): a failing work and a failing after hook both run on_failure; after keeps the value", async () => {
  using dir = tempDir("kept-hooks-");
  const onFailure = ['echo "$KEPT_ERROR|$KEPT_SNAPSHOT" >> failures'];
  const failedWork = await withHooks(
    { ...HOOKS, after: ["touch after-ran"], onFailure },
    context(dir.path),
    () => Promise.resolve({ ok: false, error: "Cannot open repository" }),
  );
  assert.equal(!failedWork.ok && failedWork.error, "Cannot open repository");
  assert.equal(exists(`${dir.path}/after-ran`), false);
  const failedAfter = await withHooks(
    { ...HOOKS, after: ["exit 7"], onFailure },
    context(dir.path),
    () => Promise.resolve({ ok: true, value: "v", snapshot: "s1" }),
  );
  assert.equal(failedAfter.ok, false);
  assert.equal(!failedAfter.ok && failedAfter.value, "v");
  assert.equal(
    await Deno.readTextFile(`${dir.path}/failures`),
    'Cannot open repository|\nafter hook "exit 7" failed: exit code 7|s1\n',
  );
});

Deno.test("runHookCommand(): a timeout kills the whole process group, background children included", async () => {
  using dir = tempDir("kept-hooks-");
  const started = Date.now();
  const result = await runHookCommand("(sleep 2; touch orphan-lived) & echo started; sleep 30", {
    env: context(dir.path).env,
    cwd: dir.path,
    timeoutMs: 300,
  });
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  assert.equal(result.ok, false);
  assert.match(result.failure!, /^timed out after 0\.3s \(its process group was killed\)$/);
  assert.equal(result.output, "started\n");
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(exists(`${dir.path}/orphan-lived`), false, "the background child outlived the timeout");
});

Deno.test("runHookCommand(): a hook that ignores SIGTERM is killed after the grace period", async () => {
  using dir = tempDir("kept-hooks-");
  const started = Date.now();
  const result = await runHookCommand("trap '' TERM; sleep 30", {
    env: context(dir.path).env,
    timeoutMs: 200,
  });
  const took = Date.now() - started;
  assert.equal(result.ok, false);
  assert.ok(took >= 200 + KILL_GRACE_MS - 100 && took < 200 + KILL_GRACE_MS + 3_000, `took ${took} ms`);
});

/** True while process `pid` runs: it exists in /proc and is no zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** Waits up to `ms` for process `pid` to end; returns whether it did. */
async function ended(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (running(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return !running(pid);
}

/** A hook whose `sh` ends on SIGTERM while a child that ignores SIGTERM lives on in its group. */
const SURVIVOR = "(trap '' TERM; exec sleep 30) & echo $! > survivor; sleep 30";

Deno.test("runHookCommand(): a timed-out group gets SIGKILL even when sh ended on SIGTERM", async () => {
  using dir = tempDir("kept-hooks-");
  const started = Date.now();
  const result = await runHookCommand(SURVIVOR, {
    env: context(dir.path).env,
    cwd: dir.path,
    timeoutMs: 300,
  });
  const survivor = Number(await Deno.readTextFile(`${dir.path}/survivor`));
  try {
    assert.match(result.failure!, /^timed out after 0\.3s/);
    assert.ok(
      await ended(survivor, 300 + KILL_GRACE_MS + 1_000 - (Date.now() - started)),
      "it outlived kept",
    );
    assert.ok(Date.now() - started < 300 + KILL_GRACE_MS + 1_000, `took ${Date.now() - started} ms`);
  } finally {
    if (running(survivor)) Deno.kill(survivor, "SIGKILL");
  }
});

Deno.test("runHookCommand(): aborting during the grace period of a timeout kills the group at once", async () => {
  using dir = tempDir("kept-hooks-");
  const controller = new AbortController();
  setTimeout(() => controller.abort("SIGTERM"), 600);
  const started = Date.now();
  const result = await runHookCommand(SURVIVOR, {
    env: context(dir.path).env,
    cwd: dir.path,
    timeoutMs: 200,
    signal: controller.signal,
  });
  const took = Date.now() - started;
  const survivor = Number(await Deno.readTextFile(`${dir.path}/survivor`));
  try {
    assert.equal(result.failure, "interrupted (its process group was killed)");
    assert.ok(took >= 500 && took < 200 + KILL_GRACE_MS, `took ${took} ms`);
    assert.ok(await ended(survivor, 500), "it outlived the interruption");
  } finally {
    if (running(survivor)) Deno.kill(survivor, "SIGKILL");
  }
});

Deno.test("runHookCommand() refuses a timeout a timer cannot hold", async () => {
  for (const timeoutMs of [0, 2 ** 31, Infinity, NaN]) {
    await assert.rejects(runHookCommand("true", { env: {}, timeoutMs }), RangeError, String(timeoutMs));
  }
});

Deno.test("runHookCommand(): aborting kills the group at once", async () => {
  using dir = tempDir("kept-hooks-");
  const controller = new AbortController();
  setTimeout(() => controller.abort("SIGTERM"), 200);
  const started = Date.now();
  const result = await runHookCommand("(sleep 1; touch survived) & sleep 30", {
    env: context(dir.path).env,
    cwd: dir.path,
    timeoutMs: 60_000,
    signal: controller.signal,
  });
  assert.ok(Date.now() - started < 3_000);
  assert.equal(result.failure, "interrupted (its process group was killed)");
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  assert.equal(exists(`${dir.path}/survived`), false);
});

Deno.test("runHookCommand() keeps the end of long output, and hooks never see KEPT_PASSWORD", async () => {
  using dir = tempDir("kept-hooks-");
  const long = await runHookCommand(
    `head -c ${MAX_OUTPUT_BYTES * 3} /dev/zero | tr '\\0' x; echo; echo END`,
    {
      env: context(dir.path).env,
      timeoutMs: 10_000,
    },
  );
  assert.ok(long.ok);
  assert.match(long.output, /^\[\d+ bytes of earlier output cut\]\nx+\nEND\n$/);
  assert.ok(long.output.length <= MAX_OUTPUT_BYTES + 100);
  const outcome = await withHooks(
    { ...HOOKS, before: ['echo "password=[$KEPT_PASSWORD] other=[$OTHER]"'] },
    context(dir.path, { KEPT_PASSWORD: "hunter2", OTHER: "kept" }),
    () => Promise.resolve({ ok: true, value: 0 }),
  );
  assert.match(outcome.log, /password=\[\] other=\[kept\]/);
  assert.doesNotMatch(outcome.log, /hunter2/);
});
