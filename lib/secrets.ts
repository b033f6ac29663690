/**
 * Repository passwords: from the destination's `password`, `password_file` or `password_command`,
 * else `$KEPT_PASSWORD`, else a prompt on a terminal. Never logged, never in `--json`.
 *
 * @module
 */

import type { PasswordSource } from "./plan/mod.ts";
import { UserError } from "./errors.ts";
import { CommandError, runCommand } from "./run_command.ts";

/** Where to look when the destination names no password source. */
export interface PasswordContext {
  env: (name: string) => string | undefined;
  /** Asks on the terminal; undefined when there is none. */
  prompt?: ((question: string) => Promise<string | undefined>) | undefined;
}

/**
 * Resolves a password; `label` names the destination in messages.
 *
 * @throws {UserError} when there is none, it is empty, or its file or command fails.
 */
export function resolvePassword(
  source: PasswordSource | undefined,
  label: string,
  context: PasswordContext,
): Promise<string> {
  return resolveFrom(source, label, context, async (prompt) => await prompt(`Password for ${label}: `));
}

/**
 * Resolves the password of a new repository (`kept init`) like {@linkcode resolvePassword}, but a prompt
 * asks twice.
 *
 * @throws {UserError} when there is none, it is empty, the two answers differ, or its file or command fails.
 */
export function resolveNewPassword(
  source: PasswordSource | undefined,
  label: string,
  context: PasswordContext,
): Promise<string> {
  return resolveFrom(source, label, context, (prompt) => askNewPassword(prompt, `destination "${label}"`));
}

/**
 * Asks for a new password twice on the terminal: undefined when there is no terminal. `what` names whose
 * password it is in the questions and messages (`destination "nas"`).
 *
 * @throws {UserError} when the answer is empty or the two answers differ.
 */
export async function askNewPassword(
  prompt: (question: string) => Promise<string | undefined>,
  what: string,
): Promise<string | undefined> {
  const first = await prompt(`New password for ${what}: `);
  if (first === undefined) return undefined;
  if (first === "") throw new UserError(`Cannot use an empty password for ${what}`);
  if ((await prompt(`Repeat the new password for ${what}: `)) !== first) {
    throw new UserError(`The two passwords typed for ${what} differ`);
  }
  return first;
}

async function resolveFrom(
  source: PasswordSource | undefined,
  label: string,
  context: PasswordContext,
  ask: (prompt: (question: string) => Promise<string | undefined>) => Promise<string | undefined>,
): Promise<string> {
  let password: string | undefined;
  if (source?.kind === "value") password = source.value;
  else if (source?.kind === "file") password = await readPasswordFile(source.path, label);
  else if (source?.kind === "command") password = await runPasswordCommand(source.command, label);
  else password = context.env("KEPT_PASSWORD") ?? (context.prompt ? await ask(context.prompt) : undefined);
  if (password === undefined) {
    throw new UserError(`No password for destination "${label}"`, {
      hint: "set password, password_file or password_command in the plan, or KEPT_PASSWORD",
    });
  }
  if (password === "") throw new UserError(`The password for destination "${label}" is empty`);
  return password;
}

async function readPasswordFile(path: string, label: string): Promise<string> {
  try {
    return (await Deno.readTextFile(path)).split(/\r?\n/)[0] ?? "";
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new UserError(`Cannot read password_file "${path}" of destination "${label}": ${reason}`);
  }
}

async function runPasswordCommand(command: string, label: string): Promise<string> {
  let stdout: Uint8Array;
  try {
    stdout = await runCommand({ command: "sh", args: ["-c", command], stdout: true });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new UserError(
      error.code === undefined
        ? `Cannot run password_command of destination "${label}": ${error.detail}`
        : `password_command of destination "${label}" failed with exit code ${error.code}${
          error.detail ? `: ${error.detail}` : ""
        }`,
    );
  }
  return new TextDecoder().decode(stdout).replace(/\r?\n$/, "");
}

/** Reads a line from the terminal without echo; undefined when stdin is not a terminal. */
export async function promptHidden(question: string): Promise<string | undefined> {
  if (!Deno.stdin.isTerminal()) return undefined;
  await Deno.stderr.write(new TextEncoder().encode(question));
  Deno.stdin.setRaw(true);
  let answer = "";
  try {
    const buffer = new Uint8Array(1);
    for (;;) {
      const read = await Deno.stdin.read(buffer);
      if (read === null) break;
      const char = buffer[0]!;
      if (char === 3) throw new UserError("Interrupted", { exitCode: 130 });
      if (char === 13 || char === 10) break;
      if (char === 127 || char === 8) answer = answer.slice(0, -1);
      else answer += String.fromCharCode(char);
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(new TextEncoder().encode("\n"));
  }
  return new TextDecoder().decode(Uint8Array.from(answer, (c) => c.charCodeAt(0)));
}
