// New passwords: `init`, `key add` and `key passwd` ask twice on a terminal and refuse an empty one.
// The terminal is CliContext.prompt, answered here from a script.

import assert from "node:assert/strict";
import { type CliContext, main } from "../../lib/cli/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

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
