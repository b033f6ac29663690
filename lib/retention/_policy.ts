/**
 * The retention policy as this module takes it: parsed values, not the text of a plan.
 *
 * @module
 */

/** A count that keeps every bucket (`keep_daily: -1`). */
export const UNLIMITED = -1;

/**
 * A calendar age for `keep_within`: months and years are calendar units, days are calendar days in the
 * time zone, hours are exact hours. The plan's parsed age (weeks already folded into days) fits as is.
 */
export interface RetentionAge {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

/**
 * Which snapshots of a group to keep. A count keeps the newest snapshot of each of the newest N
 * buckets that have one; 0 or a missing count turns the rule off, {@link UNLIMITED} (-1) keeps every
 * bucket. Rules add up: a snapshot is kept when any rule keeps it. Fields may be undefined, so that a
 * plan's optional keys map over as they are.
 */
export interface RetentionPolicy {
  /** The newest N snapshots (`keep_last`). */
  readonly last?: number | undefined;
  /** The newest snapshot of each of the newest N hours (`keep_hourly`). */
  readonly hourly?: number | undefined;
  /** The newest snapshot of each of the newest N days (`keep_daily`). */
  readonly daily?: number | undefined;
  /** The newest snapshot of each of the newest N ISO weeks (`keep_weekly`). */
  readonly weekly?: number | undefined;
  /** The newest snapshot of each of the newest N months (`keep_monthly`). */
  readonly monthly?: number | undefined;
  /** The newest snapshot of each of the newest N years (`keep_yearly`). */
  readonly yearly?: number | undefined;
  /** Every snapshot younger than this age, measured at the group's newest snapshot (`keep_within`). */
  readonly within?: RetentionAge | undefined;
  /** Every snapshot that has one of these tags (`keep_tags`). */
  readonly tags?: readonly string[] | undefined;
}

/** The counting rules in the order their reasons are listed. */
export const COUNT_RULES = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;

/** One of {@link COUNT_RULES}. */
export type CountRule = typeof COUNT_RULES[number];

/**
 * Throws a RangeError when a count is not an integer ≥ -1, an age part is not a whole number ≥ 0, or
 * the policy keeps nothing at all (which would leave only the never-empty rule deciding).
 */
export function checkPolicy(policy: RetentionPolicy): void {
  for (const rule of COUNT_RULES) {
    const count = policy[rule];
    if (count !== undefined && !(Number.isSafeInteger(count) && count >= UNLIMITED)) {
      throw new RangeError(`Invalid keep_${rule} count "${count}": use a whole number, or -1 for unlimited`);
    }
  }
  if (policy.within !== undefined) {
    for (const [part, amount] of Object.entries(policy.within)) {
      if (!(Number.isSafeInteger(amount) && amount >= 0)) {
        throw new RangeError(`Invalid keep_within ${part} "${amount}": use a whole number of 0 or more`);
      }
    }
  }
  if (!keepsSomething(policy)) {
    throw new RangeError(
      "Cannot apply retention that keeps nothing: set a keep_* count, a keep_within age or keep_tags",
    );
  }
}

/** True when at least one rule of the policy can keep a snapshot. */
function keepsSomething(policy: RetentionPolicy): boolean {
  const counts = COUNT_RULES.some((rule) => (policy[rule] ?? 0) !== 0);
  return counts || (policy.within !== undefined && !isZeroAge(policy.within)) ||
    (policy.tags?.length ?? 0) > 0;
}

/** True when an age is zero in every unit (a `keep_within` that keeps nothing). */
export function isZeroAge(age: RetentionAge): boolean {
  return age.years === 0 && age.months === 0 && age.days === 0 && age.hours === 0;
}

/** An age in the units plans use, largest first, zero parts left out: `1y2m`, `14d`, `36h`. */
export function formatAge(age: RetentionAge): string {
  const parts: [number, string][] = [[age.years, "y"], [age.months, "m"], [age.days, "d"], [age.hours, "h"]];
  return parts.filter(([amount]) => amount > 0).map(([amount, unit]) => `${amount}${unit}`).join("");
}
