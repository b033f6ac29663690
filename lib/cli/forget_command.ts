// `kept forget`: removes the snapshots each plan's retention no longer keeps, or the snapshots named with
// --snapshot. Only snapshot files are removed; their data stays until prune.

import { formatLocalTime } from "./_local_time.ts";
import { eachDestination } from "../destinations/mod.ts";
import { UsageError, UserError } from "../errors.ts";
import {
  applyForget,
  type ForgetPlan,
  type ForgetPolicy,
  type ForgetSnapshot,
  forgottenIds,
  planForget,
  type RetentionPolicy,
  selectSnapshots,
} from "../forget/mod.ts";
import type { Plan } from "../plan/mod.ts";
import type { PrunePlan } from "../prune/mod.ts";
import { datedAheadAfter } from "../reconcile/mod.ts";
import type { Repository, SnapshotEntry } from "../repo/mod.ts";
import { chooseDestinations } from "./_context.ts";
import { type CommandKit, failureExitCode, printFailure, type Program } from "./_command_kit.ts";
import {
  maxRepackOption,
  maxUnusedOption,
  printPruneDone,
  printPrunePlan,
  type PruneFlags,
  pruneJson,
  type PruneLimits,
  pruneLimits,
  type PruneOutcome,
  pruneRepository,
} from "./prune_command.ts";
import { counted } from "./_counted.ts";
import { machineTimeZone } from "../machine_time_zone.ts";

/** Options of `kept forget`, as parsed. */
interface ForgetFlags extends PruneFlags {
  destination?: string;
  host?: string;
  dryRun?: boolean;
  json?: boolean;
  snapshot?: string[];
  prune?: boolean;
}

/** Registers `kept forget` on `program`. */
export function forgetCommand(program: Program, kit: CommandKit): void {
  program.command("forget")
    .description("remove the snapshots each plan's retention no longer keeps (or named ones)")
    .argument("[plans...]", "plans whose retention to apply (default: every plan)")
    .option("--destination <name>", "only this destination")
    .option("--host <name>", "only snapshots taken on this host")
    .option(
      "--snapshot <ids...>",
      "remove these snapshots (ids or unique prefixes; damaged ones too) instead of applying retention",
    )
    .option("--dry-run", "print what would be kept and forgotten; remove nothing")
    .option("--json", "print the decision as JSON")
    .option("--prune", "then free the data no snapshot needs (as `kept prune`, under the same lock)")
    .addOption(maxUnusedOption())
    .addOption(maxRepackOption())
    .addHelpText(
      "after",
      "\nSnapshots are grouped by plan, host and destination; each group keeps at least one snapshot.\n" +
        "Snapshots of plans no longer in the config are never touched by retention.\n" +
        "Only snapshot files are removed: their data stays in the repository until prune (--prune).\n" +
        "Takes an exclusive lock on each repository (a shared one with --dry-run). See docs/retention.md.",
    )
    .action(async (plans, options) => {
      if (!options.prune && (options.maxUnused !== undefined || options.maxRepack !== undefined)) {
        throw new UsageError("Cannot use --max-unused or --max-repack without --prune");
      }
      const limits = options.prune ? pruneLimits(options) : undefined;
      if (options.snapshot !== undefined) {
        if (plans.length > 0) throw new UsageError("Cannot combine --snapshot with plan names");
        if (options.host !== undefined) throw new UsageError("Cannot combine --snapshot with --host");
        await forgetNamed(kit, options.snapshot, options, limits);
      } else {
        await forgetByRetention(kit, plans, options, limits);
      }
    });
}

/** `kept forget [PLAN...]`: applies retention at every destination concerned, each on its own. */
async function forgetByRetention(
  kit: CommandKit,
  names: string[],
  options: ForgetFlags,
  limits: PruneLimits | undefined,
): Promise<void> {
  const config = await kit.loadConfig();
  for (const name of names) {
    if (!config.plans.has(name)) {
      throw new UserError(
        `Unknown plan "${name}" (defined: ${[...config.plans.keys()].join(", ") || "none"})`,
      );
    }
  }
  const chosen = names.length > 0 ? [...new Set(names)] : [...config.plans.keys()];
  const policies = new Map(chosen.map((name) => [name, forgetPolicy(config.plans.get(name)!)]));
  const destinations = options.destination !== undefined
    ? chooseDestinations(config, undefined, options.destination)
    : [...new Set(chosen.flatMap((name) => config.plans.get(name)!.destinations))];
  const dryRun = options.dryRun ?? false;
  const outcomes = await eachDestination(destinations, async (destination) => {
    const repository = await kit.openLocked(config, destination, dryRun ? "shared" : "exclusive");
    return await forgetAtDestination(kit, repository, {
      destination,
      policies,
      configured: new Set(config.plans.keys()),
      host: options.host,
      now: new Date(),
      dryRun,
      limits,
      // Forget's decision is printed before prune's, which is printed before prune acts.
      onPlans: (plan, prunePlan) => {
        if (options.json) return;
        printPlan(kit, plan, dryRun, true);
        printPrunePlan(kit, destination, prunePlan, dryRun);
      },
    });
  }, (outcome) => {
    if (!outcome.ok) printFailure(kit.output, outcome.destination, outcome.error);
    else if (options.json) return;
    else if (outcome.value.pruned) printPruneDone(kit, outcome.destination, outcome.value.pruned);
    else printPlan(kit, outcome.value.plan, dryRun, false);
  });
  if (options.json) {
    const groups = outcomes.flatMap((outcome) => outcome.ok ? outcome.value.plan.groups : []);
    if (!limits) kit.json({ groups });
    else {
      const prune = outcomes.flatMap((o) =>
        o.ok && o.value.pruned ? [pruneJson(o.destination, o.value.pruned, dryRun)] : []
      );
      kit.json({ groups, prune });
    }
  }
  if (outcomes.some((outcome) => !outcome.ok)) kit.setExitCode(failureExitCode(outcomes));
}

/**
 * `kept forget --snapshot ID...`: every id must name one snapshot of the destination, or nothing is removed.
 * An id may name a snapshot file that cannot be read (damaged, or written with another key): it is removed
 * as it is; nothing else could ever remove it, and prune stops while it is there.
 */
async function forgetNamed(
  kit: CommandKit,
  refs: string[],
  options: ForgetFlags,
  limits: PruneLimits | undefined,
): Promise<void> {
  const config = await kit.loadConfig();
  const destination = chooseDestinations(config, undefined, options.destination)[0]!;
  const dryRun = options.dryRun ?? false;
  const repository = await kit.openLocked(config, destination, dryRun ? "shared" : "exclusive");
  const readable = await repository.listSnapshots();
  const damaged = repository.damagedFiles.filter((file) => file.kind === "snapshots")
    .map((file) => ({ id: file.name, damaged: file.reason, snapshot: undefined }));
  const chosen = selectSnapshots([...readable, ...damaged], refs, `destination "${destination}"`);
  if (!dryRun) await applyForget(repository, chosen.map((entry) => entry.id));
  const printForgotten = () => {
    for (const entry of chosen) {
      const what = entry.snapshot === undefined
        ? `damaged: ${entry.damaged}`
        : `${
          formatLocalTime(entry.snapshot.time)
        }  plan "${entry.snapshot.plan}", host "${entry.snapshot.host}"`;
      kit.output.out(`${dryRun ? "would forget" : "forgot"}  ${entry.id.slice(0, 12)}  ${what}\n`);
    }
    kit.say(`${destination}: ${summary(chosen.length, dryRun, limits !== undefined)}\n`);
  };
  const pruned: PruneOutcome | undefined = limits &&
    await pruneRepository(kit, repository, limits, {
      dryRun,
      forgotten: chosen.map((entry) => entry.id),
      onPlan: (plan) => {
        if (options.json) return;
        printForgotten();
        printPrunePlan(kit, destination, plan, dryRun);
      },
    });
  if (options.json) {
    kit.json({
      forget: chosen.map((entry) =>
        entry.snapshot === undefined ? { id: entry.id, damaged: entry.damaged, destination } : {
          id: entry.id,
          time: entry.snapshot.time,
          plan: entry.snapshot.plan,
          host: entry.snapshot.host,
          destination,
        }
      ),
      ...(pruned ? { prune: [pruneJson(destination, pruned, dryRun)] } : {}),
    });
    return;
  }
  if (pruned) printPruneDone(kit, destination, pruned);
  else printForgotten();
}

/** Options of {@link forgetAtDestination}. */
export interface ForgetAtDestinationOptions {
  destination: string;
  /** The plans whose retention applies, by name. */
  policies: ReadonlyMap<string, ForgetPolicy>;
  /** Every plan of the config: snapshots of other plans are orphans, never touched. */
  configured: ReadonlySet<string>;
  host: string | undefined;
  /** Now, by the clock of the command: snapshots dated after it (and the skew allowed) are held. */
  now: Date;
  dryRun: boolean;
  /** Prune afterwards, under the same lock, with these limits; undefined: no prune. */
  limits: PruneLimits | undefined;
  /** Prune only when forget removed something (`kept apply`); default: prune anyway (`--prune`). */
  pruneOnlyAfterForget?: boolean;
  /** Hears forget's and prune's decisions before prune acts. */
  onPlans?: (plan: ForgetPlan, prunePlan: PrunePlan) => void;
}

/**
 * Retention at one open repository, locked exclusively (shared for a dry run): plans forget, removes the
 * snapshots, then prunes under the same lock when `limits` asks. `kept forget` and `kept apply` share it.
 */
export async function forgetAtDestination(
  kit: CommandKit,
  repository: Repository,
  options: ForgetAtDestinationOptions,
): Promise<{ plan: ForgetPlan; removed: number; pruned: PruneOutcome | undefined }> {
  const plan = planForget((await repository.listSnapshots()).map(forgetSnapshot), {
    destination: options.destination,
    plans: options.policies,
    configured: options.configured,
    host: options.host,
    heldAfter: datedAheadAfter(options.now),
  });
  const ids = forgottenIds(plan);
  const removed = options.dryRun ? 0 : await applyForget(repository, ids);
  const skipPrune = options.pruneOnlyAfterForget === true && removed === 0;
  if (!options.limits || skipPrune) return { plan, removed, pruned: undefined };
  // Under the same lock; a dry run plans prune as if the forgotten snapshots were gone.
  const pruned = await pruneRepository(kit, repository, options.limits, {
    dryRun: options.dryRun,
    forgotten: ids,
    onPlan: (prunePlan) => options.onPlans?.(plan, prunePlan),
  });
  return { plan, removed, pruned };
}

/** A plan's retention and zone as lib/forget takes them (the plan's parsed policy maps field by field). */
export function forgetPolicy(plan: Plan): ForgetPolicy {
  const timeZone = plan.timezone ?? machineTimeZone();
  const r = plan.retention;
  if (r === undefined) return { retention: undefined, timeZone };
  const retention: RetentionPolicy = {
    last: r.last,
    hourly: r.hourly,
    daily: r.daily,
    weekly: r.weekly,
    monthly: r.monthly,
    yearly: r.yearly,
    within: r.within,
    tags: r.tags,
  };
  return { retention, timeZone };
}

function forgetSnapshot({ id, snapshot }: SnapshotEntry): ForgetSnapshot {
  return { id, time: snapshot.time, plan: snapshot.plan, host: snapshot.host, tags: snapshot.tags };
}

/**
 * One destination's decision as text: per group, what is kept (with reasons) and what is forgotten, and the
 * plans it left alone; then the summary line, which `--quiet` leaves out.
 */
function printPlan(kit: CommandKit, plan: ForgetPlan, dryRun: boolean, pruning: boolean): void {
  const { output } = kit;
  const name = plan.destination;
  for (const group of plan.groups) {
    output.out(
      `${name}: plan "${group.plan}", host "${group.host}": keep ${group.keep.length}, ` +
        `forget ${group.forget.length}\n`,
    );
    for (const kept of group.keep) {
      output.out(
        `  keep    ${kept.id.slice(0, 12)}  ${formatLocalTime(kept.time)}  ${kept.reasons.join(", ")}\n`,
      );
    }
    for (const gone of group.forget) {
      output.out(`  forget  ${gone.id.slice(0, 12)}  ${formatLocalTime(gone.time)}\n`);
    }
  }
  for (const { plan: planName, snapshots } of plan.withoutRetention) {
    output.out(
      `${name}: plan "${planName}" has no retention: nothing forgotten (${count(snapshots)} kept)\n`,
    );
  }
  for (const { plan: planName, snapshots } of plan.orphans) {
    output.out(`${name}: plan "${planName}" is not in the config: its ${count(snapshots)} left alone\n`);
  }
  kit.say(`${name}: ${summary(forgottenIds(plan).length, dryRun, pruning)}\n`);
}

function summary(forgotten: number, dryRun: boolean, pruning: boolean): string {
  if (forgotten === 0) return "nothing to forget";
  if (dryRun) return `would forget ${count(forgotten)} (dry run: nothing removed)`;
  if (pruning) return `forgot ${count(forgotten)}`;
  return `forgot ${count(forgotten)}; their data stays in the repository until prune (\`kept prune\`)`;
}

function count(snapshots: number): string {
  return counted(snapshots, "snapshot");
}
