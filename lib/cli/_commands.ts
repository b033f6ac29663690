/**
 * Which command modules a run loads. Only the module of the command the line names: the other commands'
 * modules and the engines behind them cost every run ~20 ms of start-up (docs/performance.md, "Short
 * backups").
 * A line that names none of them (help, a misspelt command commander suggests a name for, completions,
 * which walk every command's options) loads them all; `validate` and `schema` (registered by the CLI
 * itself) none.
 *
 * @module
 */

import type { CommandKit, Program } from "./_command_kit.ts";

/** Registers one top-level command (and its subcommands) on the program. */
export type Register = (program: Program, kit: CommandKit) => void;

/** Each command module by the top-level command it registers; `completions` needs them all. */
export const COMMAND_LOADERS: ReadonlyMap<string, () => Promise<Register>> = new Map([
  ["init", async () => (await import("./init_command.ts")).initCommand],
  ["backup", async () => (await import("./backup_command.ts")).backupCommand],
  ["snapshots", async () => (await import("./snapshots_command.ts")).snapshotsCommand],
  ["ls", async () => (await import("./ls_command.ts")).lsCommand],
  ["diff", async () => (await import("./diff_command.ts")).diffCommand],
  ["restore", async () => (await import("./restore_command.ts")).restoreCommand],
  ["check", async () => (await import("./check_command.ts")).checkCommand],
  ["key", async () => (await import("./key_command.ts")).keyCommand],
  ["forget", async () => (await import("./forget_command.ts")).forgetCommand],
  ["prune", async () => (await import("./prune_command.ts")).pruneCommand],
  ["unlock", async () => (await import("./unlock_command.ts")).unlockCommand],
  ["repair", async () => (await import("./repair_command.ts")).repairCommand],
  ["cache", async () => (await import("./cache_command.ts")).cacheCommand],
  ["plan", async () => (await import("./plan_command.ts")).planCommand],
  ["apply", async () => (await import("./apply_command.ts")).applyCommand],
  ["state", async () => (await import("./state_command.ts")).stateCommand],
  ["daemon", async () => (await import("./daemon_command.ts")).daemonCommand],
  ["schedule", async () => (await import("./schedule_command.ts")).scheduleCommand],
]);

/** The commands to register for `args` (without the program name), in the order help lists them. */
export async function commandRegisters(
  args: readonly string[],
  program: Program,
): Promise<readonly Register[]> {
  const word = commandWord(args, program);
  // validate and schema: registered already, they need no other command.
  if (program.commands.some((command) => command.name() === word)) return [];
  const load = word === undefined ? undefined : COMMAND_LOADERS.get(word);
  return load ? [await load()] : (await import("./_all_commands.ts")).ALL_COMMANDS;
}

/** The first word of `args` that is neither one of `program`'s options nor an option's value. */
export function commandWord(args: readonly string[], program: Program): string | undefined {
  const takesValue = new Set<string>();
  for (const option of program.options) {
    if (!option.required && !option.optional) continue;
    if (option.long) takesValue.add(option.long);
    if (option.short) takesValue.add(option.short);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    if (!arg.startsWith("-")) return arg;
    if (takesValue.has(arg)) i++;
  }
  return undefined;
}
