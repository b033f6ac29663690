/**
 * The command line: parses arguments, calls one library function per command, renders the result.
 *
 * @module
 */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { ExitCode, UsageError, UserError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { planJsonSchema, resolveConfigPath } from "../plan/mod.ts";
import { isOutputClosed, type Output, processOutput } from "./output.ts";
import { listenForInterrupts } from "./_interrupts.ts";
import type { CliContext } from "./_context.ts";
import { promptHidden } from "../secrets.ts";
import { commandKit } from "./_command_kit.ts";
import { hintFor } from "./_hints.ts";
import { initCommand } from "./init_command.ts";
import { backupCommand } from "./backup_command.ts";
import { snapshotsCommand } from "./snapshots_command.ts";
import { lsCommand } from "./ls_command.ts";
import { diffCommand } from "./diff_command.ts";
import { restoreCommand } from "./restore_command.ts";
import { checkCommand } from "./check_command.ts";
import { keyCommand } from "./key_command.ts";
import { forgetCommand } from "./forget_command.ts";
import { unlockCommand } from "./unlock_command.ts";
import { pruneCommand } from "./prune_command.ts";
import { planCommand } from "./plan_command.ts";
import { stateCommand } from "./state_command.ts";

export type { CliContext };
import { runValidate } from "./validate.ts";

const defaultContext = (): CliContext => ({
  output: processOutput,
  env: (name) => Deno.env.get(name),
  cwd: Deno.cwd(),
  prompt: promptHidden,
  signals: true,
});

/** Runs kept with `args` (without the program name) and returns the exit code. Never throws. */
export async function main(args: string[], context: CliContext = defaultContext()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const { program, kit } = buildProgram(context, (code) => exitCode = code);
  const stopListening = context.signals ? listenForInterrupts(kit) : () => {};
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, context.output);
  } finally {
    stopListening();
    // Locks taken while the command ran, also when it failed (docs/format.md#locks).
    await kit.releaseLocks();
  }
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
    return error.exitCode;
  }
  const stack = error instanceof Error ? error.stack ?? error.message : String(error);
  output.err(`kept: internal error (this is a bug, please report it):\n${stack}\n`);
  return 70;
}

function buildProgram(context: CliContext, setExitCode: (code: number) => void) {
  const { output } = context;
  const program = new Command()
    .name("kept")
    .description(
      // One paragraph: commander wraps it to the terminal's width (a newline here broke lines twice).
      "Declarative, deduplicated, compressed and encrypted backups. Plans live in YAML files; kept backs " +
        "them up to a local disk or S3-compatible storage, forgets and prunes them by their retention, and " +
        "restores whole snapshots or single paths.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .option(
      "--config <path>",
      "plan file or folder (env KEPT_CONFIG; default ./plans, else $XDG_CONFIG_HOME/kept)",
    )
    .option(
      "--lock-wait <duration>",
      "wait this long for a conflicting repository lock, e.g. 30s, 5m (default 0)",
    )
    .option("-q, --quiet", "print no summary lines, only what was asked for and errors")
    .option(
      "-v, --verbose",
      "list each entry as it is handled (restore)",
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
      "\nExit codes: 0 ok, 1 failure, 2 usage error, 3 backup finished with unreadable files skipped,\n" +
        "130 interrupted (Ctrl-C), 143 terminated (SIGTERM). A closed stdout (kept ls latest | head) is 0.\n" +
        "Docs: README.md, docs/plans.md, docs/format.md",
    );

  planCommands(program, context, setExitCode);
  const kit = commandKit(context, setExitCode, {
    config: () => program.opts().config,
    lockWait: () => program.opts().lockWait,
    quiet: () => program.opts().quiet ?? false,
    verbose: () => program.opts().verbose ?? false,
  });
  for (const register of [initCommand, backupCommand, snapshotsCommand, lsCommand, diffCommand]) {
    register(program, kit);
  }
  for (const register of [restoreCommand, checkCommand, keyCommand]) register(program, kit);
  for (const register of [forgetCommand, pruneCommand, unlockCommand]) register(program, kit);
  for (const register of [planCommand, stateCommand]) register(program, kit);

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
      "\nPrints one line per problem as file:line:col: error|warning: message.\n" +
        "Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.",
    )
    .action(async (paths, options) => {
      setExitCode(
        await runValidate({
          paths: paths.length > 0 ? paths : [configPath()],
          json: options.json ?? false,
          requireEnv: options.requireEnv ?? false,
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
