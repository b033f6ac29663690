// Small builders and an independent calendar for the retention tests.

import type { RetentionResult, RetentionSnapshot } from "../../lib/retention/mod.ts";

/** A test snapshot: plan "web", host "h", destination "nas" unless given. */
export interface TestSnapshot extends RetentionSnapshot {
  readonly time: number;
  readonly tags: readonly string[];
}

/** A snapshot at an RFC 3339 time (with offset); the id defaults to the time. */
export function snapshotAt(
  time: string,
  fields: Partial<Omit<TestSnapshot, "time">> = {},
): TestSnapshot {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new Error(`Invalid test time "${time}"`);
  return { id: time, tags: [], plan: "web", host: "h", destination: "nas", ...fields, time: ms };
}

/** Snapshots from `start` (RFC 3339) every `stepMinutes` until `end`, both included. */
export function snapshotsEvery(start: string, end: string, stepMinutes: number): TestSnapshot[] {
  const snapshots: TestSnapshot[] = [];
  for (let ms = Date.parse(start); ms <= Date.parse(end); ms += stepMinutes * 60_000) {
    snapshots.push(snapshotAt(new Date(ms).toISOString()));
  }
  return snapshots;
}

/** Kept ids with their reasons, and forgotten ids, of a result with one group. */
export function decisions<T extends RetentionSnapshot>(
  result: RetentionResult<T>,
): { keep: [string, readonly string[]][]; forget: string[] } {
  if (result.groups.length !== 1) throw new Error(`Expected one group, found ${result.groups.length}`);
  const group = result.groups[0]!;
  return {
    keep: group.keep.map(({ snapshot, reasons }) => [snapshot.id, reasons]),
    forget: group.forget.map((snapshot) => snapshot.id),
  };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of an instant in a zone, read through Intl (not Temporal): an independent oracle. */
export function wallClock(
  ms: number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number } {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      hourCycle: "h23",
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
  };
}

/** The ISO 8601 week-year and week of a calendar date, by the Thursday rule. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  date.setUTCDate(date.getUTCDate() - weekday + 3); // the Thursday of this week
  const weekYear = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  return {
    year: weekYear,
    week: 1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000)),
  };
}

/** The bucket key of an instant for a calendar rule, computed with {@link wallClock}. */
export function oracleBucket(
  rule: "hourly" | "daily" | "weekly" | "monthly" | "yearly",
  ms: number,
  zone: string,
) {
  const { year, month, day, hour } = wallClock(ms, zone);
  switch (rule) {
    case "hourly":
      return `${year}-${month}-${day} ${hour}`;
    case "daily":
      return `${year}-${month}-${day}`;
    case "weekly": {
      const week = isoWeek(year, month, day);
      return `${week.year}-W${week.week}`;
    }
    case "monthly":
      return `${year}-${month}`;
    case "yearly":
      return `${year}`;
  }
}
