/**
 * Runs a program to its end and reports a failure as one line: it could not be started, or it exited
 * non-zero with the first line of what it wrote to stderr. Password commands, hooks and the few file
 * operations Deno has no call for (mkfifo, mknod, setting a symlink's time) share it.
 *
 * @module
 */

import { describeError } from "./errors.ts";

/** Why a program failed: `code` is undefined when it could not be started at all. */
export class CommandError extends Error {
  readonly code: number | undefined;
  /** The first line of its stderr, or why it could not start. */
  readonly detail: string;

  constructor(command: string, code: number | undefined, detail: string) {
    super(
      code === undefined
        ? `cannot run ${command}: ${detail}`
        : `${command} failed with exit code ${code}${detail ? `: ${detail}` : ""}`,
    );
    this.name = "CommandError";
    this.code = code;
    this.detail = detail;
  }
}

/** What to run: the program, its arguments, and whether its stdout is wanted. */
export interface CommandSpec {
  command: string;
  args: readonly string[];
  /** Collect stdout (default: discard it). */
  stdout?: boolean;
}

/** Runs `spec` and returns its stdout (empty unless asked for). Throws {@linkcode CommandError}. */
export async function runCommand(spec: CommandSpec): Promise<Uint8Array> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(spec.command, options(spec)).output();
  } catch (error) {
    throw new CommandError(spec.command, undefined, describeError(error));
  }
  return checked(spec, output);
}

/** Like {@linkcode runCommand}, for the synchronous paths of workers and restore. */
export function runCommandSync(spec: CommandSpec): Uint8Array {
  let output: Deno.CommandOutput;
  try {
    output = new Deno.Command(spec.command, options(spec)).outputSync();
  } catch (error) {
    throw new CommandError(spec.command, undefined, describeError(error));
  }
  return checked(spec, output);
}

function options(spec: CommandSpec): Deno.CommandOptions {
  return { args: [...spec.args], stdin: "null", stdout: spec.stdout ? "piped" : "null", stderr: "piped" };
}

function checked(spec: CommandSpec, output: Deno.CommandOutput): Uint8Array {
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim().split("\n")[0] ?? "";
    throw new CommandError(spec.command, output.code, detail);
  }
  return spec.stdout ? output.stdout : new Uint8Array(0);
}

/**
 * Sends `signal` to every process of the group `group` (a child started `detached` leads a group of its
 * own, and what it started is in it); a group whose processes have all ended is no error.
 */
export function signalGroup(group: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-group, signal);
  } catch {
    // ESRCH: every process of the group has ended.
  }
}
