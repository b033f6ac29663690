/**
 * Carrying out a reconcile (docs/reconcile.md#kept-apply): every `init`, then every `backup` (inside the
 * plan's hooks), then every `forget` (and prune) that a fresh reconcile shows once the backups are done,
 * each recorded as a run in the state file. The work itself (creating, backing up, forgetting) comes in as
 * {@link ApplySteps}: this module decides the order, what a failure skips, and what is recorded.
 *
 * @module
 */

import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import { type HookContext, runFailureHooks, withHooks } from "../hooks/mod.ts";
import type { Plan } from "../plan/mod.ts";
import type { RunEnd, RunResult, StateFile } from "../state/mod.ts";
import type { Action } from "./reconcile.ts";
import { effectiveSettings, settingsFingerprint } from "./_settings.ts";

/** What one backup saved. */
export interface BackupDone {
  readonly snapshot: string | undefined;
  /** The snapshot's time (RFC 3339). */
  readonly snapshotTime: string;
  readonly stats: unknown;
  /** Files or folders skipped because they could not be read. */
  readonly warnings: number;
}

/** What forget (and prune) did at one destination. */
export interface ForgetDone {
  /** The snapshot ids removed, by plan. */
  readonly forgotten: ReadonlyMap<string, readonly string[]>;
  /** Prune's figures, when it ran (only after something was forgotten). */
  readonly prune?: unknown;
}

/** The work apply orders; each throws a `UserError` for a failure a user can act on. */
export interface ApplySteps {
  /** Creates the destination's repository (the mount guard is the step's to apply). */
  init(destination: string): Promise<void>;
  /** Backs up one plan to one destination. */
  backup(plan: Plan, destination: string): Promise<BackupDone>;
  /** Applies the retention of `plans` at one destination under an exclusive lock, then prunes. */
  forget(plans: readonly Plan[], destination: string): Promise<ForgetDone>;
}

/** Options of {@link applyPlans}. */
export interface ApplyOptions {
  /** The plans applied, by name. */
  readonly plans: ReadonlyMap<string, Plan>;
  readonly state: StateFile;
  readonly clock: () => Date;
  /** Lists every destination of the plans (refreshing the state file's cache) and reconciles. */
  readonly survey: () => Promise<Action[]>;
  /** Lists these destinations again, refreshing their cached snapshot lists. */
  readonly refresh: (destinations: readonly string[]) => Promise<void>;
  readonly steps: ApplySteps;
  /** kept's environment, which hooks inherit (without secrets). */
  readonly env: Readonly<Record<string, string>>;
  /** Aborted on SIGINT/SIGTERM: the runs in progress are recorded as interrupted at once. */
  readonly signal?: AbortSignal | undefined;
  /** Hears each action as it starts. */
  readonly onStart?: ((action: ApplyAction) => void) | undefined;
  /** Hears each action as it ends (findings too, with no outcome). */
  readonly onDone?: ((applied: AppliedAction) => void) | undefined;
}

/** A reconcile action, or the prune that follows a destination's forgets. */
export type ApplyAction = Action | { readonly kind: "prune"; readonly destination: string };

/** How an action's run ended, as recorded. */
export interface RunOutcome {
  /** The run's id in the state file. */
  readonly run: number;
  readonly result: RunResult;
  readonly snapshot: string | null;
  readonly stats: unknown;
  readonly error: string | null;
  /** What its hooks printed. */
  readonly log: string | null;
}

/** One action and, for the executable kinds, how its run ended. */
export interface AppliedAction {
  readonly action: ApplyAction;
  readonly outcome: RunOutcome | null;
}

/** What an apply did, in order. */
export interface ApplyReport {
  readonly actions: AppliedAction[];
  /** A run failed or a destination could not be reached. */
  readonly failed: boolean;
  /** A backup skipped files it could not read. */
  readonly partial: boolean;
}

/**
 * Does what `kept plan` shows now, in order: init, backup, then forget and prune. A destination whose
 * init fails (or that cannot be reached) fails its backups, which run their `on_failure` hooks; without a
 * cached snapshot list, every plan there counts as due and fails. The other destinations go on. Forgets are decided again after the backups (a new snapshot changes what
 * retention keeps), so that an apply right after an apply has nothing to do.
 *
 * @throws bugs only: a `UserError` of a step is that run's failure.
 */
export async function applyPlans(options: ApplyOptions): Promise<ApplyReport> {
  const journal = new Journal(options.state, options.clock, options.signal);
  const applied: AppliedAction[] = [];
  const done = (item: AppliedAction) => {
    applied.push(item);
    options.onDone?.(item);
  };
  const first = await options.survey();
  const blocked = new Map<string, string>();
  for (const action of first) {
    if (action.kind === "unreachable") {
      blocked.set(
        action.destination,
        `cannot reach ${action.destination}: ${action.error ?? "unknown reason"}`,
      );
      done({ action, outcome: null });
    }
  }
  for (const action of [...first, ...unlistedBackups(first, options.plans)]) {
    if (journal.stopped) break;
    if (action.kind === "init") done(await runInit(action, options, journal, blocked));
    if (action.kind === "backup") done(await runBackup(action, options, journal, blocked));
  }
  const backedUp = applied.some((item) => item.action.kind === "backup" && item.outcome?.snapshot);
  const forgets = !journal.stopped && (backedUp || first.some((action) => action.kind === "forget"))
    ? (await options.survey()).filter((action) => action.kind === "forget")
    : [];
  const forgotten = journal.stopped ? [] : await runForgets(forgets, options, journal, done);
  for (const action of first) {
    if (action.kind === "nothing" || action.kind === "orphan") done({ action, outcome: null });
  }
  if (forgotten.length > 0 && !journal.stopped) await options.refresh(forgotten);
  return {
    actions: applied,
    failed: applied.some((item) => item.action.kind === "unreachable" || item.outcome?.result === "failure"),
    partial: applied.some((item) => hasWarnings(item.outcome?.stats)),
  };
}

/**
 * A backup of each plan at each destination that cannot be reached and has no cached snapshot list:
 * reconcile cannot tell whether they are due, and each fails (recorded, `on_failure` hooks run), so that
 * an alert does not wait for a list that was never read.
 */
function unlistedBackups(
  actions: readonly Action[],
  plans: ReadonlyMap<string, Plan>,
): Extract<Action, { kind: "backup" }>[] {
  return actions.flatMap((action) =>
    action.kind !== "unreachable" || action.cachedAt !== null ? [] : [...plans.values()]
      .filter((plan) => plan.destinations.includes(action.destination))
      .map((plan) => ({
        kind: "backup" as const,
        plan: plan.name,
        destination: action.destination,
        basis: "none" as const,
        reason: { kind: "not-listed" as const },
      }))
  );
}

async function runInit(
  action: Extract<Action, { kind: "init" }>,
  options: ApplyOptions,
  journal: Journal,
  blocked: Map<string, string>,
): Promise<AppliedAction> {
  options.onStart?.(action);
  const outcome = await journal.record(
    { plan: "", destination: action.destination, action: "init" },
    async () => {
      await options.steps.init(action.destination);
      return { result: "success" };
    },
  );
  if (outcome.result !== "success") {
    blocked.set(action.destination, `no repository at ${action.reason.location}, and its init failed`);
  }
  return { action, outcome };
}

async function runBackup(
  action: Extract<Action, { kind: "backup" }>,
  options: ApplyOptions,
  journal: Journal,
  blocked: ReadonlyMap<string, string>,
): Promise<AppliedAction> {
  const plan = options.plans.get(action.plan)!;
  const { destination } = action;
  const context: HookContext = {
    plan: plan.name,
    destination,
    cwd: dirname(plan.definedIn),
    env: options.env,
    signal: options.signal,
  };
  options.onStart?.(action);
  const outcome = await journal.record({ plan: plan.name, destination, action: "backup" }, async () => {
    const cannot = blocked.get(destination);
    if (cannot !== undefined) {
      return { result: "failure", error: cannot, log: await runFailureHooks(plan.hooks, context, cannot) };
    }
    const hooked = await withHooks(plan.hooks, context, async () => {
      try {
        const value = await options.steps.backup(plan, destination);
        return { ok: true, value, snapshot: value.snapshot };
      } catch (error) {
        if (error instanceof UserError) return { ok: false, error: error.message };
        throw error;
      }
    });
    const value = hooked.value;
    if (value?.snapshot !== undefined && !journal.stopped) recordFingerprint(options, plan, destination);
    return {
      result: hooked.ok ? "success" : "failure",
      snapshot: value?.snapshot,
      snapshotTime: value?.snapshotTime,
      stats: value?.stats,
      error: hooked.ok ? undefined : hooked.error,
      log: hooked.log || undefined,
    };
  });
  return { action, outcome };
}

function recordFingerprint(options: ApplyOptions, plan: Plan, destination: string): void {
  const settings = effectiveSettings(plan);
  options.state.recordFingerprint(
    { plan: plan.name, destination, fingerprint: settingsFingerprint(settings), settings },
    options.clock(),
  );
}

/** Runs the forgets destination by destination; returns the destinations where snapshots were removed. */
async function runForgets(
  forgets: readonly Action[],
  options: ApplyOptions,
  journal: Journal,
  done: (item: AppliedAction) => void,
): Promise<string[]> {
  const byDestination = new Map<string, Extract<Action, { kind: "forget" }>[]>();
  for (const action of forgets) {
    // A forget decided on a cached list waits until its destination can be reached and listed again.
    if (action.kind !== "forget" || action.basis !== "listed") continue;
    byDestination.set(action.destination, [...byDestination.get(action.destination) ?? [], action]);
  }
  const changed: string[] = [];
  for (const [destination, actions] of byDestination) {
    if (journal.stopped) break;
    for (const action of actions) options.onStart?.(action);
    const plans = actions.map((action) => options.plans.get(action.plan)!);
    const started = options.clock();
    const runs = actions.map((action) => ({ plan: action.plan, destination, action: "forget" }));
    const outcomes = await journal.recordMany(runs, async () => {
      const result = await options.steps.forget(plans, destination);
      return { ends: plans.map((plan) => forgetEnd(result.forgotten.get(plan.name) ?? [])), result };
    });
    actions.forEach((action, index) => done({ action, outcome: outcomes.outcomes[index]! }));
    const removed = [...outcomes.value?.forgotten.values() ?? []].some((ids) => ids.length > 0);
    if (removed) changed.push(destination);
    if (outcomes.value?.prune !== undefined) {
      const action = { kind: "prune", destination } as const;
      done({
        action,
        outcome: journal.recordDone(
          { plan: "", destination, action: "prune" },
          started,
          outcomes.value.prune,
        ),
      });
    }
  }
  return changed;
}

function forgetEnd(ids: readonly string[]): RunEnd {
  return { result: "success", stats: { forgotten: ids.length, snapshots: ids } };
}

function hasWarnings(stats: unknown): boolean {
  return typeof stats === "object" && stats !== null && "skipped" in stats && Number(stats.skipped) > 0;
}

/**
 * The runs of one apply in the state file: each starts before its work and ends after it; on abort
 * (SIGINT, SIGTERM) every open run ends as interrupted at once, and nothing more is recorded.
 */
class Journal {
  readonly #state: StateFile;
  readonly #clock: () => Date;
  readonly #open = new Set<number>();
  #stopped = false;

  constructor(state: StateFile, clock: () => Date, signal: AbortSignal | undefined) {
    this.#state = state;
    this.#clock = clock;
    const interrupted = () => {
      this.#stopped = true;
      const error = `interrupted by ${typeof signal?.reason === "string" ? signal.reason : "a signal"}`;
      for (const id of this.#open) this.#state.endRun(id, { result: "interrupted", error }, this.#clock());
      this.#open.clear();
    };
    if (signal?.aborted) interrupted();
    else signal?.addEventListener("abort", interrupted, { once: true });
  }

  /** Whether apply was interrupted: start nothing more. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Records one run around `work`. */
  async record(
    run: { plan: string; destination: string; action: string },
    work: () => Promise<RunEnd>,
  ): Promise<RunOutcome> {
    const { outcomes } = await this.recordMany(
      [run],
      async () => ({ ends: [await work()], result: undefined }),
    );
    return outcomes[0]!;
  }

  /** Records several runs around one piece of work that ends them all; a failure fails them all. */
  async recordMany<T>(
    runs: readonly { plan: string; destination: string; action: string }[],
    work: () => Promise<{ ends: RunEnd[]; result: T }>,
  ): Promise<{ outcomes: RunOutcome[]; value: T | undefined }> {
    const ids = runs.map((run) => this.#state.startRun(run, this.#clock()));
    for (const id of ids) this.#open.add(id);
    let ends: RunEnd[];
    let value: T | undefined;
    try {
      ({ ends, result: value } = await work());
    } catch (error) {
      if (!(error instanceof UserError)) {
        this.#endAll(ids, { result: "failure", error: "internal error (a bug in kept)" });
        throw error;
      }
      ends = ids.map(() => ({ result: "failure", error: error.message }));
    }
    if (this.#stopped) {
      return { outcomes: ids.map((id) => outcomeOf(id, { result: "interrupted" })), value };
    }
    ids.forEach((id, index) => this.#end(id, ends[index]!));
    return { outcomes: ids.map((id, index) => outcomeOf(id, ends[index]!)), value };
  }

  /** Records a run that already ended successfully (prune, done inside forget's work). */
  recordDone(
    run: { plan: string; destination: string; action: string },
    started: Date,
    stats: unknown,
  ): RunOutcome {
    const id = this.#state.startRun(run, started);
    const end: RunEnd = { result: "success", stats };
    this.#state.endRun(id, end, this.#clock());
    return outcomeOf(id, end);
  }

  #end(id: number, end: RunEnd): void {
    this.#open.delete(id);
    this.#state.endRun(id, end, this.#clock());
  }

  #endAll(ids: readonly number[], end: RunEnd): void {
    for (const id of ids) this.#end(id, end);
  }
}

function outcomeOf(run: number, end: RunEnd): RunOutcome {
  return {
    run,
    result: end.result,
    snapshot: end.snapshot ?? null,
    stats: end.stats ?? null,
    error: end.error ?? null,
    log: end.log ?? null,
  };
}
