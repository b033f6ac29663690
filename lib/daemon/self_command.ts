/**
 * How this kept starts itself again (the daemon's `kept apply PLAN`, the generated units' ExecStart): a
 * compiled kept is its own executable; under `deno run`, it is deno running the same main module with the
 * flags of the `kept` task in deno.json.
 *
 * @module
 */

import { basename } from "node:path";
import { fileURLToPath } from "node:url";

/** A program and the arguments that start kept, to which a subcommand and its arguments are appended. */
export interface SelfCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** What {@link selfCommand} reads of the running process; injectable for tests. */
export interface ProcessInfo {
  readonly execPath: string;
  readonly mainModule: string;
}

/** The flags of the `kept` task in deno.json (tests/daemon/self_command_test.ts holds them equal). */
const DENO_RUN_FLAGS = [
  "run",
  "-A",
  "--quiet",
  "--v8-flags=--max-semi-space-size=4,--heap-growing-percent=50",
];

/**
 * The command that runs this kept with `args` (global options such as `--config`) first. Under `deno run`
 * it is `deno run -A --quiet --v8-flags=… MAIN.ts …args`; compiled, `kept …args`.
 */
export function selfCommand(
  args: readonly string[],
  process: ProcessInfo = { execPath: Deno.execPath(), mainModule: Deno.mainModule },
): SelfCommand {
  if (!isDeno(process.execPath)) return { command: process.execPath, args: [...args] };
  const main = process.mainModule.startsWith("file:")
    ? fileURLToPath(process.mainModule)
    : process.mainModule;
  return { command: process.execPath, args: [...DENO_RUN_FLAGS, main, ...args] };
}

/** The deno executable itself, as opposed to a `deno compile`d program (which is named after its output). */
function isDeno(execPath: string): boolean {
  return /^deno(\.exe)?$/i.test(basename(execPath));
}
