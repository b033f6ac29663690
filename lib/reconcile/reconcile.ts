/**
 * Reconcile: what each plan × destination needs now, and why — a plain list of actions that `kept plan`
 * prints and `kept apply` carries out in order. Pure: the plans, the state, the snapshots listed at each
 * destination and the clock all come in; nothing is read or written (docs/reconcile.md).
 *
 * @module
 */

import { Cron } from "croner";
import type { Plan } from "../plan/mod.ts";
import { applyRetention } from "../retention/mod.ts";
import { effectiveSettings, type SettingChange, settingChanges, settingsFingerprint } from "./_settings.ts";
import { compareText } from "../compare_text.ts";

/** A snapshot as reconcile sees it (a repository's snapshot, or the state file's cached copy). */
export interface ReconcileSnapshot {
  readonly id: string;
  /** RFC 3339. */
  readonly time: string;
  readonly plan: string;
  readonly host: string;
  readonly tags?: readonly string[] | undefined;
  readonly paths: readonly string[];
}

/** What is known of one destination: its snapshots as listed now or as cached, or why there are none. */
export type DestinationView =
  | { readonly kind: "listed"; readonly snapshots: readonly ReconcileSnapshot[] }
  | {
    readonly kind: "cached";
    readonly snapshots: readonly ReconcileSnapshot[];
    /** When the cached list was read (RFC 3339). */
    readonly listed: string;
    /** Why the destination was not listed now; undefined when it was not asked (offline). */
    readonly error: string | undefined;
  }
  | { readonly kind: "no-repository"; readonly location: string }
  | { readonly kind: "unreachable"; readonly error: string | undefined };

/** What reconcile needs of the state file. */
export interface ReconcileState {
  readonly lastSuccesses: readonly { plan: string; destination: string; time: string }[];
  readonly fingerprints: readonly {
    plan: string;
    destination: string;
    fingerprint: string;
    settings: Readonly<Record<string, unknown>>;
  }[];
}

/** Why a backup is due. */
export type BackupReason =
  | { readonly kind: "no-snapshot" }
  /**
   * The destination cannot be reached and no snapshot list of it is cached: whether the plan is up to
   * date cannot be told (`kept apply` fails such a backup, and runs its `on_failure` hooks).
   */
  | { readonly kind: "not-listed" }
  | { readonly kind: "settings"; readonly changes: readonly SettingChange[] }
  | {
    readonly kind: "schedule";
    readonly cron: string;
    readonly timeZone: string;
    /** The newest time the schedule fired at or before now (RFC 3339). */
    readonly firedAt: string;
    readonly lastSuccess: string;
  }
  | {
    /** The newest success is dated after now: the clock was ahead (or is behind), so it proves nothing. */
    readonly kind: "clock-ahead";
    /** The success dated in the future (RFC 3339). */
    readonly datedAt: string;
    readonly cron: string;
    readonly timeZone: string;
    /** The newest time the schedule fired at or before now (RFC 3339). */
    readonly firedAt: string;
    /** The newest success dated at or before now; null: none. */
    readonly lastSuccess: string | null;
  };

/** Whether an action was decided on snapshots listed now or on the state file's cached list. */
export type Basis = "listed" | "cached";

/** One action (or finding) of a reconcile; `kept apply` carries out `init`, `backup` and `forget`. */
export type Action =
  | {
    readonly kind: "init";
    readonly destination: string;
    readonly reason: { kind: "no-repository"; location: string };
  }
  | {
    readonly kind: "backup";
    readonly plan: string;
    readonly destination: string;
    readonly basis: Basis | "none";
    readonly reason: BackupReason;
  }
  | {
    readonly kind: "forget";
    readonly plan: string;
    readonly destination: string;
    readonly basis: Basis;
    readonly reason: {
      readonly kind: "retention";
      /** Newest first. */
      readonly snapshots: readonly { readonly id: string; readonly time: string }[];
      readonly before: number;
      readonly after: number;
    };
  }
  | {
    readonly kind: "nothing";
    readonly plan: string;
    readonly destination: string;
    readonly basis: Basis;
    readonly lastSuccess: string | null;
    /** When the schedule fires next (RFC 3339); null without a schedule. */
    readonly nextRun: string | null;
  }
  | {
    readonly kind: "orphan";
    readonly destination: string;
    readonly plan: string;
    readonly snapshots: number;
  }
  | {
    readonly kind: "unreachable";
    readonly destination: string;
    readonly error: string | null;
    /** When the cached list the plans were decided on was read; null: no cache, those plans are skipped. */
    readonly cachedAt: string | null;
  };

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  /** The time zone of plans without one (the machine's). */
  readonly timeZone: string;
  /** Only this host's snapshots make a backup up to date; undefined: any host's. */
  readonly host?: string | undefined;
  /** Every plan name in the config: snapshots of other plans are reported as orphans. Undefined: none. */
  readonly configured?: ReadonlySet<string> | undefined;
}

/**
 * How far after now a success may be dated and still count: clocks of two machines writing to one
 * destination differ a little. A success dated later was made while a clock was ahead.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

const ORDER: Record<Action["kind"], number> = {
  unreachable: 0,
  init: 1,
  backup: 2,
  forget: 3,
  nothing: 4,
  orphan: 5,
};

/**
 * Decides what each plan × destination needs at `now`: `init` where there is no repository; `backup` when
 * there is no snapshot yet, the settings changed, or the schedule fired since the last success; `forget`
 * when retention would remove snapshots; otherwise `nothing` with the next run. Destinations that cannot
 * be reached are reported, and their plans decided on the cached list when there is one.
 *
 * The list is sorted in the order `apply` runs it: init, backup, forget; findings first and last.
 *
 * @throws {RangeError} when a plan's schedule, time zone or retention is invalid (the loader rejects them).
 */
export function reconcile(
  plans: readonly Plan[],
  state: ReconcileState,
  snapshotsByDestination: ReadonlyMap<string, DestinationView>,
  now: Date,
  options: ReconcileOptions,
): Action[] {
  const actions: Action[] = [];
  const destinations = [...new Set(plans.flatMap((plan) => plan.destinations))].sort();
  for (const destination of destinations) {
    const view = snapshotsByDestination.get(destination) ?? { kind: "unreachable", error: undefined };
    if (view.kind === "no-repository") {
      actions.push({ kind: "init", destination, reason: { kind: "no-repository", location: view.location } });
    } else if (view.kind === "unreachable" || (view.kind === "cached" && view.error !== undefined)) {
      actions.push({
        kind: "unreachable",
        destination,
        error: view.error ?? null,
        cachedAt: view.kind === "cached" ? view.listed : null,
      });
    }
    if (view.kind === "unreachable") continue;
    const snapshots = view.kind === "no-repository" ? [] : view.snapshots;
    const basis = view.kind === "no-repository" ? "none" : view.kind;
    for (const plan of plans.filter((plan) => plan.destinations.includes(destination))) {
      actions.push(...planAtDestination(plan, destination, snapshots, basis, state, now, options));
    }
    if (options.configured) actions.push(...orphans(destination, snapshots, options.configured));
  }
  return actions.map((action, index) => ({ action, index }))
    .sort((a, b) => ORDER[a.action.kind] - ORDER[b.action.kind] || a.index - b.index)
    .map(({ action }) => action);
}

/** The backup, forget or nothing of one plan at one destination. */
function planAtDestination(
  plan: Plan,
  destination: string,
  all: readonly ReconcileSnapshot[],
  basis: Basis | "none",
  state: ReconcileState,
  now: Date,
  options: ReconcileOptions,
): Action[] {
  const timeZone = plan.timezone ?? options.timeZone;
  const own = all.filter((snapshot) => snapshot.plan === plan.name);
  const mine = own.filter((snapshot) => options.host === undefined || snapshot.host === options.host);
  const newest = mine.reduce<ReconcileSnapshot | undefined>(
    (best, snapshot) =>
      best === undefined || Date.parse(snapshot.time) > Date.parse(best.time) ? snapshot : best,
    undefined,
  );
  const recorded = state.lastSuccesses.find((s) => s.plan === plan.name && s.destination === destination);
  // The state file's record counts only beside a snapshot: the destination is the truth.
  const times = newest === undefined ? [] : [...mine.map((s) => s.time), ...recorded ? [recorded.time] : []];
  const { lastSuccess, datedAhead } = splitByClock(times, now);
  // Said while the last run recorded is the one dated ahead (or none is): once a backup followed it, the
  // plan is due as any other, and a warning at every firing until that future date would be noise.
  const recordedAhead = recorded === undefined || isDatedAhead(recorded.time, now);
  const successes = { lastSuccess, datedAhead: recordedAhead ? datedAhead : undefined };
  const reason = backupReason(plan, destination, newest, successes, state, now, timeZone);
  const actions: Action[] = [];
  if (reason) actions.push({ kind: "backup", plan: plan.name, destination, basis, reason });
  if (basis === "none") return actions;
  // This host's alone, as for the backup: another host with the same plan name applies its own retention.
  const forget = retentionForgets(plan, destination, mine, timeZone, now);
  if (forget) actions.push({ kind: "forget", plan: plan.name, destination, basis, reason: forget });
  if (actions.length === 0) {
    actions.push({
      kind: "nothing",
      plan: plan.name,
      destination,
      basis,
      lastSuccess: lastSuccess ?? datedAhead ?? null,
      nextRun: plan.schedule === undefined ? null : nextRun({ cron: plan.schedule, timeZone }, now),
    });
  }
  return actions;
}

function backupReason(
  plan: Plan,
  destination: string,
  newest: ReconcileSnapshot | undefined,
  successes: { lastSuccess: string | undefined; datedAhead: string | undefined },
  state: ReconcileState,
  now: Date,
  timeZone: string,
): BackupReason | undefined {
  if (newest === undefined) return { kind: "no-snapshot" };
  const settings = effectiveSettings(plan);
  const recorded = state.fingerprints.find((f) => f.plan === plan.name && f.destination === destination);
  if (recorded !== undefined) {
    if (recorded.fingerprint !== settingsFingerprint(settings)) {
      return { kind: "settings", changes: settingChanges(recorded.settings, settings) };
    }
  } else {
    // Without a fingerprint (a new or deleted state file), the snapshot itself says what it backed up.
    const changes = settingChanges({ sources: newest.paths }, { sources: settings.sources });
    if (changes.length > 0) return { kind: "settings", changes };
  }
  if (plan.schedule === undefined) return undefined;
  const { lastSuccess, datedAhead } = successes;
  const firedAt = previousRun({ cron: plan.schedule, timeZone }, now);
  if (firedAt === undefined) return undefined;
  if (lastSuccess !== undefined && Date.parse(firedAt) <= Date.parse(lastSuccess)) return undefined;
  if (datedAhead === undefined) {
    return lastSuccess === undefined
      ? undefined
      : { kind: "schedule", cron: plan.schedule, timeZone, firedAt, lastSuccess };
  }
  return {
    kind: "clock-ahead",
    datedAt: datedAhead,
    cron: plan.schedule,
    timeZone,
    firedAt,
    lastSuccess: lastSuccess ?? null,
  };
}

/**
 * The newest of `times` that is not after now (beyond {@link CLOCK_SKEW_MS}), and the newest that is: a
 * success dated in the future does not show that the schedule's last firing was backed up.
 */
function splitByClock(
  times: readonly string[],
  now: Date,
): { lastSuccess: string | undefined; datedAhead: string | undefined } {
  let lastSuccess: string | undefined;
  let datedAhead: string | undefined;
  for (const time of times) {
    if (isDatedAhead(time, now)) datedAhead = datedAhead === undefined ? time : latest(time, datedAhead);
    else lastSuccess = lastSuccess === undefined ? time : latest(time, lastSuccess);
  }
  return { lastSuccess, datedAhead };
}

/** True when `time` is dated after `now` by more than {@link CLOCK_SKEW_MS}: made while a clock was ahead. */
export function isDatedAhead(time: string, now: Date): boolean {
  return Date.parse(time) > datedAheadAfter(now).getTime();
}

/** The time after which a snapshot counts as dated in the future at `now` (see {@link CLOCK_SKEW_MS}). */
export function datedAheadAfter(now: Date): Date {
  return new Date(now.getTime() + CLOCK_SKEW_MS);
}

/** What retention would forget of a plan's snapshots at a destination, or undefined for nothing. */
function retentionForgets(
  plan: Plan,
  destination: string,
  own: readonly ReconcileSnapshot[],
  timeZone: string,
  now: Date,
): Extract<Action, { kind: "forget" }>["reason"] | undefined {
  if (plan.retention === undefined || own.length === 0) return undefined;
  const input = own.map((snapshot) => ({
    id: snapshot.id,
    time: new Date(snapshot.time),
    stored: snapshot.time,
    tags: snapshot.tags ?? [],
    plan: snapshot.plan,
    host: snapshot.host,
    destination,
  }));
  const { groups } = applyRetention(input, plan.retention, { timeZone, heldAfter: datedAheadAfter(now) });
  const forgotten = groups.flatMap((group) => group.forget)
    .sort((a, b) => b.time.getTime() - a.time.getTime())
    .map((snapshot) => ({ id: snapshot.id, time: snapshot.stored }));
  if (forgotten.length === 0) return undefined;
  return {
    kind: "retention",
    snapshots: forgotten,
    before: own.length,
    after: own.length - forgotten.length,
  };
}

function orphans(
  destination: string,
  snapshots: readonly ReconcileSnapshot[],
  configured: ReadonlySet<string>,
) {
  const counts = new Map<string, number>();
  for (const snapshot of snapshots) {
    if (!configured.has(snapshot.plan)) counts.set(snapshot.plan, (counts.get(snapshot.plan) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => compareText(a, b))
    .map(([plan, count]): Action => ({ kind: "orphan", destination, plan, snapshots: count }));
}

/** A cron schedule and the IANA time zone it runs in. */
export interface Schedule {
  readonly cron: string;
  readonly timeZone: string;
}

/** The newest time at or before `now` that `schedule` fired, as RFC 3339 (undefined: never). */
export function previousRun(schedule: Schedule, now: Date): string | undefined {
  // croner's previous runs are strictly before the reference: a run at exactly `now` counts as fired.
  const at = new Date(now.getTime() + 1);
  return new Cron(schedule.cron, { timezone: schedule.timeZone, paused: true }).previousRuns(1, at)[0]
    ?.toISOString();
}

/** The first time after `now` that `schedule` fires, as RFC 3339 (null: never again). */
export function nextRun(schedule: Schedule, now: Date): string | null {
  return new Cron(schedule.cron, { timezone: schedule.timeZone, paused: true }).nextRun(now)?.toISOString() ??
    null;
}

function latest(a: string, b: string | undefined): string {
  return b === undefined || Date.parse(a) >= Date.parse(b) ? a : b;
}

/** When a plan × destination is next due, as `kept state` shows it. */
export type NextDue =
  | { readonly kind: "never-succeeded" }
  | { readonly kind: "overdue"; readonly since: string }
  | { readonly kind: "scheduled"; readonly at: string }
  | { readonly kind: "unscheduled" };

/**
 * When a backup on `schedule` (undefined: none) is next due, given its last success (undefined: none
 * known): now when it never succeeded, its schedule fired since, or the success is dated in the future
 * (beyond {@link CLOCK_SKEW_MS}), else the schedule's next run. Settings changes are not seen here.
 */
export function nextDue(
  schedule: Schedule | undefined,
  options: { readonly lastSuccess: string | undefined; readonly now: Date },
): NextDue {
  const { lastSuccess, now } = options;
  if (lastSuccess === undefined) return { kind: "never-succeeded" };
  if (schedule === undefined) return { kind: "unscheduled" };
  const fired = previousRun(schedule, now);
  // A success dated in the future was made while the clock was ahead: it does not cover the last firing.
  if (
    fired !== undefined && (isDatedAhead(lastSuccess, now) || Date.parse(fired) > Date.parse(lastSuccess))
  ) {
    return { kind: "overdue", since: fired };
  }
  const at = nextRun(schedule, now);
  return at === null ? { kind: "unscheduled" } : { kind: "scheduled", at };
}
