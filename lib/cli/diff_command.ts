// `kept diff`: shows what changed between two snapshots.

import { diffTrees } from "../snapshots/mod.ts";
import { escapeName } from "./output.ts";
import { pathJson } from "./_json.ts";
import { namingFolders } from "./ls_command.ts";
import { type CommandKit, type Program, SNAPSHOT_HOST_HELP, SNAPSHOT_PLAN_HELP } from "./_command_kit.ts";
import { counted } from "./_counted.ts";

/** Registers `kept diff` on `program`. */
export function diffCommand(program: Program, kit: CommandKit): void {
  const { output, openNamed } = kit;
  program.command("diff")
    .description("show what changed between two snapshots")
    .argument("<snapshot1>", "the older snapshot")
    .argument("<snapshot2>", "the newer snapshot")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--json", "print one JSON object per change")
    .addHelpText(
      "after",
      "\n+ added, - removed, M modified: a file, link or special file whose content, type, link target, mode,\n" +
        "owner, extended attributes or time (to the nanosecond) changed; a folder whose mode, owner or\n" +
        "extended attributes changed (not its time alone: entries added or removed are listed). An entry\n" +
        "that became a folder, or a folder that became something else, is M, and what is in the folder -/+.",
    )
    .action(async (first, second, options) => {
      const { repository } = await openNamed(options.destination);
      await repository.loadIndex();
      const a = await repository.findSnapshot(first, options);
      const b = await repository.findSnapshot(second, options);
      let count = 0;
      for await (
        const change of namingFolders(diffTrees(repository, a.snapshot.tree, b.snapshot.tree), [a, b])
      ) {
        count++;
        if (options.json) {
          output.out(JSON.stringify({ change: change.change, ...pathJson("path", change.path) }) + "\n");
        } else {output.out(
            `${change.change === "added" ? "+" : change.change === "removed" ? "-" : "M"}  ${
              escapeName(change.path)
            }\n`,
          );}
      }
      if (!options.json && !kit.quiet()) output.err(`${counted(count, "change")}\n`);
    });
}
