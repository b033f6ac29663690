// Passwords from a command, and the one runner every child process of kept goes through.

import assert from "node:assert/strict";
import { resolvePassword } from "../../lib/secrets.ts";
import { CommandError, runCommand, runCommandSync } from "../../lib/run_command.ts";
import { UserError } from "../../lib/errors.ts";

const context = { env: () => undefined };
const command = (line: string) => ({ kind: "command" as const, command: line });

Deno.test("password_command: stdout without its final newline is the password", async () => {
  assert.equal(await resolvePassword(command("printf 'pa ss\\n'"), "nas", context), "pa ss");
  assert.equal(await resolvePassword(command("printf 'two\\nlines\\n'"), "nas", context), "two\nlines");
});

Deno.test("password_command that fails is one line naming the destination and the code, never its stderr", async () => {
  const failing = resolvePassword(command("echo 'vault sealed' >&2; echo more >&2; exit 3"), "nas", context);
  const error = await failing.catch((error) => error);
  assert.ok(error instanceof UserError);
  assert.equal(
    error.message,
    'password_command of destination "nas" failed with exit code 3: run it by hand to see its messages',
  );
});

Deno.test("runCommand() and runCommandSync() tell a missing program from a failing one", async () => {
  const missing = await runCommand({ command: "/nonexistent/kept-test", args: [] }).catch((error) => error);
  assert.ok(missing instanceof CommandError);
  assert.equal(missing.code, undefined);
  assert.match(missing.message, /^cannot run \/nonexistent\/kept-test: /);

  assert.throws(() => runCommandSync({ command: "sh", args: ["-c", "echo nope >&2; exit 2"] }), (error) => {
    assert.ok(error instanceof CommandError);
    assert.equal(error.code, 2);
    assert.equal(error.message, "sh failed with exit code 2: nope");
    return true;
  });
  assert.deepEqual(runCommandSync({ command: "true", args: [] }), new Uint8Array(0));
  const out = await runCommand({ command: "echo", args: ["hi"], stdout: true });
  assert.equal(new TextDecoder().decode(out), "hi\n");
});
