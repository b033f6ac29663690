// What every repository command needs: the loaded config, the process environment, output.

import { formatProblem, loadConfig, resolveConfigPath } from "../plan/mod.ts";
import type { Config } from "../plan/mod.ts";
import { UserError } from "../errors.ts";
import type { Output } from "./output.ts";
import type { PasswordContext } from "../secrets.ts";

/** What a command needs from the process: injectable for tests. */
export interface CliContext {
  output: Output;
  env: (name: string) => string | undefined;
  cwd: string;
  /** Asks a question on the terminal without echo; undefined (or no prompt) when there is none. */
  prompt?: (question: string) => Promise<string | undefined>;
  /** Whether Ctrl-C and SIGTERM end this process with one line (true for the real process only). */
  signals?: boolean;
}

/** Loads the config named by `--config` (or the default); invalid plans are one UserError. */
export async function loadConfigOrFail(context: CliContext, flag: string | undefined): Promise<Config> {
  const path = resolveConfigPath({ flag, env: context.env, cwd: context.cwd });
  // Commands that act on plans treat an unset variable as an error: `${DATA}/x` must never become `/x`.
  const result = await loadConfig([path], { env: context.env, requireEnv: true });
  const errors = result.problems.filter((p) => p.severity === "error");
  if (!result.config) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more; run \`kept validate\`)` : "";
    throw new UserError(first ? `${formatProblem(first)}${more}` : `Cannot load config ${path}`);
  }
  return result.config;
}

/** Password lookup for commands. */
export function secretsOf(context: CliContext): PasswordContext {
  return {
    env: context.env,
    prompt: context.prompt,
    warn: (message) => context.output.err(`warning: ${message}\n`),
  };
}

/** The names of a plan's destinations, or the one asked for (which must be one of them). */
export function chooseDestinations(
  config: Config,
  planName: string | undefined,
  asked: string | undefined,
): string[] {
  if (asked !== undefined) {
    if (!config.destinations.has(asked)) {
      throw new UserError(
        `Unknown destination "${asked}" (defined: ${[...config.destinations.keys()].join(", ")})`,
      );
    }
    return [asked];
  }
  if (planName !== undefined) return config.plans.get(planName)?.destinations ?? [];
  if (config.destinations.size === 1) return [...config.destinations.keys()];
  throw new UserError("Several destinations are defined: name one with --destination", {
    hint: `defined: ${[...config.destinations.keys()].join(", ")}`,
  });
}
