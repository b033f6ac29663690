// Passwords from a command, and the one runner every child process of kept goes through.

import assert from "node:assert/strict";
import { resolvePassword, typeKey } from "../../lib/secrets.ts";
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

Deno.test("typeKey() edits a hidden answer as a terminal would: whole characters, Ctrl-U, Ctrl-D, Enter", () => {
  const typed = (bytes: number[]) => {
    const answer: number[] = [];
    const keys = bytes.map((byte) => typeKey(answer, byte));
    return { text: new TextDecoder().decode(Uint8Array.from(answer)), last: keys.at(-1) };
  };
  const bytes = (text: string) => [...new TextEncoder().encode(text)];
  // café, Backspace, e: the two bytes of é go together.
  assert.deepEqual(typed([...bytes("café"), 127, ...bytes("e"), 13]), { text: "cafe", last: "done" });
  assert.deepEqual(typed([...bytes("€"), 8, 8]), { text: "", last: "more" }); // three bytes, one key
  assert.deepEqual(typed([...bytes("wrong"), 21, ...bytes("right"), 10]), { text: "right", last: "done" });
  assert.deepEqual(typed([4]), { text: "", last: "end" }); // Ctrl-D on an empty line: no answer
  assert.deepEqual(typed([...bytes("ab"), 4]), { text: "ab", last: "more" });
  assert.deepEqual(typed([...bytes("ab"), 3]), { text: "ab", last: "interrupt" });
});
