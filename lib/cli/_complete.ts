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
 * alone. Candidates start with the word being completed. `--option=value` is understood both whole (zsh,
 * fish) and split at the `=` as bash passes it (`--option`, `=`, `value`); a value completed after `=` is
 * offered whole (`--destination=nas`), or for bash, which replaces only what follows the `=`, alone.
 */
export async function complete(
  program: AnyCommand,
  words: readonly string[],
  names: ConfigNames,
): Promise<string[]> {
  const { joined, currentSplit } = joinEquals(words);
  const current = joined.at(-1) ?? "";
  const { command, positionals, pendingOption, configFlag } = walk(program, joined.slice(0, -1));
  const inline = inlineValue(current, command, program);
  if (pendingOption === undefined && inline !== undefined) {
    const directive = PATH_OPTIONS[inline.flag];
    if (directive !== undefined) return [directive];
    const values = startingWith(inline.value, await valuesOf(inline.flag, names, configFlag));
    return currentSplit ? values : values.map((value) => `${inline.flag}=${value}`);
  }
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

/**
 * `words` with bash's splitting at `=` undone. bash breaks words at the characters of COMP_WORDBREAKS, `=`
 * among them, and passes `--config=/p` as `--config`, `=`, `/p`: each `=` is joined to the word before it
 * and to a non-empty word after it (an empty last word after `=` is the new word after a space). Spaces
 * around an `=` cannot be told from this; commander would read them differently anyway. `currentSplit`:
 * the last word was made of split pieces, so the shell completes only what follows its `=`.
 */
function joinEquals(words: readonly string[]): { joined: string[]; currentSplit: boolean } {
  const joined: string[] = [];
  let currentSplit = false;
  let glue = false;
  for (const [index, word] of words.entries()) {
    const last = index === words.length - 1;
    if (word === "=" && joined.length > 0) {
      joined[joined.length - 1] += "=";
      glue = true;
      currentSplit = last;
    } else if (glue && word !== "") {
      joined[joined.length - 1] += word;
      glue = false;
      currentSplit = last;
    } else {
      joined.push(word);
      glue = false;
    }
  }
  return { joined, currentSplit };
}

/** The option and the value typed so far of a word `--option=value`, for an option that takes a value. */
function inlineValue(
  word: string,
  command: AnyCommand,
  program: AnyCommand,
): { flag: string; value: string } | undefined {
  const equals = word.indexOf("=");
  if (!word.startsWith("--") || equals < 0) return undefined;
  const option = findOption(command, program, word.slice(0, equals));
  if (option?.long === undefined || !takesValue(option)) return undefined;
  return { flag: option.long, value: word.slice(equals + 1) };
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
