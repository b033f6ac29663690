// `kept backup`: backs up a plan to its destinations.

import { ExitCode, UserError } from "../errors.ts";
import { backup, FolderScans } from "../backup/mod.ts";
import { destinationByName, openRepository } from "../destinations/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import { chooseDestinations, secretsOf } from "./_context.ts";
import { type CommandKit, type Program, whoAmI } from "./_command_kit.ts";

/** Registers `kept backup` on `program`. */
export function backupCommand(program: Program, kit: CommandKit): void {
  const { output, json, loadConfig, setExitCode, context } = kit;
  program.command("backup")
    .description("back up a plan to its destinations (all of them unless --destination is given)")
    .argument("<plan>", "plan name from the config")
    .option("--destination <name>", "back up to this destination only")
    .option("--dry-run", "scan and compare with the last snapshot, read and write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 failed, 3 finished but some files could not be read.\n" +
        "After the snapshot is saved, temporary files that interrupted backups left in the repository\n" +
        "more than a day ago are removed.",
    )
    .action(async (planName, options) => {
      const config = await loadConfig();
      const plan = config.plans.get(planName);
      if (!plan) {
        throw new UserError(
          `Unknown plan "${planName}" (defined: ${[...config.plans.keys()].join(", ") || "none"})`,
        );
      }
      if (options.destination && !plan.destinations.includes(options.destination)) {
        throw new UserError(`Plan "${planName}" does not back up to destination "${options.destination}"`);
      }
      const results = [];
      let partial = false;
      for (const name of chooseDestinations(config, planName, options.destination)) {
        const destination = destinationByName(config, name);
        // The snapshot's time is taken before any file is looked at.
        const now = new Date();
        const opening = openRepository(destination, secretsOf(context));
        // Read folders while the password's key is derived: the walk then only compares.
        const scans = FolderScans.start(plan, opening);
        const repository = await opening;
        const result = await backup(repository, {
          plan,
          destination: name,
          ...whoAmI(context.env),
          now,
          scans,
          dryRun: options.dryRun ?? false,
          onWarning: (message) => output.err(`warning: ${message}\n`),
        });
        if (result.warnings.length > 0) partial = true;
        results.push({ destination: name, ...result });
        if (!options.json) {
          const s = result.stats;
          const verb = options.dryRun
            ? "would back up"
            : `snapshot ${result.snapshotId?.slice(0, 12)} saved:`;
          output.out(
            `${name}: ${verb} ${s.files} files, ${s.dirs} folders, ${formatBytes(s.bytes)} ` +
              `(${s.newFiles} new, ${s.changedFiles} changed, ${s.unchangedFiles} unchanged); ` +
              `added ${formatBytes(s.addedBytes)} in ${(s.durationMs / 1000).toFixed(1)}s\n`,
          );
        }
        if (result.removedLeftovers && !options.json) {
          const { files, bytes } = result.removedLeftovers;
          output.out(
            `${name}: removed ${files} temporary ${files === 1 ? "file" : "files"} (${formatBytes(bytes)}) ` +
              `left by interrupted backups\n`,
          );
        }
        if (result.leftoversError) {
          output.err(
            `note: cannot remove what interrupted backups left in "${name}": ${result.leftoversError}\n`,
          );
        }
      }
      if (options.json) json(results);
      if (partial) setExitCode(ExitCode.partial);
    });
}
