// `kept check`: verifies a repository's structure, and with --read-data its contents.

import { Option } from "@commander-js/extra-typings";
import { ExitCode, UsageError } from "../errors.ts";
import { check } from "../check/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";

/** Registers `kept check` on `program`. */
export function checkCommand(program: Program, kit: CommandKit): void {
  const { output, json, openNamed, setExitCode } = kit;
  program.command("check")
    .description("verify a repository's structure, and with --read-data its contents")
    .option("--destination <name>", "destination (needed when several are defined)")
    .addOption(new Option("--read-data", "read every pack and verify every blob").conflicts("readDataSubset"))
    .option("--read-data-subset <percent>", "read this share of the packs, e.g. 10%")
    .option("--json", "print the result as JSON")
    .action(async (options) => {
      let subset: number | undefined;
      if (options.readDataSubset !== undefined) {
        const match = /^(\d+(?:\.\d+)?)%?$/.exec(options.readDataSubset);
        const value = match ? Number(match[1]) : NaN;
        if (!(value > 0 && value <= 100)) {
          throw new UsageError(
            `Invalid --read-data-subset "${options.readDataSubset}": give a percentage like 10%`,
          );
        }
        subset = value / 100;
      }
      const { destination, repository } = await openNamed(options.destination);
      const result = await check(repository, {
        readData: options.readData ?? false,
        ...(subset !== undefined ? { readDataSubset: subset } : {}),
      });
      if (options.json) {
        json({ ...result, destination: destination.name, affected: Object.fromEntries(result.affected) });
      } else {
        for (const warning of result.warnings) output.err(`warning: ${warning}\n`);
        for (const error of result.errors) output.out(`error: ${error}\n`);
        output.out(
          `${destination.name}: ${
            result.ok ? "no errors" : `${result.errors.length} errors`
          } in ${result.snapshots} snapshots, ${result.packs} packs` +
            `${result.packsRead ? ` (${result.packsRead} read)` : ""}\n`,
        );
      }
      if (!result.ok) setExitCode(ExitCode.failure);
    });
}
