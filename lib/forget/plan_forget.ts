/**
 * Deciding what `kept forget` removes from one destination: each plan's retention applied to its snapshots,
 * group by group (plan, host, destination). A value that `--dry-run` prints and {@link applyForget} carries
 * out; no I/O here.
 *
 * @module
 */

import { applyRetention, type RetentionPolicy } from "../retention/mod.ts";
import { compareText } from "../compare_text.ts";

/** A snapshot as forget sees it (a repository's `SnapshotEntry` flattened). */
export interface ForgetSnapshot {
  readonly id: string;
  /** RFC 3339, as stored. */
  readonly time: string;
  readonly plan: string;
  readonly host: string;
  readonly tags?: readonly string[] | undefined;
}

/** One configured plan's retention, as forget applies it. */
export interface ForgetPolicy {
  /** Undefined: the plan keeps every snapshot. */
  readonly retention: RetentionPolicy | undefined;
  /** IANA zone of the buckets (the plan's, else the machine's). */
  readonly timeZone: string;
}

/** Options of {@link planForget}. */
export interface PlanForgetOptions {
  /** The destination the snapshots come from. */
  readonly destination: string;
  /** The plans to apply, by name: snapshots of other plans are not touched. */
  readonly plans: ReadonlyMap<string, ForgetPolicy>;
  /** The names of every plan in the config: snapshots of other plans are counted as orphans. */
  readonly configured: ReadonlySet<string>;
  /** Only snapshots taken on this host. */
  readonly host?: string | undefined;
  /** Snapshots dated after this are kept, uncounted (see `RetentionOptions.heldAfter`). */
  readonly heldAfter?: Date | undefined;
}

/** A snapshot retention keeps, with its reasons. */
export interface ForgetKept {
  readonly id: string;
  readonly time: string;
  readonly reasons: readonly string[];
}

/** The decision for one plan, host and destination (newest first). */
export interface ForgetGroup {
  readonly plan: string;
  readonly host: string;
  readonly destination: string;
  readonly keep: readonly ForgetKept[];
  readonly forget: readonly { readonly id: string; readonly time: string }[];
}

/** What forget will do at one destination, and what it leaves alone and why. */
export interface ForgetPlan {
  readonly destination: string;
  /** Groups of plans with retention, sorted by plan, host. */
  readonly groups: readonly ForgetGroup[];
  /** Plans applied that have no retention: their snapshots stay. */
  readonly withoutRetention: readonly { readonly plan: string; readonly snapshots: number }[];
  /** Plans no longer in the config, with how many snapshots of them stay (never touched by retention). */
  readonly orphans: readonly { readonly plan: string; readonly snapshots: number }[];
}

/**
 * Applies each plan's retention to the snapshots of one destination.
 *
 * @throws {RangeError} when a plan's time zone or policy is invalid (the plan loader rejects both first).
 */
export function planForget(snapshots: readonly ForgetSnapshot[], options: PlanForgetOptions): ForgetPlan {
  const byPlan = new Map<string, ForgetSnapshot[]>();
  const orphans = new Map<string, number>();
  for (const snapshot of snapshots) {
    if (options.host !== undefined && snapshot.host !== options.host) continue;
    if (!options.configured.has(snapshot.plan)) {
      orphans.set(snapshot.plan, (orphans.get(snapshot.plan) ?? 0) + 1);
    } else if (options.plans.has(snapshot.plan)) {
      const own = byPlan.get(snapshot.plan);
      if (own) own.push(snapshot);
      else byPlan.set(snapshot.plan, [snapshot]);
    }
  }
  const groups: ForgetGroup[] = [];
  const withoutRetention: { plan: string; snapshots: number }[] = [];
  for (const [plan, policy] of [...options.plans].sort(([a], [b]) => compareText(a, b))) {
    const own = byPlan.get(plan) ?? [];
    if (policy.retention === undefined) {
      if (own.length > 0) withoutRetention.push({ plan, snapshots: own.length });
      continue;
    }
    groups.push(...decide(own, policy.retention, policy.timeZone, options));
  }
  return {
    destination: options.destination,
    groups,
    withoutRetention,
    orphans: [...orphans].sort(([a], [b]) => compareText(a, b)).map(([plan, count]) => ({
      plan,
      snapshots: count,
    })),
  };
}

function decide(
  snapshots: readonly ForgetSnapshot[],
  retention: RetentionPolicy,
  timeZone: string,
  { destination, heldAfter }: PlanForgetOptions,
): ForgetGroup[] {
  const input = snapshots.map((snapshot) => ({
    id: snapshot.id,
    time: new Date(snapshot.time),
    tags: snapshot.tags,
    plan: snapshot.plan,
    host: snapshot.host,
    destination,
    stored: snapshot.time,
  }));
  return applyRetention(input, retention, { timeZone, heldAfter }).groups.map((group) => ({
    plan: group.plan,
    host: group.host,
    destination: group.destination,
    keep: group.keep.map(({ snapshot, reasons }) => ({ id: snapshot.id, time: snapshot.stored, reasons })),
    forget: group.forget.map((snapshot) => ({ id: snapshot.id, time: snapshot.stored })),
  }));
}
