/**
 * Runs one of the coreutils the fallback path needs (`mkfifo`, `mknod`, `touch`) and turns a failure
 * into a platform error named after the operation and the path.
 *
 * @module
 */

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
  let output: Deno.CommandOutput;
  try {
    output = new Deno.Command(command, { args, stdin: "null", stdout: "null", stderr: "piped" }).outputSync();
  } catch (error) {
    const reason = `cannot run "${command}": ${error instanceof Error ? error.message : String(error)}`;
    throw makeError({ ...where, reason, cause: error });
  }
  if (output.success) return;
  const detail = new TextDecoder().decode(output.stderr).trim().split("\n")[0] ?? "";
  throw makeError({
    ...where,
    reason: `"${command}" failed with exit code ${output.code}${detail === "" ? "" : `: ${detail}`}`,
    errorClass: classify(detail),
  });
}
