/**
 * Retention as a pure function: which snapshots a policy keeps, and every reason why. The semantics
 * are restic's `forget --keep-*`; docs/retention.md lists the rules, the reasons and the differences.
 *
 * @module
 */

import { bucketLabel, type BucketRule } from "./_bucket_label.ts";
import { epochMilliseconds, groupSnapshots, type RetentionSnapshot } from "./_group_snapshots.ts";
import {
  checkPolicy,
  COUNT_RULES,
  type CountRule,
  formatAge,
  isZeroAge,
  type RetentionPolicy,
  UNLIMITED,
} from "./_policy.ts";
import { reachesAge } from "./_reaches_age.ts";
import { checkTimeZone, zonedTime } from "./_time_zone.ts";

/** A snapshot retention keeps, with every reason that keeps it (at least one). */
export interface KeptSnapshot<T extends RetentionSnapshot> {
  readonly snapshot: T;
  /** Reasons in rule order: `last 2`, `daily 2026-11-24`, `within 2d`, `tag keep` (docs/retention.md). */
  readonly reasons: readonly string[];
}

/** The decision for one plan, host and destination: every snapshot of it is in `keep` or in `forget`. */
export interface RetentionGroup<T extends RetentionSnapshot> {
  readonly plan: string;
  readonly host: string;
  readonly destination: string;
  /** Newest first. Never empty. */
  readonly keep: readonly KeptSnapshot<T>[];
  /** Newest first. */
  readonly forget: readonly T[];
}

/** What {@link applyRetention} decided, group by group (sorted by plan, host, destination). */
export interface RetentionResult<T extends RetentionSnapshot> {
  readonly groups: readonly RetentionGroup<T>[];
}

/** Options of {@link applyRetention}. */
export interface RetentionOptions {
  /** IANA time zone whose calendar the hours, days, weeks, months and years follow (the plan's). */
  readonly timeZone: string;
  /**
   * Snapshots dated after this are kept ({@link DATED_AHEAD_REASON}) and no rule counts them: a clock
   * that was ahead made them (or this one is behind), and counted they would push out every backup made
   * until the clock reaches them (keep_within would count back from them). Undefined: every snapshot
   * counts, as in restic.
   */
  readonly heldAfter?: Date | undefined;
}

/** The reason given when no rule keeps any snapshot of a group and the newest is kept anyway. */
export const NEVER_EMPTY_REASON = "newest in group (never emptied)";

/** The reason a snapshot dated after {@link RetentionOptions.heldAfter} is kept. */
export const DATED_AHEAD_REASON = "dated in the future (clock changed?)";

/**
 * Applies a retention policy to snapshots, group by group (plan, host, destination). Pure: no clock
 * (`keep_within` counts back from each group's newest snapshot; the caller passes `heldAfter`), no I/O,
 * and the result does not depend on the order of `snapshots`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyRetention } from "./mod.ts";
 *
 * const at = (time: string, id: string) => ({ id, time: new Date(time), plan: "web", host: "h", destination: "nas" });
 * const { groups } = applyRetention(
 *   [at("2026-11-24T08:00:00Z", "a"), at("2026-11-24T20:00:00Z", "b"), at("2026-11-25T08:00:00Z", "c")],
 *   { last: 1, daily: 2 },
 *   { timeZone: "UTC" },
 * );
 * assert.deepEqual(groups[0]!.keep.map((kept) => [kept.snapshot.id, kept.reasons]), [
 *   ["c", ["last 1", "daily 2026-11-25"]],
 *   ["b", ["daily 2026-11-24"]],
 * ]);
 * assert.deepEqual(groups[0]!.forget.map((snapshot) => snapshot.id), ["a"]);
 * ```
 *
 * @throws {RangeError} when the time zone is unknown, a count or age is invalid, the policy keeps
 * nothing at all, two snapshots share an id, or a time is not a valid date.
 */
export function applyRetention<T extends RetentionSnapshot>(
  snapshots: readonly T[],
  policy: RetentionPolicy,
  options: RetentionOptions,
): RetentionResult<T> {
  checkPolicy(policy);
  checkTimeZone(options.timeZone);
  const heldAfter = options.heldAfter?.getTime() ?? Infinity;
  const groups = groupSnapshots(snapshots).map((group) => {
    // Newest first: the snapshots held are the first ones.
    const held = group.snapshots.filter((snapshot) => epochMilliseconds(snapshot) > heldAfter);
    const counted = group.snapshots.slice(held.length);
    const reasons = keepReasons(counted, policy, options.timeZone);
    const keep: KeptSnapshot<T>[] = held.map((snapshot) => ({ snapshot, reasons: [DATED_AHEAD_REASON] }));
    const forget: T[] = [];
    counted.forEach((snapshot, index) => {
      const why = reasons[index]!;
      if (why.length > 0) keep.push({ snapshot, reasons: why });
      else forget.push(snapshot);
    });
    return { plan: group.plan, host: group.host, destination: group.destination, keep, forget };
  });
  return { groups };
}

/** A counting rule while walking a group from newest to oldest: how many buckets it may still keep. */
interface Counter {
  readonly rule: CountRule;
  left: number;
  /** Buckets that already have their (newest) snapshot. */
  readonly seen: Set<string>;
}

/**
 * The reasons to keep each snapshot of one group (sorted newest first), in the same order; an empty
 * list means forget. Walks newest to oldest as restic does: a counting rule keeps the first snapshot
 * it meets in each bucket while it has buckets left, and, when it still has some at the oldest snapshot,
 * keeps that one too (restic 0.16+): a history shorter than the policy keeps its first snapshot.
 */
function keepReasons(
  snapshots: readonly RetentionSnapshot[],
  policy: RetentionPolicy,
  timeZone: string,
): string[][] {
  const counters: Counter[] = COUNT_RULES
    .filter((rule) => (policy[rule] ?? 0) !== 0)
    .map((rule) => ({
      rule,
      left: policy[rule] === UNLIMITED ? Infinity : policy[rule]!,
      seen: new Set<string>(),
    }));
  const within = policy.within !== undefined && !isZeroAge(policy.within) ? policy.within : undefined;
  const tags = [...new Set(policy.tags ?? [])];
  const newest = snapshots.length > 0 ? epochMilliseconds(snapshots[0]!) : 0;
  const all = snapshots.map((snapshot, index) => {
    const time = zonedTime(epochMilliseconds(snapshot), timeZone);
    const reasons: string[] = [];
    for (const counter of counters) {
      const reason = countReason(counter, time, index, index === snapshots.length - 1);
      if (reason !== undefined) reasons.push(reason);
    }
    if (within !== undefined && reachesAge(time, within) > newest) {
      reasons.push(`within ${formatAge(within)}`);
    }
    for (const tag of tags) if (snapshot.tags?.includes(tag)) reasons.push(`tag ${tag}`);
    return reasons;
  });
  if (all.length > 0 && all.every((reasons) => reasons.length === 0)) all[0] = [NEVER_EMPTY_REASON];
  return all;
}

/** The reason a counting rule keeps the snapshot at `index` (0 = newest), or undefined; updates it. */
function countReason(
  counter: Counter,
  time: Temporal.ZonedDateTime,
  index: number,
  oldest: boolean,
): string | undefined {
  if (counter.left <= 0) return undefined;
  if (counter.rule === "last") {
    counter.left--;
    return `last ${index + 1}`;
  }
  const bucket = bucketLabel(counter.rule satisfies BucketRule, time);
  // A set, not only the previous bucket as in restic: where the clock goes back across a bucket
  // boundary (Pacific/Chatham at 03:45), a bucket can come round again and must not count twice.
  if (!counter.seen.has(bucket)) {
    counter.seen.add(bucket);
    counter.left--;
    return `${counter.rule} ${bucket}`;
  }
  return oldest ? `oldest ${counter.rule} ${bucket}` : undefined;
}
