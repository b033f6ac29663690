// `kept apply`: does what `kept plan` shows — init, backup (inside each plan's hooks), forget and prune —
// recording every run in the state file, one apply per state file at a time. See docs/reconcile.md.

import { type BackupProgress, backupToDestinations } from "../backup/mod.ts";
import { createRepository, destinationByName, kdfFromEnv, openRepository } from "../destinations/mod.ts";
import { ExitCode, UserError } from "../errors.ts";
import { type Config, formatBytes, type Plan, requireSources } from "../plan/mod.ts";
import {
  type AppliedAction,
  type ApplyAction,
  applyPlans,
  type ApplySteps,
  initRefusal,
  planActions,
  surveyDestinations,
} from "../reconcile/mod.ts";
import { lockStateFile, StateFile } from "../state/mod.ts";
import { resolveNewPassword } from "../secrets.ts";
import { secretsOf } from "./_context.ts";
import { type CommandKit, lockWaitMs, type Program, whoAmI } from "./_command_kit.ts";
import { forgetAtDestination, forgetPolicy } from "./forget_command.ts";
import { actionJson, describeAction, missingFolder, plansToReconcile, snakeKeys } from "./plan_command.ts";
import { pruneLimits } from "./prune_command.ts";
import { backupProgress } from "./_progress.ts";
import { counted } from "./_counted.ts";
import { machineTimeZone } from "../machine_time_zone.ts";

/** For tests: the time `kept apply` starts at (RFC 3339); its clock then runs on from there. */
export const NOW_ENV = "KEPT_NOW";

/** Registers `kept apply` on `program`. */
export function applyCommand(program: Program, kit: CommandKit): void {
  program.command("apply")
    .description("do what `kept plan` shows: init, backup (with hooks), forget and prune; record each run")
    .argument("[plans...]", "plans to apply (default: every plan)")
    .option("--json", "print what was done as JSON (docs/json.md)")
    .addHelpText(
      "after",
      "\nRuns each plan's hooks around its backups. A destination that fails does not stop the others.\n" +
        "Exit codes: 0 done, 1 a run failed or a destination could not be reached, 3 a backup skipped\n" +
        "unreadable files, 11 another apply is using the state file (--lock-wait waits for it).\n" +
        "A missing local repository folder is created only when its parent folder exists and is a mount\n" +
        "point or not empty: an empty one looks like an unmounted disk (`kept init` creates it anyway).\n" +
        "KEPT_NOW=TIME (for tests) starts apply's clock at TIME. See docs/reconcile.md and docs/json.md.",
    )
    .action(async (names, options, command) => {
      const clock = applyClock(kit.context.env);
      const { config, plans, configured } = await plansToReconcile(kit, names);
      using _lock = await lockStateFile(config.statePath, {
        waitMs: lockWaitMs(command.parent?.opts().lockWait as string | undefined),
        now: clock(),
      });
      using state = StateFile.open(config.statePath);
      state.closeUnfinishedRuns(clock());
      kit.setInterruptNote(
        "the run in progress is recorded as interrupted; the next `kept apply` does what is still due",
      );
      const interrupt = new AbortController();
      const stopListening = abortOnSignals(kit, interrupt);
      try {
        const report = await applyPlans({
          plans: new Map(plans.map((plan) => [plan.name, plan])),
          state,
          clock,
          survey: () => planNow(kit, config, plans, configured, state, clock()),
          refresh: async (destinations) => {
            await surveyDestinations(destinations, surveyOptions(kit, config, state, new Date()));
          },
          steps: applySteps(kit, config, clock, { json: options.json ?? false }),
          env: Deno.env.toObject(),
          signal: interrupt.signal,
          // --quiet (cron mails whatever a job prints): each line waits for its outcome, and only what
          // needs someone's attention is printed.
          onStart: options.json || kit.quiet()
            ? undefined
            : (action) => kit.output.out(describe(action, config) + "\n"),
          onDone: options.json ? undefined : (applied) => {
            if (!kit.quiet()) printOutcome(kit, config, applied, { started: true });
            else if (needsAttention(applied)) printOutcome(kit, config, applied, { started: false });
          },
        });
        if (options.json) {
          kit.json(snakeKeys({
            at: clock().toISOString(),
            ok: !report.failed,
            actions: report.actions.map(({ action, outcome }) => ({
              ...(action.kind === "prune" ? action : actionJson(action) as object),
              outcome,
            })),
          }));
        }
        if (report.failed) kit.setExitCode(ExitCode.failure);
        else if (report.partial) kit.setExitCode(ExitCode.partial);
      } finally {
        stopListening();
      }
    });
}

/** The real clock, or with {@link NOW_ENV} one that starts at that time and runs on. */
function applyClock(env: (name: string) => string | undefined): () => Date {
  const start = env(NOW_ENV);
  if (start === undefined) return () => new Date();
  const at = Date.parse(start);
  if (Number.isNaN(at)) throw new UserError(`Invalid ${NOW_ENV} "${start}": give an RFC 3339 time`);
  const offset = at - Date.now();
  return () => new Date(Date.now() + offset);
}

function surveyOptions(kit: CommandKit, config: Config, state: StateFile, now: Date) {
  return {
    open: (name: string) => openRepository(destinationByName(config, name), kit.repositoryAccess()),
    missingLocation: (name: string) => missingFolder(config, name),
    state,
    offline: false,
    readOnly: false,
    now,
  };
}

/** What `kept plan` would show now for `plans`, refreshing the state file's snapshot cache. */
function planNow(
  kit: CommandKit,
  config: Config,
  plans: readonly Plan[],
  configured: ReadonlySet<string> | undefined,
  state: StateFile,
  at: Date,
) {
  return planActions(plans, {
    ...surveyOptions(kit, config, state, new Date()),
    at,
    listedAt: new Date(),
    timeZone: machineTimeZone(),
    host: Deno.hostname(),
    configured,
  });
}

/**
 * The work apply orders, done the way `kept init`, `kept backup` and `kept forget --prune` do it. A backup
 * shows its progress line on a terminal unless `json` (the daemon runs apply without one: no line there).
 */
function applySteps(
  kit: CommandKit,
  config: Config,
  clock: () => Date,
  { json }: { json: boolean },
): ApplySteps {
  // An interrupted backup indexes the packs it stored, so that the next apply reuses them.
  let checkpoint: (() => Promise<void>) | undefined;
  kit.onInterrupt(async () => await checkpoint?.());
  return {
    init: (name) => initDestination(kit, config, name, clock()),
    backup: async (plan, destination) => {
      requireSources(plan);
      let time = clock();
      const progress = json
        ? undefined
        : backupProgress(kit.output, { dryRun: false, quiet: kit.quiet(), env: kit.context.env });
      try {
        const [outcome] = await backupToDestinations({
          plan,
          destinations: [destination],
          open: (name, onKeyDerivation) => kit.openLocked(config, name, "shared", { onKeyDerivation }),
          ...whoAmI(kit.context.env),
          now: () => time = clock(),
          onWarning: (_, message) => kit.output.err(`warning: ${message}\n`),
          onCheckpoint: (write) => checkpoint = write,
          ...(progress
            ? { watchProgress: (_: string, counts: BackupProgress) => progress.watch(counts) }
            : {}),
        });
        if (!outcome!.ok) throw outcome!.error;
        const { snapshotId, stats, warnings } = outcome!.value;
        return { snapshot: snapshotId, snapshotTime: time.toISOString(), stats, warnings: warnings.length };
      } finally {
        progress?.stop();
        // Forget, later in this apply, needs an exclusive lock on the same repository.
        await kit.releaseLocks();
      }
    },
    forget: async (plans, destination) => {
      try {
        const repository = await kit.openLocked(config, destination, "exclusive");
        const { plan, pruned } = await forgetAtDestination(kit, repository, {
          destination,
          policies: new Map(plans.map((plan) => [plan.name, forgetPolicy(plan)])),
          configured: new Set(config.plans.keys()),
          // This host's snapshots, as reconcile decided: another host's are its own apply's to forget.
          host: Deno.hostname(),
          now: clock(),
          dryRun: false,
          limits: pruneLimits({}),
          pruneOnlyAfterForget: true,
        });
        const forgotten = new Map(plans.map((p) => [
          p.name,
          plan.groups.filter((group) => group.plan === p.name).flatMap((group) =>
            group.forget.map((s) => s.id)
          ),
        ]));
        const result = pruned?.result;
        if (result === undefined) return { forgotten };
        const { freedBytes } = pruned!.plan;
        return { forgotten, prune: { freedBytes, ...result } };
      } finally {
        await kit.releaseLocks();
      }
    },
  };
}

/**
 * Creates a destination's repository as `kept init` does, unless its folder looks like a disk that is not
 * mounted (`initRefusal`): apply runs unattended, and must not fill the root file system instead.
 */
async function initDestination(kit: CommandKit, config: Config, name: string, now: Date): Promise<void> {
  const destination = destinationByName(config, name);
  if (destination.location.kind === "local") {
    const refusal = await initRefusal(destination.location.path);
    if (refusal !== undefined) {
      throw new UserError(
        `Not creating "${destination.location.path}": ${refusal}; \`kept init ${name}\` creates it anyway`,
      );
    }
  }
  const password = await resolveNewPassword(destination.password, name, secretsOf(kit.context));
  const kdf = kdfFromEnv(kit.context.env);
  await createRepository(destination, password, {
    ...whoAmI(kit.context.env),
    now,
    ...(kdf ? { kdf } : {}),
  }, kit.context.env);
}

/**
 * Aborts `controller` on SIGINT or SIGTERM (the real process only), so that hooks are killed and the run in
 * progress is recorded before `_interrupts.ts` ends the process. Returns a function that stops listening.
 */
export function abortOnSignals(kit: CommandKit, controller: AbortController): () => void {
  if (!kit.context.signals || Deno.build.os === "windows") return () => {};
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = () => controller.abort(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}

function describe(action: ApplyAction, config: Config): string {
  return action.kind === "prune" ? `prune ${action.destination}` : describeAction(action, config);
}

/**
 * What `--quiet` still prints: a destination that cannot be reached, a run that failed or was interrupted,
 * and a backup made because the last one is dated in the future (the clock was changed).
 */
function needsAttention({ action, outcome }: AppliedAction): boolean {
  return action.kind === "unreachable" || (outcome !== null && outcome.result !== "success") ||
    (action.kind === "backup" && action.reason.kind === "clock-ahead");
}

/**
 * The second line of an executed action: what happened; with the action's own line first unless `started`
 * (it was printed when the action started).
 */
function printOutcome(
  kit: CommandKit,
  config: Config,
  { action, outcome }: AppliedAction,
  { started }: { started: boolean },
): void {
  // Findings (unreachable, nothing to do, orphans) are one line; prune's only line is its outcome.
  if (!started || outcome === null || action.kind === "prune") {
    kit.output.out(describe(action, config) + "\n");
  }
  if (outcome === null) return;
  const detail = outcome.result === "success" ? successDetail(action, outcome.snapshot, outcome.stats) : "";
  const line = outcome.result === "success"
    ? `  done${detail}`
    : `  ${outcome.result === "interrupted" ? "interrupted" : "failed"}: ${
      outcome.error ?? "unknown reason"
    }`;
  kit.output.out(line + "\n");
  if (outcome.log && (outcome.result !== "success" || kit.verbose())) {
    kit.output.err(outcome.log.split("\n").filter(Boolean).map((l) => `  hook: ${l}\n`).join(""));
  }
}

function successDetail(action: ApplyAction, snapshot: string | null, stats: unknown): string {
  const figures = (stats ?? {}) as Record<string, number>;
  if (action.kind === "backup") {
    const done = figures as Record<string, number>;
    return `: snapshot ${snapshot?.slice(0, 12)} saved, ${
      counted(done.files ?? 0, "file")
    } (${done.newFiles} new, ` +
      `${done.changedFiles} changed), added ${formatBytes(done.addedBytes ?? 0)}`;
  }
  if (action.kind === "forget") {
    return `: forgot ${counted(figures.forgotten ?? 0, "snapshot")}`;
  }
  if (action.kind === "prune") return `: freed ${formatBytes(figures.freedBytes ?? 0)}`;
  return "";
}
