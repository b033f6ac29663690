/**
 * Repository passwords: from the destination's `password`, `password_file` or `password_command`,
 * else `$KEPT_PASSWORD`, else a prompt on a terminal. Never logged, never in `--json`.
 *
 * @module
 */

import type { PasswordSource } from "./plan/mod.ts";
import { UserError } from "./errors.ts";
import { signalGroup } from "./run_command.ts";

/** Where to look when the destination names no password source. */
export interface PasswordContext {
  env: (name: string) => string | undefined;
  /** Asks on the terminal; undefined when there is none. */
  prompt?: ((question: string) => Promise<string | undefined>) | undefined;
  /** Hears what is worth a warning (a password file others can read; damaged repository files left out). */
  warn?: ((message: string) => void) | undefined;
}

/**
 * The process groups of the password commands running now (see {@link killPasswordCommands}): module state,
 * as the signal handler that needs it is the process's one.
 */
const runningGroups = new Set<number>();

/**
 * Kills every running `password_command` with its process group, at once: kept was interrupted, and a
 * command in a session of its own would outlive it.
 */
export function killPasswordCommands(): void {
  for (const pid of runningGroups) signalGroup(pid, "SIGKILL");
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
  else if (source?.kind === "file") {
    const file = `password_file "${source.path}" of destination "${label}"`;
    password = await readPasswordFile(source.path, { file, cannot: `Cannot read ${file}` }, context.warn);
  } else if (source?.kind === "command") password = await runPasswordCommand(source.command, label, context);
  else password = context.env("KEPT_PASSWORD") ?? (context.prompt ? await ask(context.prompt) : undefined);
  if (password === undefined) {
    throw new UserError(`No password for destination "${label}"`, {
      hint: "set password, password_file or password_command in the plan, or KEPT_PASSWORD",
    });
  }
  if (password === "") throw new UserError(`The password for destination "${label}" is empty`);
  return password;
}

/** The largest password file read: a password is a line, not a file of megabytes. */
const PASSWORD_FILE_MAX_BYTES = 64 * 1024;

/** How a password file is named in messages: as a destination's password_file, or as a flag. */
export interface PasswordFileNames {
  /** The file as the user gave it: `password_file "p" of destination "nas"`, `--new-password-file "p"`. */
  file: string;
  /** The start of an error that it cannot be read: `Cannot read password_file "p" of destination "nas"`. */
  cannot: string;
}

/**
 * The first line of a password file. Only a regular file is opened (a FIFO would block every command), and
 * one that group or others can read is worth a warning (to `warn`).
 *
 * @throws {UserError} naming the file as `names` says when it cannot be read.
 */
export async function readPasswordFile(
  path: string,
  names: PasswordFileNames,
  warn: ((message: string) => void) | undefined,
): Promise<string> {
  const { file, cannot } = names;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new UserError(
      `${cannot}: ${error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message}`,
    );
  }
  if (!info.isFile) throw new UserError(`${cannot}: it is not a regular file`);
  if (info.size > PASSWORD_FILE_MAX_BYTES) {
    throw new UserError(`${cannot}: ${info.size} bytes, above the limit of ${PASSWORD_FILE_MAX_BYTES}`);
  }
  if (info.mode !== null && (info.mode & 0o044) !== 0) {
    warn?.(`${file} can be read by group or others: run chmod 600 "${path}"`);
  }
  try {
    return (await Deno.readTextFile(path)).split(/\r?\n/)[0] ?? "";
  } catch (error) {
    throw new UserError(`${cannot}: ${(error as Error).message}`);
  }
}

/** How long a password command may run when `KEPT_PASSWORD_COMMAND_TIMEOUT` (seconds) is not set. */
export const PASSWORD_COMMAND_TIMEOUT_MS = 60_000;

/**
 * Runs `password_command` with `sh -c` and returns what it printed, without its final newline. It runs in a
 * session and process group of its own, killed whole when it outlives its time, so that a hung command (or a
 * child it left holding the output) cannot hang kept; it has no controlling terminal (a prompt it needs must
 * come from an agent, as gpg's pinentry does). It is killed the same way by {@link killPasswordCommands}. What it writes to stderr is never shown: it may hold the password.
 */
async function runPasswordCommand(command: string, label: string, context: PasswordContext): Promise<string> {
  const timeoutMs = passwordCommandTimeout(context);
  const what = `password_command of destination "${label}"`;
  const debug = "run it by hand to see its messages";
  let child: Deno.ChildProcess;
  try {
    // detached: a new session and process group, to kill it and everything it started at once.
    child = new Deno.Command("sh", {
      args: ["-c", command],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      detached: true,
    })
      .spawn();
  } catch (error) {
    throw new UserError(`Cannot run ${what}: ${(error as Error).message}`);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(child.pid, "SIGKILL");
  }, timeoutMs);
  runningGroups.add(child.pid);
  try {
    const output = await child.output();
    if (timedOut) {
      throw new UserError(`${what} did not finish within ${timeoutMs / 1000} s and was killed: ${debug}`);
    }
    if (!output.success) {
      const how = output.signal ? `was killed by ${output.signal}` : `failed with exit code ${output.code}`;
      throw new UserError(`${what} ${how}: ${debug}`);
    }
    return new TextDecoder().decode(output.stdout).replace(/\r?\n$/, "");
  } finally {
    clearTimeout(timer);
    runningGroups.delete(child.pid);
  }
}

/** The time limit of password commands: `KEPT_PASSWORD_COMMAND_TIMEOUT` seconds, else one minute. */
function passwordCommandTimeout(context: PasswordContext): number {
  const text = context.env("KEPT_PASSWORD_COMMAND_TIMEOUT");
  if (text === undefined || text === "") return PASSWORD_COMMAND_TIMEOUT_MS;
  const seconds = Number(text);
  if (!(seconds > 0 && seconds <= 86_400)) {
    throw new UserError(
      `KEPT_PASSWORD_COMMAND_TIMEOUT must be a number of seconds above 0 and at most 86400, found "${text}"`,
    );
  }
  return seconds * 1000;
}

/** Reads a line from the terminal without echo; undefined when stdin is not a terminal. */
export async function promptHidden(question: string): Promise<string | undefined> {
  if (!Deno.stdin.isTerminal()) return undefined;
  await Deno.stderr.write(new TextEncoder().encode(question));
  Deno.stdin.setRaw(true);
  const answer: number[] = [];
  try {
    const buffer = new Uint8Array(1);
    for (;;) {
      const read = await Deno.stdin.read(buffer);
      if (read === null) break;
      const key = typeKey(answer, buffer[0]!);
      if (key === "interrupt") throw new UserError("Interrupted", { exitCode: 130 });
      if (key === "end") return undefined;
      if (key === "done") break;
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(new TextEncoder().encode("\n"));
  }
  return new TextDecoder().decode(Uint8Array.from(answer));
}

/**
 * What one byte typed at a hidden prompt does to the answer so far (its UTF-8 bytes), as a terminal's line
 * editing would: Enter ends the line, Ctrl-C interrupts, Ctrl-D on an empty line ends the input (no
 * answer), Backspace erases the last character (all its bytes: `é` is two), Ctrl-U the whole line.
 */
export function typeKey(answer: number[], byte: number): "more" | "done" | "end" | "interrupt" {
  switch (byte) {
    case 3:
      return "interrupt";
    case 10:
    case 13:
      return "done";
    case 4:
      return answer.length === 0 ? "end" : "more";
    case 21:
      answer.length = 0;
      return "more";
    case 8:
    case 127: {
      // Continuation bytes (10xxxxxx) go with the lead byte before them.
      let erased = answer.pop();
      while (erased !== undefined && (erased & 0xc0) === 0x80 && answer.length > 0) erased = answer.pop();
      return "more";
    }
    default:
      answer.push(byte);
      return "more";
  }
}
