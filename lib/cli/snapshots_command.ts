// `kept snapshots`: lists the snapshots of every destination, or of one.

import { destinationByName, openRepository } from "../destinations/mod.ts";
import type { SnapshotEntry } from "../repo/mod.ts";
import { listSnapshotsAt } from "../snapshots/mod.ts";
import { destinationNames, formatBytes } from "../plan/mod.ts";
import { formatLocalTime } from "./_local_time.ts";
import { formatTable } from "./_table.ts";
import { escapeName } from "./output.ts";
import { snakeKeys } from "./_json.ts";
import { type CommandKit, failureExitCode, printFailure, type Program } from "./_command_kit.ts";
import { compareText } from "../compare_text.ts";
import { counted } from "./_counted.ts";

/** Registers `kept snapshots` on `program`. */
export function snapshotsCommand(program: Program, kit: CommandKit): void {
  const { output, json, loadConfig, setExitCode } = kit;
  program.command("snapshots")
    .description("list snapshots")
    .option("--destination <name>", "only this destination (default: every destination)")
    .option("--plan <name>", "only snapshots of this plan")
    .option("--host <name>", "only snapshots taken on this host")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nSnapshots are listed oldest first, over every destination. A destination that cannot be read is\n" +
        "named and the others are still listed; the exit code is then 1, or the failures' code (10, 11, 12)\n" +
        "when every destination failed alike.",
    )
    .action(async (options) => {
      const config = await loadConfig({ plans: [] }); // listing reads no plan values
      const names = options.destination
        ? [destinationByName(config, options.destination).name]
        : destinationNames(config); // with those an unset variable leaves unusable: each fails, named
      const outcomes = await listSnapshotsAt(
        names,
        (name) => openRepository(destinationByName(config, name), kit.repositoryAccess()),
        options,
      );
      const rows: (SnapshotEntry & { destination: string })[] = [];
      for (const outcome of outcomes) {
        if (!outcome.ok) printFailure(output, outcome.destination, outcome.error);
        else rows.push(...outcome.value.map((entry) => ({ ...entry, destination: outcome.destination })));
      }
      // Each repository lists its snapshots oldest first; the listing is one list, oldest first over all.
      rows.sort(oldestFirst);
      if (outcomes.some((outcome) => !outcome.ok)) setExitCode(failureExitCode(outcomes));
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
          stats: snakeKeys(snapshot.stats),
        })));
        return;
      }
      // Nothing could be read: the errors on stderr say it all, and no empty table pretends otherwise.
      if (!outcomes.some((outcome) => outcome.ok)) return;
      output.out(formatTable([
        ["ID", "Time", "Plan", "Destination", "Host", "Size"],
        ...rows.map(({ id, snapshot, destination }) => [
          id.slice(0, 12),
          formatLocalTime(snapshot.time),
          escapeName(snapshot.plan),
          destination,
          escapeName(snapshot.host),
          formatBytes(snapshot.stats.bytes),
        ]),
      ]));
      kit.say(`${counted(rows.length, "snapshot")}\n`);
    });
}

/** Orders snapshots by time, as each repository lists them, then by id and destination. */
function oldestFirst(
  a: SnapshotEntry & { destination: string },
  b: SnapshotEntry & { destination: string },
): number {
  return compareText(a.snapshot.time, b.snapshot.time) || compareText(a.id, b.id) ||
    compareText(a.destination, b.destination);
}
