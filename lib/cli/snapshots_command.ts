// `kept snapshots`: lists the snapshots of every destination, or of one.

import { destinationByName, openRepository } from "../destinations/mod.ts";
import { ExitCode } from "../errors.ts";
import type { SnapshotEntry } from "../repo/mod.ts";
import { listSnapshotsAt } from "../snapshots/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import { secretsOf } from "./_context.ts";
import { type CommandKit, printFailure, type Program } from "./_command_kit.ts";

/** Registers `kept snapshots` on `program`. */
export function snapshotsCommand(program: Program, kit: CommandKit): void {
  const { output, json, loadConfig, context, setExitCode } = kit;
  program.command("snapshots")
    .description("list snapshots")
    .option("--destination <name>", "only this destination (default: every destination)")
    .option("--plan <name>", "only snapshots of this plan")
    .option("--host <name>", "only snapshots taken on this host")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nA destination that cannot be read is named (exit code 1), and the others are still listed.",
    )
    .action(async (options) => {
      const config = await loadConfig();
      const names = options.destination
        ? [destinationByName(config, options.destination).name]
        : [...config.destinations.keys()];
      const outcomes = await listSnapshotsAt(
        names,
        (name) => openRepository(destinationByName(config, name), secretsOf(context)),
        options,
      );
      const rows: (SnapshotEntry & { destination: string })[] = [];
      for (const outcome of outcomes) {
        if (!outcome.ok) printFailure(output, outcome.destination, outcome.error);
        else rows.push(...outcome.value.map((entry) => ({ ...entry, destination: outcome.destination })));
      }
      if (outcomes.some((outcome) => !outcome.ok)) setExitCode(ExitCode.failure);
      if (options.json) {
        json(rows.map(({ id, snapshot, destination }) => ({
          id,
          short_id: id.slice(0, 12),
          time: snapshot.time,
          plan: snapshot.plan,
          destination,
          host: snapshot.host,
          username: snapshot.username,
          tags: snapshot.tags,
          paths: snapshot.paths,
          tree: snapshot.tree,
          parent: snapshot.parent ?? null,
          stats: snapshot.stats,
        })));
        return;
      }
      // Nothing could be read: the errors on stderr say it all, and no empty table pretends otherwise.
      if (!outcomes.some((outcome) => outcome.ok)) return;
      output.out(
        `${"ID".padEnd(12)}  ${"Time".padEnd(19)}  ${"Plan".padEnd(12)}  ${
          "Destination".padEnd(12)
        }  Host  Size\n`,
      );
      for (const { id, snapshot, destination } of rows) {
        output.out(
          `${id.slice(0, 12)}  ${snapshot.time.slice(0, 19).replace("T", " ")}  ${
            snapshot.plan.padEnd(12)
          }  ${destination.padEnd(12)}  ${snapshot.host}  ${formatBytes(snapshot.stats.bytes)}\n`,
        );
      }
      output.out(`${rows.length} snapshot${rows.length === 1 ? "" : "s"}\n`);
    });
}
