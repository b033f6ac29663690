// A run loads only the module of the command it names (lib/cli/_commands.ts): these hold the two lists of
// command modules together and the reading of the command word.

import assert from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import { commandKit } from "../../lib/cli/_command_kit.ts";
import { COMMAND_LOADERS, commandRegisters, commandWord } from "../../lib/cli/_commands.ts";
import { ALL_COMMANDS } from "../../lib/cli/_all_commands.ts";
import { runKept } from "../_support/run_cli.ts";

/** A program with kept's global options (as lib/cli/mod.ts declares them) and no command. */
function bareProgram() {
  return new Command()
    .option("--config <path>")
    .option("--lock-wait <duration>")
    .option("--no-cache")
    .option("-q, --quiet")
    .option("-v, --verbose");
}

const kit = commandKit(
  { output: { out: () => {}, err: () => {} }, env: () => undefined, cwd: "/" },
  () => {},
  {
    config: () => undefined,
    lockWait: () => undefined,
    quiet: () => false,
    verbose: () => false,
    noCache: () => false,
  },
);

function registeredNames(
  registers: Iterable<(program: ReturnType<typeof bareProgram>, k: typeof kit) => void>,
) {
  const program = bareProgram();
  for (const register of registers) register(program, kit);
  return program.commands.map((command) => command.name());
}

Deno.test("each lazily loaded command module registers the command it is listed under, and only that", async () => {
  for (const [name, load] of COMMAND_LOADERS) assert.deepEqual(registeredNames([await load()]), [name], name);
});

Deno.test("all the command modules together are the lazily loaded ones, in the same order, and completions", () => {
  assert.deepEqual(registeredNames(ALL_COMMANDS), [...COMMAND_LOADERS.keys(), "completions", "__complete"]);
});

Deno.test("the command word skips global options and their values", () => {
  const program = bareProgram();
  assert.equal(commandWord(["backup", "web"], program), "backup");
  assert.equal(commandWord(["--config", "backup", "restore", "latest"], program), "restore");
  assert.equal(commandWord(["--config=plans", "-q", "--lock-wait", "5s", "check"], program), "check");
  assert.equal(commandWord(["-v", "--no-cache", "ls", "latest"], program), "ls");
  assert.equal(commandWord(["--help"], program), undefined);
  assert.equal(commandWord(["--", "backup"], program), undefined);
  assert.equal(commandWord([], program), undefined);
});

Deno.test("a run registers the command it names alone; help, an unknown word and completions get them all", async () => {
  const names = async (args: string[]) => registeredNames(await commandRegisters(args, bareProgram()));
  assert.deepEqual(await names(["--config", "x", "restore", "latest"]), ["restore"]);
  assert.deepEqual(await names(["backup", "--help"]), ["backup"]);
  const all = [...COMMAND_LOADERS.keys(), "completions", "__complete"];
  assert.deepEqual(await names(["--help"]), all);
  assert.deepEqual(await names(["bakup"]), all);
  assert.deepEqual(await names(["completions", "bash"]), all);
  assert.deepEqual(await names(["__complete", "back"]), all);
});

Deno.test("validate and schema, which the CLI registers itself, load no command module", async () => {
  const program = bareProgram();
  program.command("validate");
  assert.deepEqual(await commandRegisters(["validate", "plans"], program), []);
});

Deno.test("`kept` with a misspelt command still suggests the right one, and `kept help CMD` shows its help", async () => {
  const misspelt = await runKept(["bakup"]);
  assert.equal(misspelt.code, 2);
  assert.match(misspelt.stderr, /unknown command 'bakup'.*\n.*Did you mean backup\?/);
  const help = await runKept(["help", "restore"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: kept restore \[options\] <snapshot>/);
});
