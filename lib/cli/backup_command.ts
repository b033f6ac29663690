// `kept backup`: backs up a plan to its destinations.

import { dirname } from "node:path";
import { ExitCode, UserError } from "../errors.ts";
import {
  type BackupProgress,
  type BackupResult,
  backupToDestinations,
  type FileChange,
} from "../backup/mod.ts";
import type { DestinationOutcome } from "../destinations/mod.ts";
import { withHooks } from "../hooks/mod.ts";
import { type Config, formatBytes, type Plan, requireSources } from "../plan/mod.ts";
import { destinationByName, openRepository } from "../destinations/mod.ts";
import { snakeKeys } from "./_json.ts";
import { chooseDestinations } from "./_context.ts";
import { parseSnapshotTime } from "./_snapshot_time.ts";
import { escapeName, type Output } from "./output.ts";
import { type CommandKit, failureExitCode, printFailure, type Program, whoAmI } from "./_command_kit.ts";
import { abortOnSignals } from "./apply_command.ts";
import { backupProgress } from "./_progress.ts";
import { counted } from "./_counted.ts";
import { machineTimeZone } from "../machine_time_zone.ts";

/** A dry run reads and writes nothing, so it runs no hooks either. */
const NO_HOOKS = { before: [], after: [], onFailure: [], timeoutMs: 0 };

/** Registers `kept backup` on `program`. */
export function backupCommand(program: Program, kit: CommandKit): void {
  program.command("backup")
    .description("back up a plan to its destinations (all of them unless --destination is given)")
    .argument("<plan>", "plan name from the config")
    .option("--destination <name>", "back up to this destination only")
    .option("--dry-run", "scan and compare with the last snapshot, read and write nothing")
    .option("--json", "print the result as JSON")
    .option(
      "--time <time>",
      'record the snapshot under this time: RFC 3339 (2026-11-25T02:15:00Z) or "YYYY-MM-DD HH:MM:SS" ' +
        "in the plan's time zone",
    )
    .addHelpText(
      "after",
      "\nA destination that cannot be reached or fails is named, and the others are still backed up.\n" +
        "Exit codes: 0 ok, 1 a destination failed (10, 11 or 12 when every one failed for that same\n" +
        "reason: no repository, locked, wrong password), 3 finished but some files could not be read.\n" +
        "The plan's hooks run around each destination's backup (not with --dry-run): a failing `before`\n" +
        "hook skips that backup; `on_failure` runs when anything failed (docs/reconcile.md#hooks).\n" +
        "After the snapshot is saved, temporary files that interrupted backups left in the repository\n" +
        "more than a day ago are removed.",
    )
    .action((planName, options) => runBackup(kit, planName, options));
}

/** The flags of `kept backup`. */
interface BackupFlags {
  destination?: string;
  dryRun?: true;
  json?: true;
  time?: string;
}

/** `kept backup PLAN`: each destination in turn, inside the plan's hooks; sets the exit code. */
async function runBackup(kit: CommandKit, planName: string, options: BackupFlags): Promise<void> {
  // Interrupted, a backup saves no snapshot but indexes the packs it stored (a checkpoint), so the next
  // backup reads the files again but stores only what is not there yet.
  const inProgress = options.dryRun
    ? "nothing was written"
    : "no snapshot was saved for the destination in progress; the data stored so far is indexed, " +
      "and the next backup reuses it";
  kit.setInterruptNote(inProgress);
  // The destination in progress indexes the packs it stored before the process ends.
  const checkpoint: Checkpoint = {};
  kit.onInterrupt(async () => await checkpoint.write?.());
  // The plan's own variables must be set (`${DATA}/x` is never `/x`); another plan's need not be.
  const config = await kit.loadConfig({ plans: [planName] });
  const plan = config.plans.get(planName);
  if (!plan) {
    throw new UserError(
      `Unknown plan "${planName}" (defined: ${[...config.plans.keys()].join(", ") || "none"})`,
    );
  }
  if (options.destination && !plan.destinations.includes(options.destination)) {
    throw new UserError(`Plan "${planName}" does not back up to destination "${options.destination}"`);
  }
  const time = options.time === undefined
    ? undefined
    : parseSnapshotTime(options.time, plan.timezone ?? machineTimeZone());
  const outcomes: BackupOutcome[] = [];
  const interrupt = new AbortController();
  const run: BackupRun = {
    kit,
    options,
    config,
    plan,
    time,
    signal: interrupt.signal,
    inProgress,
    checkpoint,
  };
  const stopListening = abortOnSignals(kit, interrupt);
  try {
    for (const destination of chooseDestinations(config, planName, options.destination)) {
      outcomes.push(await backUpTo(run, destination));
    }
  } finally {
    stopListening();
  }
  if (options.json) {
    kit.json(
      outcomes.map((outcome) =>
        outcome.ok ? { destination: outcome.destination, ...snakeKeys(outcome.value) as object } : {
          destination: outcome.destination,
          // An `after` hook failed: the snapshot was saved all the same.
          ...(outcome.savedSnapshot !== undefined ? { snapshot_id: outcome.savedSnapshot } : {}),
          error: outcome.error.message,
        }
      ),
    );
  }
  if (outcomes.some((outcome) => !outcome.ok)) kit.setExitCode(failureExitCode(outcomes));
  else if (outcomes.some((outcome) => outcome.ok && outcome.value.warnings.length > 0)) {
    kit.setExitCode(ExitCode.partial);
  }
}

/** What every destination's backup of one `kept backup` shares. */
interface BackupRun {
  kit: CommandKit;
  options: BackupFlags;
  config: Config;
  plan: Plan;
  time: Date | undefined;
  signal: AbortSignal;
  /** What an interruption leaves while a destination's backup runs. */
  inProgress: string;
  checkpoint: Checkpoint;
}

/** Indexes the packs the destination in progress stored: set once its backup has begun. */
interface Checkpoint {
  write?: () => Promise<void>;
}

/** Says how one destination's backup ended, as soon as it has; from then on an interruption leaves it. */
function reportOutcome(
  kit: CommandKit,
  options: BackupFlags,
  outcome: DestinationOutcome<BackupResult>,
): void {
  // Interrupted from now on (its `after` hooks), the snapshot is there all the same.
  if (outcome.ok && outcome.value.snapshotId) {
    kit.setInterruptNote(
      `snapshot ${outcome.value.snapshotId.slice(0, 12)} was saved for destination ` +
        `"${outcome.destination}"; what was to run after it did not finish`,
    );
  }
  if (!outcome.ok) printFailure(kit.output, outcome.destination, outcome.error);
  else if (!options.json) {
    printResult(kit.output, kit.say, outcome.destination, outcome.value, options.dryRun);
  }
}

/** Backs the plan up to one destination inside the plan's hooks (none for a dry run: docs/reconcile.md#hooks). */
async function backUpTo(run: BackupRun, destination: string): Promise<BackupOutcome> {
  const { kit, options, config, plan } = run;
  const { output, context } = kit;
  let outcome: BackupOutcome | undefined;
  const hooked = await withHooks(options.dryRun ? NO_HOOKS : plan.hooks, {
    plan: plan.name,
    destination,
    cwd: dirname(plan.definedIn),
    env: Deno.env.toObject(),
    signal: run.signal,
  }, async () => {
    kit.setInterruptNote(run.inProgress);
    // After the `before` hooks, which may make the sources (a database dump), as `kept apply` does.
    try {
      requireSources(plan);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      outcome = { destination, ok: false, error };
      printFailure(output, destination, error);
      return { ok: false, error: error.message };
    }
    // On a terminal, one line for this destination's backup (none for JSON, which is for programs).
    const progress = options.json ? undefined : backupProgress(output, {
      dryRun: options.dryRun ?? false,
      quiet: kit.quiet(),
      env: context.env,
    });
    try {
      [outcome] = await backupToDestinations({
        plan,
        destinations: [destination],
        // A dry run takes no lock: it writes nothing, not even a lock file, so it also runs on a
        // repository it may only read.
        open: (name, onKeyDerivation) =>
          options.dryRun
            ? openRepository(destinationByName(config, name), { ...kit.repositoryAccess(), onKeyDerivation })
            : kit.openLocked(config, name, "shared", { onKeyDerivation }),
        ...whoAmI(context.env),
        now: () => new Date(),
        time: run.time,
        dryRun: options.dryRun ?? false,
        onWarning: (_, message) => output.err(`warning: ${message}\n`),
        onCheckpoint: (write) => run.checkpoint.write = write,
        // -v: each file read, marked as diff marks it (+ new, M changed); a dry run lists what it would
        // read. Names escaped as `ls` and `diff` write them: one line each.
        ...(kit.verbose() && !options.json
          ? {
            onFile: (_: string, path: string, change: FileChange) =>
              output.out(`${change === "new" ? "+" : "M"} ${escapeName(path)}\n`),
          }
          : {}),
        ...(progress ? { watchProgress: (_: string, counts: BackupProgress) => progress.watch(counts) } : {}),
        onOutcome: (outcome) => {
          progress?.stop(); // not redrawn below the result
          reportOutcome(kit, options, outcome);
        },
      });
    } finally {
      progress?.stop();
    }
    return outcome!.ok
      ? { ok: true, value: outcome!.value, snapshot: outcome!.value.snapshotId }
      : { ok: false, error: outcome!.error.message };
  });
  if (hooked.log && (!hooked.ok || kit.verbose())) output.err(hooked.log);
  if (!hooked.ok && outcome?.ok !== false) {
    // A hook failed: the backup did not run (before), or its snapshot stays (after).
    const saved = outcome?.ok ? outcome.value.snapshotId : undefined;
    outcome = {
      destination,
      ok: false,
      error: new UserError(hooked.error),
      ...(saved !== undefined ? { savedSnapshot: saved } : {}),
    };
    printFailure(output, destination, outcome.error);
  }
  return outcome!;
}

/** One destination's backup; a failed one names the snapshot it saved before what ran after it failed. */
type BackupOutcome = DestinationOutcome<BackupResult> & { savedSnapshot?: string };

/** One destination's result in words: what was saved, and what interrupted backups left and was removed. */
function printResult(
  output: Output,
  say: (text: string) => void,
  name: string,
  result: BackupResult,
  dryRun: boolean | undefined,
): void {
  const s = result.stats;
  const verb = dryRun ? "would back up" : `snapshot ${result.snapshotId?.slice(0, 12)} saved:`;
  say(
    `${name}: ${verb} ${counted(s.files, "file")}, ${counted(s.dirs, "folder")}, ${formatBytes(s.bytes)} ` +
      `(${s.newFiles} new, ${s.changedFiles} changed, ${s.unchangedFiles} unchanged)` +
      // Files and folders that could not be read (each a warning above): not among the files counted.
      (s.skipped > 0 ? `, ${s.skipped} skipped` : "") + "; " +
      `added ${formatBytes(s.addedBytes)} in ${(s.durationMs / 1000).toFixed(1)}s\n`,
  );
  if (result.removedLeftovers) {
    const { files, bytes } = result.removedLeftovers;
    say(
      `${name}: removed ${counted(files, "temporary file")} (${formatBytes(bytes)}) ` +
        `left by interrupted backups\n`,
    );
  }
  if (result.leftoversError) {
    output.err(`note: cannot remove what interrupted backups left in "${name}": ${result.leftoversError}\n`);
  }
}
