// What the repository commands share: the loaded config, opening a named destination, JSON output and the
// exit code, built once per run from the CLI context.

import type { Command } from "@commander-js/extra-typings";
import type { UserError } from "../errors.ts";
import type { Config, Destination } from "../plan/mod.ts";
import { destinationByName, openRepository } from "../destinations/mod.ts";
import type { Repository } from "../repo/mod.ts";
import { chooseDestinations, type CliContext, loadConfigOrFail, secretsOf } from "./_context.ts";
import type { Output } from "./output.ts";

// deno-lint-ignore no-explicit-any
export type Program = Command<any, any, any>;

export const SNAPSHOT_PLAN_HELP = "only snapshots of this plan (latest: the newest of them)";
export const SNAPSHOT_HOST_HELP = "only snapshots taken on this host (latest: the newest of them)";

/** The shared services of the repository commands. */
export interface CommandKit {
  context: CliContext;
  output: Output;
  /** Prints a value as indented JSON on stdout. */
  json(value: unknown): void;
  /** Loads the config named by `--config`; an invalid one is a one-line error. */
  loadConfig(): Promise<Config>;
  /** Opens the destination named (or the only one) and unlocks its repository. */
  openNamed(name: string | undefined): Promise<
    { config: Config; destination: Destination; repository: Repository }
  >;
  setExitCode(code: number): void;
}

/** Builds the kit for one run; `configFlag` reads `--config` once the arguments are parsed. */
export function commandKit(
  context: CliContext,
  setExitCode: (code: number) => void,
  configFlag: () => string | undefined,
): CommandKit {
  const loadConfig = () => loadConfigOrFail(context, configFlag());
  return {
    context,
    output: context.output,
    json: (value) => context.output.out(JSON.stringify(value, null, 2) + "\n"),
    loadConfig,
    openNamed: async (name) => {
      const config = await loadConfig();
      const destination = destinationByName(config, chooseDestinations(config, undefined, name)[0]!);
      return { config, destination, repository: await openRepository(destination, secretsOf(context)) };
    },
    setExitCode,
  };
}

/** Who is running kept, as recorded in snapshots and key files. */
export function whoAmI(env: (name: string) => string | undefined): { host: string; username: string } {
  return { host: Deno.hostname(), username: env("USER") ?? env("LOGNAME") ?? String(Deno.uid() ?? "") };
}

/** A destination whose work failed while the others went on: its name, the error, and the hint if any. */
export function printFailure(output: Output, destination: string, error: UserError): void {
  output.err(`kept: destination "${destination}": ${error.message}\n`);
  if (error.hint) output.err(`hint: ${error.hint}\n`);
}
