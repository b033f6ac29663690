// `kept snapshots`: lists the snapshots of every destination, or of one.

import { destinationByName, openRepository } from "../destinations/mod.ts";
import { matchesFilter, type SnapshotEntry } from "../repo/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import { secretsOf } from "./_context.ts";
import type { CommandKit, Program } from "./_command_kit.ts";

/** Registers `kept snapshots` on `program`. */
export function snapshotsCommand(program: Program, kit: CommandKit): void {
  const { output, json, loadConfig, context } = kit;
  program.command("snapshots")
    .description("list snapshots")
    .option("--destination <name>", "only this destination (default: every destination)")
    .option("--plan <name>", "only snapshots of this plan")
    .option("--host <name>", "only snapshots taken on this host")
    .option("--json", "print JSON")
    .action(async (options) => {
      const config = await loadConfig();
      const names = options.destination ? [options.destination] : [...config.destinations.keys()];
      const rows: (SnapshotEntry & { destination: string })[] = [];
      for (const name of names) {
        const repository = await openRepository(destinationByName(config, name), secretsOf(context));
        for (const entry of await repository.listSnapshots()) {
          if (matchesFilter(entry, options)) rows.push({ ...entry, destination: name });
        }
      }
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
