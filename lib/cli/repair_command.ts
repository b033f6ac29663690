// `kept repair index` rebuilds a repository's index from the packs that are really stored; `kept repair
// packs` salvages damaged packs; `kept repair snapshots` writes snapshots without what can no longer be read.
// All under an exclusive lock (a shared one with --dry-run). See docs/repair.md.

import { UserError } from "../errors.ts";
import { formatBytes } from "../plan/mod.ts";
import {
  applyIndexRepair,
  findPacks,
  type IndexRepairPlan,
  type IndexRepairResult,
  type Loss,
  type PackRepairResult,
  planIndexRepair,
  repairPacks,
  repairSnapshots,
  sinkTreeSaver,
  type SnapshotRepair,
  storeRepairs,
} from "../repair/mod.ts";
import type { PackId, Repository, SnapshotEntry, SnapshotId } from "../repo/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";
import { formatLocalTime } from "./_local_time.ts";
import { pathJson } from "./_json.ts";
import { escapeName } from "./output.ts";
import { counted } from "./_counted.ts";

/** Registers `kept repair` and its subcommands on `program`. */
export function repairCommand(program: Program, kit: CommandKit): void {
  const repair = program.command("repair")
    .description("repair a damaged repository (see docs/repair.md)");
  repairIndexCommand(repair, kit);
  repairPacksCommand(repair, kit);
  repairSnapshotsCommand(repair, kit);
}

/** Registers `kept repair index` on the `repair` command. */
function repairIndexCommand(repair: Program, kit: CommandKit): void {
  repair.command("index")
    .description("rebuild the index from the packs that are stored, dropping what lost packs held")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--read-all-packs", "read every pack's header, also of packs the index describes correctly")
    .option("--dry-run", "print what the new index would hold; write and remove nothing")
    .option("--json", "print the outcome as JSON")
    .addHelpText(
      "after",
      "\nRun it when `kept check` reports packs that are missing or not indexed, or index files that are\n" +
        "damaged. Blobs of lost packs are dropped from the index: the next backup stores again what the\n" +
        "sources still hold, which heals the snapshots that needed it (`kept repair snapshots` deals with\n" +
        "the rest). Packs whose header cannot be read are left out (prune removes packs no index names\n" +
        "after a day).",
    )
    .action(async (options) => {
      const dryRun = options.dryRun ?? false;
      const { destination, repository } = await kit.openNamed(options.destination, {
        lock: dryRun ? "shared" : "exclusive",
      });
      await repository.loadIndex();
      const plan = await planIndexRepair(repairSource(repository), {
        readAllPacks: options.readAllPacks ?? false,
      });
      // Not one pack readable with this key: an index of nothing would only lose the old one.
      if (!dryRun && plan.packs.length === 0 && plan.unreadable.length > 0) {
        throw new UserError(
          `${destination.name}: none of the ${plan.unreadable.length} packs stored can be read with this ` +
            `repository's key, and no index file describes one: not replacing the index with an empty one`,
          {
            hint:
              "is this the repository the password is for? `kept repair index --dry-run` lists why each failed",
          },
        );
      }
      const result = dryRun ? undefined : await applyIndexRepair(repository, plan);
      if (options.json) kit.json(indexRepairJson(destination.name, plan, result));
      else printIndexRepair(kit, destination.name, plan, result);
    });
}

function printIndexRepair(
  kit: CommandKit,
  destination: string,
  plan: IndexRepairPlan,
  result: IndexRepairResult | undefined,
): void {
  for (const { pack, size, reason } of plan.unreadable) {
    kit.output.err(
      `warning: ${destination}: pack ${pack.slice(0, 12)} (${formatBytes(size)}) left out: ${reason}\n`,
    );
  }
  for (const { pack, kept, dropped, reason } of plan.damaged) {
    kit.output.err(
      `warning: ${destination}: pack ${pack.slice(0, 12)}: ${reason}; kept the ${kept} ${
        kept === 1 ? "entry" : "entries"
      } ` +
        `within it (dropped ${dropped} past its end): \`kept repair packs ${
          pack.slice(0, 12)
        }\` salvages them\n`,
    );
  }
  kit.say(`${destination}: ${describePlan(plan, result === undefined)}\n`);
  if (result) {
    kit.say(
      `${destination}: wrote ${counted(result.indexFilesWritten, "index file")}, ` +
        `removed ${counted(result.indexFilesRemoved, "old one")}\n`,
    );
  }
}

/**
 * `repair snapshots` takes what the index does not locate for lost: with an index file left out, packs
 * stored but in no index, or indexed packs gone, it would cut data `kept repair index` still recovers (and
 * report damage the index only mis-states). Refuses then, naming what differs; for a dry run (`kit` given)
 * it only warns, and lists what the repair would cut as things stand.
 */
async function refuseWithIndexGaps(repository: Repository, destination: string, kit?: CommandKit) {
  const stored = new Set<string>();
  for await (const pack of repository.packs.list()) stored.add(pack.name);
  const indexed = new Set<string>(repository.index.packIds());
  const gaps = [
    counted(repository.damagedFiles.filter((file) => file.kind === "index").length, "index file") +
    " left out",
    counted([...stored].filter((pack) => !indexed.has(pack)).length, "pack") + " stored but in no index",
    counted([...indexed].filter((pack) => !stored.has(pack)).length, "indexed pack") + " missing",
  ].filter((gap) => !gap.startsWith("0 "));
  if (gaps.length === 0) return;
  // Both ways: a pack in no index holds data this would cut, an indexed pack gone data it would keep.
  const message = `${destination}: the index does not match the packs stored (${gaps.join(", ")}): until ` +
    "it does, a repair of snapshots takes data still stored for lost, and data gone for intact";
  const hint = "run `kept repair index` first, then this again";
  if (kit) kit.output.err(`warning: ${message}\nhint: ${hint}\n`);
  else throw new UserError(message, { hint });
}

/** Registers `kept repair packs` on the `repair` command. */
function repairPacksCommand(repair: Program, kit: CommandKit): void {
  repair.command("packs")
    .description("salvage damaged packs: keep their intact blobs, drop the damaged ones and the packs")
    .argument("<packs...>", "pack ids or prefixes, as `kept check --read-data` names them")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--dry-run", "check every blob of the packs and say what would be kept; write and remove nothing")
    .option("--json", "print the outcome as JSON")
    .addHelpText(
      "after",
      "\nRun it when `kept check --read-data` reports a damaged pack. The intact blobs move to new packs;\n" +
        "the damaged ones leave the index with the pack, so the next backup stores again what the sources\n" +
        "still hold, which heals the snapshots that needed it (`kept repair snapshots` deals with the rest).\n" +
        "See docs/repair.md.",
    )
    .action(async (names: string[], options) => {
      const dryRun = options.dryRun ?? false;
      const { destination, repository } = await kit.openNamed(options.destination, {
        lock: dryRun ? "shared" : "exclusive",
      });
      await repository.loadIndex();
      const packs = await findPacks(repository.packs, names);
      const result = await repairPacks(repairSource(repository), packs, { dryRun });
      if (options.json) {
        kit.json({ destination: destination.name, dry_run: dryRun, ...packRepairJson(result) });
      } else printPackRepair(kit, destination.name, result, dryRun);
    });
}

function printPackRepair(
  kit: CommandKit,
  destination: string,
  result: PackRepairResult,
  dryRun: boolean,
): void {
  for (const { pack, intact, damaged } of result.packs) {
    const blobs = intact + damaged.length;
    kit.output.out(
      `${destination}: pack ${pack.slice(0, 12)}: ${intact} of ${counted(blobs, "blob")} intact` +
        `${damaged.length > 0 ? `, ${damaged.length} damaged` : ""}\n`,
    );
    for (const { id, type } of damaged) kit.output.out(`  damaged ${type} blob ${id.slice(0, 12)}\n`);
  }
  const lost = result.packs.reduce((sum, pack) => sum + pack.damaged.length, 0);
  if (dryRun) {
    kit.say(
      `${destination}: would copy ${formatBytes(result.copiedBytes)} and remove ${
        counted(result.packs.length, "pack")
      }\n`,
    );
    return;
  }
  kit.say(
    `${destination}: copied ${formatBytes(result.copiedBytes)} to new packs, removed ` +
      `${counted(result.packs.length, "pack")}; wrote ${counted(result.indexFilesWritten, "index file")}, ` +
      `removed ${counted(result.indexFilesRemoved, "old one")}\n`,
  );
  if (lost > 0) {
    kit.say(
      `${destination}: ${counted(lost, "damaged blob")} left the index: the next backup stores again what ` +
        "the sources still hold; then `kept check --read-data`\n",
    );
  }
}

function packRepairJson(result: PackRepairResult) {
  return {
    packs: result.packs.map(({ pack, intact, damaged }) => ({ pack, intact, damaged })),
    copied_bytes: result.copiedBytes,
    index_files_written: result.indexFilesWritten,
    index_files_removed: result.indexFilesRemoved,
  };
}

/** Registers `kept repair snapshots` on the `repair` command. */
function repairSnapshotsCommand(repair: Program, kit: CommandKit): void {
  repair.command("snapshots")
    .description("write snapshots without what can no longer be read, in place of damaged ones")
    .argument("[snapshots...]", "snapshot ids or prefixes (default: every snapshot)")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--forget", "remove each damaged snapshot once its replacement is stored")
    .option("--dry-run", "print what each damaged snapshot lost; write and remove nothing")
    .option("--json", "print the repairs as JSON")
    .addHelpText(
      "after",
      "\nRun `kept repair index` first: it refuses while the index does not match the packs stored (an\n" +
        "index file left out, packs in no index, indexed packs gone), as it would cut data the index can\n" +
        "still find. A folder that cannot be read becomes empty; a file keeps its content\n" +
        "up to the first piece no pack holds. Replacements keep the snapshot's time and get the tag\n" +
        '"repaired". If the sources still hold the data, a new backup heals old snapshots instead: try that\n' +
        "first. See docs/repair.md.",
    )
    .action(async (ids, options) => {
      const dryRun = options.dryRun ?? false;
      const { destination, repository } = await kit.openNamed(options.destination, {
        lock: dryRun ? "shared" : "exclusive",
      });
      await repository.loadIndex();
      await refuseWithIndexGaps(repository, destination.name, dryRun ? kit : undefined);
      const chosen = await chooseSnapshots(repository, ids);
      const { repairs, written } = await runSnapshotRepair(repository, chosen, {
        dryRun,
        forget: options.forget ?? false,
      });
      if (options.json) {
        kit.json({
          destination: destination.name,
          dry_run: dryRun,
          repaired: repairs.map((r, i) => repairJson(r, written[i], options.forget ?? false)),
          intact: chosen.length - repairs.length,
        });
        return;
      }
      repairs.forEach((repair, i) =>
        printRepair(kit, destination.name, repair, written[i], { dryRun, forget: options.forget ?? false })
      );
      kit.say(
        `${destination.name}: ${counted(repairs.length, "damaged snapshot")} ${
          dryRun ? "found" : "repaired"
        }, ${chosen.length - repairs.length} intact\n`,
      );
    });
}

async function chooseSnapshots(repository: Repository, ids: readonly string[]): Promise<SnapshotEntry[]> {
  if (ids.length === 0) return await repository.listSnapshots();
  const chosen: SnapshotEntry[] = [];
  for (const id of ids) chosen.push(await repository.findSnapshot(id));
  return chosen;
}

/** Works out the repairs, stores the trees they need, then (not in a dry run) their snapshots. */
async function runSnapshotRepair(
  repository: Repository,
  snapshots: readonly SnapshotEntry[],
  options: { dryRun: boolean; forget: boolean },
): Promise<{ repairs: SnapshotRepair[]; written: SnapshotId[] }> {
  const sink = options.dryRun ? undefined : repository.packSink();
  let repairs: SnapshotRepair[];
  try {
    repairs = await repairSnapshots(repository, sinkTreeSaver(repository, sink), snapshots);
    await sink?.finish();
  } catch (error) {
    await sink?.discard().catch(() => {});
    throw error;
  }
  const written = options.dryRun ? [] : await storeRepairs(repository, repairs, { forget: options.forget });
  return { repairs, written };
}

function printRepair(
  kit: CommandKit,
  destination: string,
  repair: SnapshotRepair,
  written: SnapshotId | undefined,
  options: { dryRun: boolean; forget: boolean },
): void {
  kit.output.out(
    `${destination}: snapshot ${repair.id.slice(0, 8)} (${escapeName(repair.plan)}, ${
      formatLocalTime(repair.time)
    }) lost:\n`,
  );
  for (const loss of repair.losses) kit.output.out(`  ${describeLoss(loss)}\n`);
  if (written === undefined) return;
  const old = options.forget
    ? `removed ${repair.id.slice(0, 8)}`
    : `${repair.id.slice(0, 8)} stays (--forget removes it)`;
  kit.say(`${destination}: wrote snapshot ${written.slice(0, 8)} in its place (tag repaired); ${old}\n`);
}

function describeLoss(loss: Loss): string {
  const path = escapeName(lossPath(loss));
  if (loss.kind === "folder") return `folder ${path}: cannot be read, now empty`;
  return `file ${path}: cut from ${formatBytes(loss.bytes!.had)} to ${formatBytes(loss.bytes!.kept)}`;
}

function repairJson(repair: SnapshotRepair, written: SnapshotId | undefined, forget: boolean) {
  return {
    id: repair.id,
    time: repair.time,
    plan: repair.plan,
    // A folder loss has no sizes: null, as every field without a value (docs/json.md).
    losses: repair.losses.map((loss) => ({
      ...pathJson("path", lossPath(loss)),
      kind: loss.kind,
      bytes_had: loss.bytes?.had ?? null,
      bytes_kept: loss.bytes?.kept ?? null,
    })),
    replacement: written ?? null,
    removed: written !== undefined && forget,
  };
}

/** A loss's path as `ls` and `diff` name it: paths in a snapshot start at the file system's root. */
function lossPath(loss: Loss): string {
  return `/${loss.path}`;
}

/** An open repository as repairs see it: every index file counts, also damaged ones. */
function repairSource(repository: Repository) {
  const damaged = repository.damagedFiles.filter((file) => file.kind === "index").map((file) => file.name);
  return {
    index: repository.index,
    packs: repository.packs,
    indexFiles: [...repository.indexFiles, ...damaged],
    headerKey: () => repository.workerKeys().encrypt,
    workerKeys: () => repository.workerKeys(),
    packSink: (options: { copies: true }) => repository.packSink(options),
    writeMeta: (kind: "index", value: unknown) => repository.writeMeta(kind, value),
    removeIndexFile: (name: string) => repository.removeIndexFile(name),
    removePacks: (ids: readonly PackId[]) => repository.removePacks(ids),
  };
}

function describePlan(plan: IndexRepairPlan, dryRun: boolean): string {
  const fromIndex = plan.packs.filter((pack) => pack.from === "index").length;
  const fromHeader = plan.packs.length - fromIndex;
  const dropped = plan.missing.reduce((sum, pack) => sum + pack.blobs, 0);
  const parts = [
    `${dryRun ? "would index" : "indexed"} ${counted(plan.packs.length, "pack")} ` +
    `(${fromIndex} as indexed, ${fromHeader} from their headers)`,
    ...(plan.missing.length > 0
      ? [`${counted(plan.missing.length, "missing pack")} dropped (${counted(dropped, "blob")})`]
      : []),
    ...(plan.unreadable.length > 0 ? [`${counted(plan.unreadable.length, "unreadable pack")} left out`] : []),
  ];
  return parts.join("; ");
}

function indexRepairJson(destination: string, plan: IndexRepairPlan, result: IndexRepairResult | undefined) {
  return {
    destination,
    dry_run: result === undefined,
    packs: plan.packs.length,
    packs_from_index: plan.packs.filter((pack) => pack.from === "index").length,
    packs_from_header: plan.packs.filter((pack) => pack.from === "header").length,
    missing: plan.missing.map(({ pack, blobs }) => ({ pack, blobs })),
    unreadable: plan.unreadable.map(({ pack, size, reason }) => ({ pack, size, reason })),
    damaged: plan.damaged.map(({ pack, size, reason, kept, dropped }) => ({
      pack,
      size,
      reason,
      kept,
      dropped,
    })),
    index_files_written: result?.indexFilesWritten ?? 0,
    index_files_removed: result?.indexFilesRemoved ?? 0,
  };
}
