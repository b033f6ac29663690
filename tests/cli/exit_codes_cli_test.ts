// Exit codes, each through the real CLI where a test can cause it: restic 0.17's where they apply (10 no
// repository, 11 locked, 12 wrong password), kept's own otherwise; the README and `kept --help` list them.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ExitCode, UserError } from "../../lib/errors.ts";
import { EXIT_CODES, exitCodeFor } from "../../lib/cli/_exit_codes.ts";
import { failureExitCode } from "../../lib/cli/_command_kit.ts";
import { LockConflictError, NoRepositoryError, WrongPasswordError } from "../../lib/repo/mod.ts";
import { makeFixture, PASSWORD } from "../_support/fixture.ts";
import { runKept } from "../_support/run_cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOLD_LOCK = fileURLToPath(new URL("../_support/hold_lock.ts", import.meta.url));

/** A fixture with one plan and, unless `init` is false, its repository. */
function fixture(options: { init?: boolean; passwordInConfig?: boolean } = {}) {
  return makeFixture((root) => ({ p: { sources: [root] } }), options);
}

Deno.test("the README's exit code table and `kept --help` list every exit code with the same meaning", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  // The README's table, as --help prints it: the same rows, in the same words, without Markdown's backticks.
  const rows = [...readme.matchAll(/^\| (\d+) +\| (.+?) +\|$/gm)].map((
    [, code, meaning],
  ) => [Number(code), meaning!.replaceAll("`", "")]);
  assert.deepEqual(rows, EXIT_CODES.map(([code, meaning]) => [code, meaning]));
  const help = await runKept(["--help"]);
  for (const [code, meaning] of EXIT_CODES) {
    assert.match(help.stdout, new RegExp(`^ +${code}  ${meaning.replace(/[()]/g, "\\$&")}$`, "m"));
  }
});

Deno.test("exit 0 on success, 1 on failure, 2 on a usage error", async () => {
  const f = await fixture();
  try {
    assert.equal((await f.kept(["check"])).code, ExitCode.ok);
    const unknown = await f.kept(["restore", "0123abcd", "--target", `${f.root}/out`]);
    assert.equal(unknown.code, ExitCode.failure, unknown.stderr);
    assert.equal((await f.kept(["check", "--no-such-option"])).code, ExitCode.usage);
    // A snapshot that is no id, and a destination left unnamed among several, are bad arguments too.
    const malformed = await f.kept(["ls", "zz"]);
    assert.equal(malformed.code, ExitCode.usage, malformed.stderr);
    assert.match(malformed.stderr, /^kept: Invalid snapshot "zz"/);
    const config = JSON.parse(await Deno.readTextFile(`${f.config}/kept.yaml`));
    config.destinations.other = { url: `${f.root}/other`, password: PASSWORD };
    await Deno.writeTextFile(`${f.config}/kept.yaml`, JSON.stringify(config));
    for (const args of [["ls", "latest"], ["unlock"]]) {
      const unnamed = await f.kept(args);
      assert.equal(unnamed.code, ExitCode.usage, `${args}: ${unnamed.stderr}`);
      assert.match(unnamed.stderr, /^kept: Several destinations are defined: name one with --destination\n/);
    }
  } finally {
    await f.cleanup();
  }
});

Deno.test("exit 10 when the destination holds no repository, with the hint to create one", async () => {
  const f = await fixture({ init: false });
  await Deno.mkdir(f.repo); // a folder without a repository in it (a missing folder is a storage error)
  try {
    for (const args of [["check"], ["restore", "latest", "--target", `${f.root}/out`], ["key", "list"]]) {
      const result = await f.kept(args);
      assert.equal(result.code, ExitCode.noRepository, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /^kept: No kept repository at .*\nhint: create one with `kept init/);
    }
  } finally {
    await f.cleanup();
  }
});

Deno.test("exit 11 when another process holds a conflicting lock", async () => {
  const f = await fixture();
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", HOLD_LOCK, f.repo, PASSWORD, "exclusive", "20000"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const first = await reader.read();
    assert.match(first.value ?? "", /"ok":true/);
    const result = await f.kept(["check"]);
    assert.equal(result.code, ExitCode.locked, result.stderr);
    assert.match(result.stderr, /is locked exclusively by holder@/);
  } finally {
    holder.kill();
    await reader.cancel();
    await holder.status;
    await f.cleanup();
  }
});

Deno.test("exit 12 on a wrong password", async () => {
  const f = await fixture({ passwordInConfig: false });
  try {
    const result = await f.kept(["check"], { env: { KEPT_PASSWORD: "not the password" } });
    assert.equal(result.code, ExitCode.wrongPassword, result.stderr);
    assert.match(result.stderr, /wrong password/);
  } finally {
    await f.cleanup();
  }
});

Deno.test("exitCodeFor() maps a bug to 70 and the repository's errors to restic's codes", () => {
  assert.equal(exitCodeFor(new TypeError("x is undefined")), ExitCode.internal);
  assert.equal(exitCodeFor(new NoRepositoryError("none")), 10);
  assert.equal(exitCodeFor(new WrongPasswordError("wrong")), 12);
  const holder = { kind: "exclusive", username: "u", host: "h", pid: 1, created: "", time: "" };
  assert.equal(exitCodeFor(new LockConflictError("/r", holder as never, 0)), 11);
  assert.equal(exitCodeFor(new UserError("bad", { exitCode: ExitCode.usage })), 2);
});

Deno.test("failureExitCode() keeps the code every destination failed with, else 1", () => {
  const failed = (error: UserError) => ({ ok: false as const, error });
  const none = failed(new NoRepositoryError("none"));
  assert.equal(failureExitCode([none, failed(new NoRepositoryError("none either"))]), 10);
  assert.equal(failureExitCode([none, failed(new WrongPasswordError("wrong"))]), 1);
  assert.equal(failureExitCode([none, { ok: true }]), 1, "another destination's work is done");
  assert.equal(failureExitCode([failed(new UserError("failed"))]), 1);
});
