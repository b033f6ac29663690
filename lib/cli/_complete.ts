// What to offer for the word being completed on a kept command line: read from the commands and options
// registered with commander (so a new command completes without a change here), plus the plan and
// destination names of the config. The shell scripts of `kept completions` only print what this returns.

import type { Command, Option } from "@commander-js/extra-typings";

/** Tells the shell script to complete file paths (`:files`) or folders (`:dirs`) itself. */
export type PathDirective = ":files" | ":dirs";

/** The plan and destination names of the config (`--config` as given on the line); read only when needed. */
export interface ConfigNames {
  plans(configFlag: string | undefined): Promise<string[]>;
  destinations(configFlag: string | undefined): Promise<string[]>;
}

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/** Options whose values are paths, and the directive for each. */
const PATH_OPTIONS: Record<string, PathDirective> = { "--config": ":files", "--target": ":dirs" };

/**
 * The candidates for the last of `words` (the command line after `kept`; the last word is the one being
 * completed, possibly empty): commands, options, names from the config, or a {@linkcode PathDirective}
 * alone. Candidates start with the word being completed.
 */
export async function complete(
  program: AnyCommand,
  words: readonly string[],
  names: ConfigNames,
): Promise<string[]> {
  const current = words.at(-1) ?? "";
  const { command, positionals, pendingOption, configFlag } = walk(program, words.slice(0, -1));
  if (pendingOption !== undefined) {
    const directive = PATH_OPTIONS[pendingOption];
    if (directive !== undefined) return [directive];
    return startingWith(current, await valuesOf(pendingOption, names, configFlag));
  }
  if (current.startsWith("-")) return startingWith(current, optionNames(command, program));
  const subcommands = visible(command.commands);
  if (subcommands.length > 0) return startingWith(current, subcommands.map((sub) => sub.name()));
  if (command === program) return [];
  const values = await argumentValues(command, positionals, names, configFlag);
  return isDirective(values) ? values : startingWith(current, values);
}

function isDirective(values: readonly string[]): boolean {
  return values.length === 1 && (values[0] === ":files" || values[0] === ":dirs");
}

/** Where the words before the current one leave the command line. */
interface Walked {
  command: AnyCommand;
  /** Positional arguments given to `command` so far. */
  positionals: number;
  /** An option that waits for its value (`--destination` as the previous word). */
  pendingOption: string | undefined;
  configFlag: string | undefined;
}

function walk(program: AnyCommand, words: readonly string[]): Walked {
  const walked: Walked = {
    command: program,
    positionals: 0,
    pendingOption: undefined,
    configFlag: undefined,
  };
  for (const word of words) {
    if (walked.pendingOption !== undefined) {
      if (walked.pendingOption === "--config") walked.configFlag = word;
      walked.pendingOption = undefined;
    } else if (word.startsWith("-")) {
      const option = findOption(walked.command, program, word.split("=")[0]!);
      if (option && takesValue(option) && !word.includes("=")) walked.pendingOption = option.long ?? word;
      if (word.startsWith("--config=")) walked.configFlag = word.slice("--config=".length);
    } else {
      const sub = walked.command.commands.find((candidate) => candidate.name() === word);
      if (sub) {
        walked.command = sub;
        walked.positionals = 0;
      } else walked.positionals++;
    }
  }
  return walked;
}

/** An option of `command`, or a global one of `program`, by its long or short flag. */
function findOption(command: AnyCommand, program: AnyCommand, flag: string): Option | undefined {
  const matches = (option: Option) => option.long === flag || option.short === flag;
  return command.options.find(matches) ?? program.options.find(matches);
}

function takesValue(option: Option): boolean {
  return option.required || option.optional;
}

/** The long flags of `command` and the global ones, and --help. */
function optionNames(command: AnyCommand, program: AnyCommand): string[] {
  const flags = [...command.options, ...(command === program ? [] : program.options)]
    .filter((option) => !option.hidden)
    .map((option) => option.long)
    .filter((flag): flag is string => flag !== undefined);
  return [...new Set([...flags, "--help"])];
}

function valuesOf(option: string, names: ConfigNames, configFlag: string | undefined): Promise<string[]> {
  if (option === "--destination") return names.destinations(configFlag);
  if (option === "--plan") return names.plans(configFlag);
  return Promise.resolve([]);
}

/** Values for the next positional argument, by its name: plans, destinations, files, or its choices. */
async function argumentValues(
  command: AnyCommand,
  positionals: number,
  names: ConfigNames,
  configFlag: string | undefined,
): Promise<string[]> {
  const declared = command.registeredArguments;
  const argument = declared[Math.min(positionals, declared.length - 1)];
  if (argument === undefined || (positionals >= declared.length && !argument.variadic)) return [];
  const name = argument.name();
  if (name.startsWith("plan")) return await names.plans(configFlag);
  if (name.startsWith("destination")) return await names.destinations(configFlag);
  if (name === "paths") return [":files"]; // validate's plan files (`ls` takes a path inside a snapshot)
  return argument.argChoices ?? [];
}

function visible(commands: readonly AnyCommand[]): AnyCommand[] {
  // commander marks hidden commands only in a private field; kept's hidden ones start with "__".
  return commands.filter((command) => !command.name().startsWith("__") && command.name() !== "help");
}

function startingWith(prefix: string, candidates: readonly string[]): string[] {
  return [...new Set(candidates.filter((candidate) => candidate.startsWith(prefix)))].sort();
}
