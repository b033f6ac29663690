// New passwords: `init`, `key add` and `key passwd` ask twice on a terminal and refuse an empty one.
// The terminal is CliContext.prompt, answered here from a script.

import assert from "node:assert/strict";
import { type CliContext, main } from "../../lib/cli/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { keptWithin } from "../hardening/_run_within.ts";

const PASSWORD = "correct horse battery staple";

/** Runs kept in this process against `dir`'s config; the prompt gives `answers` in turn. */
async function keptWith(
  dir: string,
  args: string[],
  options: { answers?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string; asked: string[] }> {
  const answers = [...(options.answers ?? [])];
  const asked: string[] = [];
  let stdout = "";
  let stderr = "";
  const env: Record<string, string> = { KEPT_KDF_N: "1024", ...options.env };
  const context: CliContext = {
    output: { out: (text) => stdout += text, err: (text) => stderr += text },
    env: (name) => env[name],
    cwd: dir,
    prompt: (question) => {
      asked.push(question);
      return Promise.resolve(answers.shift());
    },
  };
  const code = await main(["--config", `${dir}/kept.yaml`, ...args], context);
  return { code, stdout, stderr, asked };
}

function writeConfig(dir: string): void {
  const config = { version: 1, destinations: { local: { url: `${dir}/repo` } }, plans: {} };
  Deno.writeTextFileSync(`${dir}/kept.yaml`, JSON.stringify(config));
}

Deno.test("init asks for the password twice on a terminal and refuses an empty or mistyped one", async (t) => {
  using temp = tempDir("kept-passwords-");
  writeConfig(temp.path);
  const repoExists = () => {
    try {
      Deno.statSync(`${temp.path}/repo`);
      return true;
    } catch {
      return false;
    }
  };

  await t.step("an empty password is refused at once, in one line", async () => {
    const result = await keptWith(temp.path, ["init", "local"], { answers: ["", ""] });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'kept: Cannot use an empty password for destination "local"\n');
    assert.equal(result.asked.length, 1);
    assert.equal(repoExists(), false);
  });

  await t.step("two different answers are refused, in one line", async () => {
    const result = await keptWith(temp.path, ["init", "local"], { answers: [PASSWORD, "correct horse"] });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'kept: The two passwords typed for destination "local" differ\n');
    assert.equal(repoExists(), false);
  });

  await t.step("the same answer twice creates the repository, which opens with it", async () => {
    const result = await keptWith(temp.path, ["init", "local"], { answers: [PASSWORD, PASSWORD] });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.asked, [
      'New password for destination "local": ',
      'Repeat the new password for destination "local": ',
    ]);
    assert.match(result.stdout, /^created repository [0-9a-f]+ at /);
    const listed = await keptWith(temp.path, ["key", "list"], { answers: [PASSWORD] });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.asked, ["Password for local: "], "an existing repository asks once");
  });

  await t.step("KEPT_PASSWORD is taken as it is, without asking", async () => {
    using other = tempDir("kept-passwords-");
    writeConfig(other.path);
    const result = await keptWith(other.path, ["init", "local"], { env: { KEPT_PASSWORD: PASSWORD } });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.asked, []);
  });
});

Deno.test("key add and key passwd ask for the new password twice and refuse an empty or mistyped one", async (t) => {
  using temp = tempDir("kept-passwords-");
  writeConfig(temp.path);
  const opened = { env: { KEPT_PASSWORD: PASSWORD } };
  assert.equal((await keptWith(temp.path, ["init", "local"], opened)).code, 0);
  const keyCount = async () => {
    const listed = await keptWith(temp.path, ["key", "list", "--json"], opened);
    return (JSON.parse(listed.stdout) as unknown[]).length;
  };

  for (const command of ["add", "passwd"]) {
    await t.step(`key ${command}: an empty new password is refused in one line`, async () => {
      const result = await keptWith(temp.path, ["key", command], { ...opened, answers: [""] });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        'kept: Cannot use an empty password for the new key of destination "local"\n',
      );
      assert.equal(await keyCount(), 1);
    });
    await t.step(`key ${command}: two different answers are refused in one line`, async () => {
      const result = await keptWith(temp.path, ["key", command], { ...opened, answers: ["one", "two"] });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        'kept: The two passwords typed for the new key of destination "local" differ\n',
      );
      assert.equal(await keyCount(), 1);
    });
  }

  await t.step("key add with the same answer twice adds a key that opens the repository", async () => {
    const result = await keptWith(temp.path, ["key", "add"], { ...opened, answers: ["second", "second"] });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.asked.length, 2);
    assert.equal(await keyCount(), 2);
    const withNew = await keptWith(temp.path, ["key", "list"], { env: { KEPT_PASSWORD: "second" } });
    assert.equal(withNew.code, 0, withNew.stderr);
  });
});

/** A repository in `dir` made with KEPT_PASSWORD, then configured to take its password from `source`. */
async function repositoryWith(dir: string, source: Record<string, string>): Promise<void> {
  writeConfig(dir);
  assert.equal((await keptWith(dir, ["init", "local"], { env: { KEPT_PASSWORD: PASSWORD } })).code, 0);
  const config = { version: 1, destinations: { local: { url: `${dir}/repo`, ...source } }, plans: {} };
  Deno.writeTextFileSync(`${dir}/kept.yaml`, JSON.stringify(config));
}

Deno.test("a failing password_command is told by its exit code, never by what it wrote to stderr", async () => {
  using temp = tempDir("kept-passwords-");
  await repositoryWith(temp.path, { password_command: `echo "${PASSWORD}" >&2; exit 3` });
  const result = await keptWith(temp.path, ["snapshots"]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    'kept: destination "local": password_command of destination "local" failed with exit code 3: ' +
      "run it by hand to see its messages\n",
  );
});

Deno.test("a password_command that hangs is killed with everything it started once its time is up", async () => {
  using temp = tempDir("kept-passwords-");
  const pids = `${temp.path}/pids`;
  // A child that keeps stdout open, and the shell waiting for it: both must go (the child is checked).
  await repositoryWith(temp.path, { password_command: `sleep 600 & echo $! > ${pids}; wait` });
  // A child process, killed if kept hangs with the command: the test then fails instead of hanging.
  const config = ["--config", `${temp.path}/kept.yaml`];
  const result = await keptWithin(20_000, [...config, "snapshots"], { KEPT_PASSWORD_COMMAND_TIMEOUT: "1" });
  assert.equal(result.blocked, false, "kept waited for the hung command");
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^kept: .*password_command of destination "local" did not finish within 1 s and was killed: run it by hand/,
  );
  const pid = Number(Deno.readTextFileSync(pids));
  assert.ok(pid > 0, `no process id in ${pids}`);
  assert.ok(!running(pid), `process ${pid} still runs`);

  const invalid = await keptWith(temp.path, ["snapshots"], {
    env: { KEPT_PASSWORD_COMMAND_TIMEOUT: "soon" },
  });
  assert.match(invalid.stderr, /KEPT_PASSWORD_COMMAND_TIMEOUT must be a number of seconds/);
});

/** Whether a process runs (a zombie waiting to be reaped does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test("a password_file that group or others can read is used, with a warning that says chmod 600", async () => {
  using temp = tempDir("kept-passwords-");
  const file = `${temp.path}/password`;
  Deno.writeTextFileSync(file, `${PASSWORD}\n`);
  await repositoryWith(temp.path, { password_file: file });
  Deno.chmodSync(file, 0o644);
  const open = await keptWith(temp.path, ["snapshots"]);
  assert.equal(open.code, 0, open.stderr);
  assert.equal(
    open.stderr,
    `warning: password_file "${file}" of destination "local" can be read by group or others: ` +
      `run chmod 600 "${file}"\n`,
  );
  // Said once, though apply reads the password for its plan, the backup, forget and prune.
  const config = JSON.parse(Deno.readTextFileSync(`${temp.path}/kept.yaml`));
  Deno.mkdirSync(`${temp.path}/src`);
  config.state = `${temp.path}/state.db`;
  config.plans = {
    p: { sources: [`${temp.path}/src`], destinations: ["local"], retention: { keep_last: 1 } },
  };
  Deno.writeTextFileSync(`${temp.path}/kept.yaml`, JSON.stringify(config));
  assert.equal((await keptWith(temp.path, ["backup", "p"])).code, 0);
  config.plans.p.sources.push(`${temp.path}/repo/config`); // settings changed: a backup is due, then forget
  Deno.writeTextFileSync(`${temp.path}/kept.yaml`, JSON.stringify(config));
  const applied = await keptWith(temp.path, ["apply"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /forget p/);
  assert.equal(applied.stderr.match(/can be read by group or others/g)?.length, 1, applied.stderr);
  Deno.chmodSync(file, 0o600);
  const closed = await keptWith(temp.path, ["snapshots"]);
  assert.equal(closed.code, 0, closed.stderr);
  assert.equal(closed.stderr, "");
});
