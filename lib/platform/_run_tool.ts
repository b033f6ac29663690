/**
 * Runs one of the coreutils the fallback path needs (`mkfifo`, `mknod`, `touch`) and turns a failure
 * into a platform error named after the operation and the path.
 *
 * @module
 */

import { CommandError, runCommandSync } from "../run_command.ts";
import { makeError } from "./_errors.ts";
import type { PathLike } from "./_types.ts";

/** The error class the English strerror text in a tool's message stands for. */
function classify(detail: string): (new (message?: string, options?: ErrorOptions) => Error) | undefined {
  if (detail.includes("File exists")) return Deno.errors.AlreadyExists;
  if (detail.includes("No such file or directory")) return Deno.errors.NotFound;
  if (detail.includes("Permission denied") || detail.includes("Operation not permitted")) {
    return Deno.errors.PermissionDenied;
  }
  return undefined;
}

/** Runs `command` with `args` to its end; throws naming `call` and `path` when it cannot start or fails. */
export function runTool(command: string, args: string[], where: { call: string; path: PathLike }): void {
  try {
    runCommandSync({ command, args });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    if (error.code === undefined) {
      throw makeError({ ...where, reason: `cannot run "${command}": ${error.detail}`, cause: error });
    }
    const detail = error.detail === "" ? "" : `: ${error.detail}`;
    const reason = `"${command}" failed with exit code ${error.code}${detail}`;
    throw makeError({ ...where, reason, errorClass: classify(error.detail) });
  }
}
