// `kept prune`: frees the space of data no snapshot needs, at each destination under an exclusive lock
// (a shared one with --dry-run). `kept forget --prune` runs the same after forget, with the same lock.

import { Option } from "@commander-js/extra-typings";
import { eachDestination } from "../destinations/mod.ts";
import { IntegrityError, UsageError, UserError } from "../errors.ts";
import { destinationNames, formatBytes, parseSize } from "../plan/mod.ts";
import {
  applyPrune,
  planPrune,
  type PrunePlan,
  type PruneResult,
  type PruneSource,
  type PruneStep,
} from "../prune/mod.ts";
import type { Repository } from "../repo/mod.ts";
import { chooseDestinations } from "./_context.ts";
import { type CommandKit, failureExitCode, printFailure, type Program } from "./_command_kit.ts";
import { snakeKeys } from "./_json.ts";
import { counted } from "./_counted.ts";

/** The prune flags, as parsed (shared with `kept forget --prune`). */
export interface PruneFlags {
  maxUnused?: string;
  maxRepack?: string;
  dryRun?: boolean;
}

/** The prune flags as values. */
export interface PruneLimits {
  maxUnused: number;
  maxRepack: number;
}

/** What prune did (or would do) at one destination. */
export interface PruneOutcome {
  plan: PrunePlan;
  result: PruneResult | undefined;
}

/** Test hook: stop (and wait to be killed) after this step of prune's work; 0 prints every step. */
const STOP_AT_ENV = "KEPT_TEST_PRUNE_STOP_AT";

/** Registers `kept prune` on `program`. */
export function pruneCommand(program: Program, kit: CommandKit): void {
  program.command("prune")
    .description("free the space of data no snapshot needs (after forget)")
    .option("--destination <name>", "only this destination (default: every destination)")
    .addOption(maxUnusedOption())
    .addOption(maxRepackOption())
    .option("--dry-run", "print what would be deleted, repacked and kept; change nothing")
    .option("--json", "print the plan (and what was done) as JSON")
    .addHelpText("after", PRUNE_HELP)
    .action(async (options) => {
      const limits = pruneLimits(options);
      const config = await kit.loadConfig({ plans: [] }); // prune reads no plan values
      const destinations = options.destination !== undefined
        ? chooseDestinations(config, undefined, options.destination)
        : destinationNames(config); // with those an unset variable leaves unusable: each fails, named
      const dryRun = options.dryRun ?? false;
      const outcomes = await eachDestination(destinations, async (destination) => {
        const repository = await kit.openLocked(config, destination, dryRun ? "shared" : "exclusive");
        return pruneRepository(kit, repository, limits, {
          dryRun,
          onPlan: (plan) => options.json || printPrunePlan(kit, destination, plan, dryRun),
        });
      }, (outcome) => {
        if (!outcome.ok) printFailure(kit.output, outcome.destination, outcome.error);
        else if (!options.json) printPruneDone(kit, outcome.destination, outcome.value);
      });
      if (options.json) {
        kit.json({
          prune: outcomes.flatMap((o) => o.ok ? [pruneJson(o.destination, o.value, dryRun)] : []),
        });
      }
      if (outcomes.some((outcome) => !outcome.ok)) kit.setExitCode(failureExitCode(outcomes));
    });
}

/** What `kept prune --help` says after the options. */
export const PRUNE_HELP =
  "\nReads the index, then the snapshots, then the stored packs; deletes packs no snapshot needs, " +
  "repacks packs\nwhose unused share is above --max-unused, and keeps the rest. Packs no index names are " +
  "left alone\nfor a day (a backup may be writing them). Safe to kill at any point: run it again to finish. " +
  "See docs/format.md#prune.";

/** The `--max-unused` option (also on `kept forget`, for `--prune`). */
export function maxUnusedOption() {
  return new Option("--max-unused <percent>", "repack packs with more unused data than this (default 5%)");
}

/** The `--max-repack` option (also on `kept forget`, for `--prune`). */
export function maxRepackOption() {
  return new Option("--max-repack <size>", "repack at most this much, e.g. 1GiB (default: no limit)");
}

/**
 * `--max-unused` as a fraction and `--max-repack` in bytes (`Infinity` without it).
 *
 * @throws {UsageError} for a value that is no percentage or no size, or limits that contradict each other.
 */
export function pruneLimits(flags: PruneFlags): PruneLimits {
  let maxUnused = 0.05;
  if (flags.maxUnused !== undefined) {
    const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(flags.maxUnused);
    const percent = match ? Number(match[1]) : NaN;
    if (!(percent >= 0 && percent <= 100)) {
      throw new UsageError(`Invalid --max-unused "${flags.maxUnused}": give a percentage from 0% to 100%`);
    }
    maxUnused = percent / 100;
  }
  let maxRepack = Infinity;
  if (flags.maxRepack !== undefined) {
    const bytes = parseSize(flags.maxRepack);
    if (bytes === undefined) {
      throw new UsageError(`Invalid --max-repack "${flags.maxRepack}": give a size like 1GiB or 500MB`);
    }
    maxRepack = bytes;
  }
  if (maxUnused === 0 && maxRepack === 0) {
    throw new UsageError(
      `Cannot combine --max-unused "${flags.maxUnused}" with --max-repack "${flags.maxRepack}": ` +
        `the first repacks every pack with unused data, the second none`,
    );
  }
  return { maxUnused, maxRepack };
}

/**
 * Plans prune at an open, locked repository and, unless `dryRun`, carries it out. `forgotten`: snapshots a
 * dry run of forget would have removed, left out of the plan's marking as if they were gone.
 */
export async function pruneRepository(
  kit: CommandKit,
  repository: Repository,
  limits: PruneLimits,
  options: {
    dryRun: boolean;
    forgotten?: readonly string[];
    /** Called with the plan before prune acts. */
    onPlan?: (plan: PrunePlan) => void;
  },
): Promise<PruneOutcome> {
  const forgotten = new Set(options.dryRun ? options.forgotten : []);
  const source = withoutSnapshots(repository, forgotten);
  const plan = await planPrune(source, { ...limits, now: Date.now() });
  options.onPlan?.(plan);
  if (options.dryRun) return { plan, result: undefined };
  const result = await applyPrune(repository, plan, { onStep: stepHook(kit) });
  return { plan, result };
}

/**
 * The repository as prune sees it, without the snapshots `gone` names, and with no damaged snapshot or
 * index file left out: prune must stop on those rather than decide on a partial view.
 */
function withoutSnapshots(repository: Repository, gone: ReadonlySet<string>): PruneSource {
  return {
    // Prune never decides on a partial view: a damaged snapshot or index file stops it (docs/format.md#prune).
    // The first damaged index file stops it, named with the way forward.
    loadIndex: async () => {
      try {
        await repository.loadIndex({ damaged: "fail" });
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error;
        throw new UserError(error.message, {
          hint:
            "run `kept repair index`: it rebuilds the index from the packs (docs/repair.md), then prune again",
        });
      }
    },
    get indexFiles() {
      return repository.indexFiles;
    },
    index: repository.index,
    listSnapshots: async () => {
      // A damaged snapshot file that forget removes (or, in a dry run, would) does not stop prune; others do.
      // Listed with "skip", so that the one that stops prune is named with the way forward.
      const listed = await repository.listSnapshots({ damaged: "skip" });
      const stays = repository.damagedFiles.find((file) => file.kind === "snapshots" && !gone.has(file.name));
      if (stays !== undefined) {
        throw new UserError(stays.reason, {
          hint:
            `remove it with \`kept forget --snapshot ${stays.name}\` (docs/retention.md), then prune again`,
        });
      }
      return listed.filter((entry) => !gone.has(entry.id));
    },
    loadTree: (id) => repository.loadTree(id),
    packs: repository.packs,
    cachePacks: (packs) => repository.cachePacks(packs),
  };
}

/** The test hook of {@link STOP_AT_ENV}: reports steps on stderr, and at step N stops until killed. */
function stepHook(kit: CommandKit): ((step: PruneStep) => Promise<void>) | undefined {
  const value = kit.context.env(STOP_AT_ENV);
  if (value === undefined) return undefined;
  const stopAt = Number(value);
  let steps = 0;
  return async (step) => {
    steps++;
    kit.output.err(`prune step ${steps}: ${step.kind}\n`);
    if (steps === stopAt) {
      kit.output.err(`prune stopped at step ${steps}\n`);
      await new Promise(() => {});
    }
  };
}

/**
 * One destination's plan as text, printed before prune acts ("will") or instead of acting ("would"). Every
 * line is a summary (counts and sizes, no list): `--quiet` leaves them out.
 */
export function printPrunePlan(kit: CommandKit, name: string, plan: PrunePlan, dryRun: boolean): void {
  const size = (bytes: number) => formatBytes(bytes);
  const will = dryRun ? "would" : "will";
  kit.say(
    `${name}: ${plan.snapshots} snapshots use ${plan.blobs.used} blobs; ${plan.blobs.unused} index ` +
      `entries are unused\n`,
  );
  kit.say(
    `${name}: ${will} delete ${packs(plan.delete.packs)} (${size(plan.delete.bytes)}), ` +
      `repack ${packs(plan.repack.packs)} (${size(plan.repack.bytes)}, copying ` +
      `${size(plan.repack.copyBytes)}), keep ${packs(plan.keep.packs)} (${size(plan.keep.bytes)}, ` +
      `${size(plan.keep.unusedBytes)} unused)\n`,
  );
  const { delete: old, young } = plan.unindexed;
  if (old.packs > 0) {
    kit.say(`${name}: ${will} delete ${packs(old.packs)} no index names (${size(old.bytes)})\n`);
  }
  if (young.packs > 0) {
    kit.say(
      `${name}: ${packs(young.packs)} no index names (${size(young.bytes)}) left alone: ` +
        `written less than a day ago\n`,
    );
  }
  if (plan.missing.length > 0) {
    kit.say(
      `${name}: ${packs(plan.missing.length)} in the index are missing from storage; no snapshot needs ` +
        `their data: ${will} drop them from the index\n`,
    );
  }
  if (dryRun) kit.say(`${name}: would free ${size(plan.freedBytes)} (dry run: nothing changed)\n`);
}

/** What prune did at one destination, as a summary line (`--quiet` leaves it out). */
export function printPruneDone(kit: CommandKit, name: string, { plan, result }: PruneOutcome): void {
  if (result === undefined) return;
  kit.say(
    `${name}: freed ${formatBytes(plan.freedBytes)}: removed ${packs(result.packsRemoved)}, ` +
      `copied ${result.copiedBlobs} blobs (${formatBytes(result.copiedBytes)})\n`,
  );
}

/** One destination's plan as JSON: counts, bytes and pack ids (not the blobs to copy). */
export function pruneJson(destination: string, { plan, result }: PruneOutcome, dryRun: boolean) {
  return snakeKeys({
    destination,
    dryRun,
    snapshots: plan.snapshots,
    blobs: plan.blobs,
    delete: plan.delete,
    repack: {
      packs: plan.repack.packs,
      bytes: plan.repack.bytes,
      copyBlobs: plan.repack.copyBlobs,
      copyBytes: plan.repack.copyBytes,
      ids: plan.repack.packList.map((pack) => pack.pack),
    },
    keep: { packs: plan.keep.packs, bytes: plan.keep.bytes, unusedBytes: plan.keep.unusedBytes },
    unindexed: plan.unindexed,
    missing: plan.missing,
    indexFiles: plan.indexFiles.length,
    freedBytes: plan.freedBytes,
    done: result ?? null,
  });
}

function packs(count: number): string {
  return counted(count, "pack");
}
