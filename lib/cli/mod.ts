/**
 * The command line: parses arguments, calls one library function per command, renders the result.
 *
 * @module
 */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { ExitCode, UsageError, UserError } from "../errors.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPOSITORY_FORMAT_VERSION, VERSION } from "../version.ts";
import { PLAN_FORMAT_VERSION, planJsonSchema, resolveConfigPath } from "../plan/mod.ts";
import { isOutputClosed, type Output, processOutput } from "./output.ts";
import { listenForInterrupts } from "./_interrupts.ts";
import type { CliContext } from "./_context.ts";
import { promptHidden } from "../secrets.ts";
import { type CommandKit, commandKit, failurePrinted } from "./_command_kit.ts";
import { commandRegisters } from "./_commands.ts";
import { hintFor } from "./_hints.ts";
import { exitCodeFor, exitCodeHelp } from "./_exit_codes.ts";
export type { CliContext };
import { runValidate } from "./validate.ts";

const defaultContext = (): CliContext => ({
  output: processOutput,
  env: (name) => Deno.env.get(name),
  cwd: enterStartFolder(),
  prompt: promptHidden,
  signals: true,
});

/** This clone's folder, where `deno task` runs kept's tasks (undefined in a compiled binary). */
const CLONE_FOLDER = import.meta.url.startsWith("file:")
  ? fileURLToPath(new URL("../../", import.meta.url))
  : "";

/**
 * The user's working folder. `deno task kept` runs in the clone's folder and names the folder it was
 * started from in INIT_CWD: kept moves there, so that `./plans` and relative paths mean the user's.
 */
function enterStartFolder(): string {
  const started = Deno.env.get("INIT_CWD");
  const here = Deno.cwd();
  // Only under `deno task`: an npm script sets INIT_CWD too, and an installed kept must not follow it.
  if (started && started !== here && join(here, "/") === CLONE_FOLDER) Deno.chdir(started);
  return Deno.cwd();
}

/** `kept --version`: kept's, Deno's, and the formats' versions (the repository's and the plan files'). */
function versionText(): string {
  return `kept ${VERSION}\ndeno ${Deno.version.deno}\nrepository format ${REPOSITORY_FORMAT_VERSION}, ` +
    `plan format ${PLAN_FORMAT_VERSION}`;
}

/** Runs kept with `args` (without the program name) and returns the exit code. Never throws. */
export async function main(args: string[], context: CliContext = defaultContext()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const { program, kit } = await buildProgram(args, context, (code) => exitCode = code);
  const interrupts = context.signals ? listenForInterrupts(kit) : undefined;
  try {
    await program.parseAsync(args, { from: "user" });
    // What a command did stands only under locks it really held (an optimistic one settles meanwhile).
    const lost = await lostLockRace(kit);
    return interrupts?.exitCode() ?? (lost ? reportError(lost, context.output) : exitCode);
  } catch (error) {
    // A lock race lost explains a failure better than what it caused (say, a pack pruned away meanwhile).
    const lost = await lostLockRace(kit);
    return interrupts?.exitCode() ?? reportError(lost ?? error, context.output);
  } finally {
    interrupts?.stop();
    // Locks taken while the command ran, also when it failed (docs/format.md#locks).
    await kit.releaseLocks();
  }
}

/**
 * The conflict of a lock that lost its race while the command ran, unless a destination's failure named it
 * already (a backup's index or snapshot waits for its lock, and fails with the conflict).
 */
async function lostLockRace(kit: CommandKit): Promise<unknown> {
  const lost = await kit.confirmLocks().then(() => undefined, (conflict: unknown) => conflict);
  return failurePrinted(lost) ? undefined : lost;
}

/** Prints what ended a command, by kind, and returns the exit code to end with. */
function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help/version text).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  // The reader of stdout has gone (`kept ls latest | head`): it has what it wanted.
  if (isOutputClosed(error)) return ExitCode.ok;
  if (error instanceof UserError) {
    output.err(`kept: ${error.message}\n`);
    const hint = hintFor(error);
    if (hint) output.err(`hint: ${hint}\n`);
    return exitCodeFor(error);
  }
  const stack = error instanceof Error ? error.stack ?? error.message : String(error);
  output.err(`kept: internal error (this is a bug, please report it):\n${stack}\n`);
  return ExitCode.internal;
}

async function buildProgram(
  args: readonly string[],
  context: CliContext,
  setExitCode: (code: number) => void,
) {
  const { output } = context;
  const program = new Command()
    .name("kept")
    .description(
      // One paragraph: commander wraps it to the terminal's width (a newline here broke lines twice).
      "Declarative, deduplicated, compressed and encrypted backups. Plans live in YAML files; kept backs " +
        "them up to a local disk or S3-compatible storage, forgets and prunes them by their retention, and " +
        "restores whole snapshots or single paths.",
    )
    .version(versionText(), "-V, --version", "print the versions of kept, Deno and the formats")
    .helpOption("-h, --help", "show help for a command")
    .option(
      "--config <path>",
      "plan file or folder (env KEPT_CONFIG; default ./plans, else $XDG_CONFIG_HOME/kept)",
    )
    .option(
      "--lock-wait <duration>",
      "wait this long for a conflicting repository lock, e.g. 30s, 5min (default 0)",
    )
    .option(
      "--no-cache",
      "do not use the local cache of remote repositories' metadata (docs/destinations.md)",
    )
    .option("-q, --quiet", "print no summary lines, only what was asked for and errors")
    .option(
      "-v, --verbose",
      "list each file backup reads (+ new, M changed), each entry restore writes, each plan's sources (validate)",
    )
    .hook("preAction", () => {
      if (program.opts().quiet && program.opts().verbose) {
        throw new UsageError("Cannot combine --quiet and --verbose");
      }
    })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text),
      writeErr: (text) => output.err(text),
      outputError: (text, write) => write(`kept: ${text.replace(/^error: /, "")}`),
    })
    .addHelpText(
      "after",
      `\n${exitCodeHelp()}\nDocs: README.md, docs/plans.md, docs/format.md`,
    );

  planCommands(program, context, setExitCode);
  const kit = commandKit(context, setExitCode, {
    config: () => program.opts().config,
    lockWait: () => program.opts().lockWait,
    quiet: () => program.opts().quiet ?? false,
    verbose: () => program.opts().verbose ?? false,
    noCache: () => program.opts().cache === false,
  });
  for (const register of await commandRegisters(args, program)) register(program, kit);

  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
  }
  return { program, kit };
}

/** `kept validate` and `kept schema`: they read plan files only, never a repository. */
function planCommands(
  // deno-lint-ignore no-explicit-any
  program: Command<any, any, any>,
  context: CliContext,
  setExitCode: (code: number) => void,
): void {
  const { output } = context;
  const configPath = () =>
    resolveConfigPath({ flag: program.opts().config, env: context.env, cwd: context.cwd });

  program.command("validate")
    .description("check plan files for mistakes without touching any repository (for CI)")
    .argument("[paths...]", "plan files or folders (default: the config)")
    .option("--json", "print problems as JSON")
    .option("--require-env", "treat unset environment variables as errors instead of warnings")
    .addHelpText(
      "after",
      "\nPrints one line per problem as file:line:col: error|warning: message; a source that does not\n" +
        "exist on this machine is a warning. With -v, lists each plan with its sources resolved.\n" +
        "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.",
    )
    .action(async (paths, options) => {
      setExitCode(
        await runValidate({
          paths: paths.length > 0 ? paths : [configPath()],
          json: options.json ?? false,
          requireEnv: options.requireEnv ?? false,
          verbose: program.opts().verbose ?? false,
          env: context.env,
        }, output),
      );
    });

  program.command("schema")
    .description("print the JSON Schema of plan files, for editors (yaml-language-server)")
    .action(() => {
      output.out(JSON.stringify(planJsonSchema(), null, 2) + "\n");
    });
}
