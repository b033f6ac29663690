// `kept restore`: restores a snapshot, or a path in it, below a target folder.

import { UserError } from "../errors.ts";
import { restore } from "../restore/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import { type CommandKit, type Program, SNAPSHOT_HOST_HELP, SNAPSHOT_PLAN_HELP } from "./_command_kit.ts";

/** Registers `kept restore` on `program`. */
export function restoreCommand(program: Program, kit: CommandKit): void {
  const { output, openNamed } = kit;
  program.command("restore")
    .description("restore a snapshot, or a path in it, below a target folder")
    .argument("<snapshot>", "snapshot id, unique id prefix, or latest")
    .requiredOption("--target <dir>", "folder to restore into (created if missing)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--path <subpath>", "restore only this path of the snapshot, e.g. /etc/nginx")
    .option("--include <pattern...>", "restore only paths matching these gitignore-style patterns")
    .option("--overwrite", "replace existing files that differ from the snapshot")
    .addHelpText(
      "after",
      "\nFiles keep their absolute paths below the target: /etc/hosts is restored to TARGET/etc/hosts.\n" +
        "Existing files are never replaced without --overwrite; files that already match are skipped,\n" +
        "so running the same restore again resumes an interrupted one.",
    )
    .action(async (ref, options) => {
      const { repository } = await openNamed(options.destination);
      await repository.loadIndex();
      const { id, snapshot } = await repository.findSnapshot(ref, options);
      const result = await restore(repository, {
        tree: snapshot.tree,
        target: options.target,
        ...(options.path ? { path: options.path } : {}),
        ...(options.include ? { include: options.include } : {}),
        overwrite: options.overwrite ?? false,
        onWarning: (message) => output.err(`error: ${message}\n`),
      });
      output.out(
        `restored snapshot ${id.slice(0, 12)}: ${result.files} files, ${result.dirs} folders, ${
          formatBytes(result.bytes)
        }${result.skipped ? ` (${result.skipped} already present)` : ""}\n`,
      );
      if (result.errors.length > 0) {
        throw new UserError(`Restore incomplete: ${result.errors.length} entries could not be restored`);
      }
    });
}
