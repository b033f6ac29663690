// What every repository command needs: the loaded config, the process environment, output.

import {
  compareProblems,
  destinationNames,
  formatProblem,
  loadConfig,
  resolveConfigPath,
  unresolvedError,
} from "../plan/mod.ts";
import type { Config } from "../plan/mod.ts";
import { UsageError, UserError } from "../errors.ts";
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

/** Which plans of the config a command uses, for {@link loadConfigOrFail}. */
export interface ConfigUse {
  /** The names of the plans the command reads; default: every plan. */
  plans?: readonly string[];
}

/**
 * Loads the config named by `--config` (or the default); invalid plans are one UserError, and so is a
 * variable that is not set in a plan of `use.plans`. One in a destination fails only where that
 * destination is opened (`destinationByName`): a restore from the local disk needs no offsite secret.
 */
export async function loadConfigOrFail(
  context: CliContext,
  flag: string | undefined,
  use: ConfigUse = {},
): Promise<Config> {
  const path = resolveConfigPath({ flag, env: context.env, cwd: context.cwd });
  // An unset variable is an error wherever it is used: `${DATA}/x` must never become `/x`.
  const result = await loadConfig([path], { env: context.env, requireEnv: "when-used" });
  const errors = result.problems.filter((p) => p.severity === "error");
  if (!result.config) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more; run \`kept validate\`)` : "";
    throw new UserError(first ? `${formatProblem(first)}${more}` : `Cannot load config ${path}`);
  }
  const { unresolved } = result.config;
  const used = use.plans ?? [...unresolved.plans.keys()];
  const problems = used.flatMap((name) => unresolved.plans.get(name) ?? []).sort(compareProblems);
  if (problems.length > 0) throw unresolvedError(problems);
  return result.config;
}

/** Password lookup for commands. */
export function secretsOf(context: CliContext): PasswordContext {
  return {
    env: context.env,
    prompt: context.prompt,
    warn: (message) => {
      // Once a run: apply reads a destination's password for each step (plan, backup, forget, prune).
      const said = warningsSaid.get(context) ?? new Set<string>();
      warningsSaid.set(context, said);
      if (said.has(message)) return;
      said.add(message);
      context.output.err(`warning: ${message}\n`);
    },
  };
}

/** The warnings about passwords each run has printed. */
const warningsSaid = new WeakMap<CliContext, Set<string>>();

/** The names of a plan's destinations, or the one asked for (which must be one of them). */
export function chooseDestinations(
  config: Config,
  planName: string | undefined,
  asked: string | undefined,
): string[] {
  // Destinations left out of the config by an unset variable count: opening one says which variable.
  const defined = destinationNames(config);
  if (asked !== undefined) {
    if (!defined.includes(asked)) {
      throw new UserError(`Unknown destination "${asked}" (defined: ${defined.join(", ")})`);
    }
    return [asked];
  }
  if (planName !== undefined) return config.plans.get(planName)?.destinations ?? [];
  if (defined.length === 1) return defined;
  throw new UsageError(
    "Several destinations are defined: name one with --destination",
    `defined: ${defined.join(", ")}`,
  );
}
