/**
 * The calendar bucket of a snapshot for each counting rule, named as reasons name it.
 *
 * @module
 */

import type { CountRule } from "./_policy.ts";

/** The rules that put snapshots into calendar buckets. */
export type BucketRule = Exclude<CountRule, "last">;

/**
 * The bucket a wall-clock time falls in, as it appears in reasons: `2026-11-25 14h`, `2026-11-24`,
 * `2026-W47` (ISO week and week-year), `2026-10`, `2025`. Two times share a bucket when their labels
 * are equal, so a repeated hour (the end of daylight saving time) is one bucket.
 */
export function bucketLabel(rule: BucketRule, time: Temporal.ZonedDateTime): string {
  const yearMonth = `${formatYear(time.year)}-${pad2(time.month)}`;
  switch (rule) {
    case "hourly":
      return `${yearMonth}-${pad2(time.day)} ${pad2(time.hour)}h`;
    case "daily":
      return `${yearMonth}-${pad2(time.day)}`;
    case "weekly":
      // The ISO calendar always has week numbers; the fallbacks only satisfy the type.
      return `${formatYear(time.yearOfWeek ?? time.year)}-W${pad2(time.weekOfYear ?? 0)}`;
    case "monthly":
      return yearMonth;
    case "yearly":
      return formatYear(time.year);
  }
}

/** A year with at least four digits, as ISO 8601 writes it (`0999`, `-0044`). */
function formatYear(year: number): string {
  const digits = String(Math.abs(year)).padStart(4, "0");
  return year < 0 ? `-${digits}` : digits;
}

function pad2(value: number): string {
  return String(value).padStart(2, "0");
}
