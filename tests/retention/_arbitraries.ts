// fast-check generators for the retention properties: snapshot histories crowded around daylight saving
// changes, and policies that keep something.

import fc from "fast-check";
import type { RetentionAge, RetentionPolicy } from "../../lib/retention/mod.ts";
import type { TestSnapshot } from "./_snapshots.ts";

/** Zones with 23- and 25-hour days, a 30-minute shift (Lord Howe), and odd offsets (+05:45, +13:45). */
export const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Australia/Lord_Howe",
  "Asia/Kathmandu",
  "Pacific/Chatham",
] as const;

/** Every change of UTC offset during 2026 in the zones above, as instants. */
const TRANSITIONS = ZONES.flatMap((zone) => {
  const found: number[] = [];
  let at: Temporal.ZonedDateTime | null = Temporal.ZonedDateTime.from(`2026-01-01T00:00:00[${zone}]`);
  while ((at = at.getTimeZoneTransition("next")) !== null && at.year === 2026) {
    found.push(at.epochMilliseconds);
  }
  return found;
});

const HOUR = 3_600_000;

/** The last days of a month and the first of the next, where months of different lengths meet. */
const monthEnd = fc.record({
  year: fc.integer({ min: 2024, max: 2027 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 27, max: 32 }),
  minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
}).map(({ year, month, day, minute }) => Date.UTC(year, month - 1, day) + minute * 60_000);

/**
 * An instant: anywhere in 2024-2027, near the end of a month, or within a day and a half of a
 * daylight saving change (or a few whole hours from one).
 */
export const instant: fc.Arbitrary<number> = fc.oneof(
  monthEnd,
  fc.integer({ min: Date.UTC(2024, 0, 1) / 60_000, max: Date.UTC(2027, 11, 31) / 60_000 }).map((m) =>
    m * 60_000
  ),
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -36 * 60, max: 36 * 60 }))
    .map(([at, minutes]) => at + minutes * 60_000),
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -4, max: 4 })).map(([at, hours]) =>
    at + hours * HOUR
  ),
);

/**
 * One group's history made to sit on calendar edges for keep_within: a base instant at the end of a
 * month or at a daylight saving change, and snapshots within one or three hours of the base, of one
 * and two days before it, and of 28 to 92 days before it (a month or two earlier, whatever their
 * lengths).
 */
export const edgeHistory: fc.Arbitrary<TestSnapshot[]> = fc.tuple(
  fc.oneof(monthEnd, fc.constantFrom(...TRANSITIONS)),
  fc.constantFrom(60, 180).chain((spread) =>
    fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(0, 1, 2),
          fc.constantFrom(28, 29, 30, 31, 59, 60, 61, 62),
          fc.integer({ min: 28, max: 92 }),
        ),
        fc.integer({ min: -spread, max: spread }),
      ),
      { minLength: 1, maxLength: 12 },
    )
  ),
).map(([base, offsets]) =>
  offsets.map(([days, minutes], index) => ({
    id: `s${index}`,
    time: base - days * 24 * HOUR + minutes * 60_000,
    tags: [],
    plan: "p",
    host: "h",
    destination: "d",
  }))
);

/** Snapshots with ids `s0`, `s1`…, in two plans, two hosts and one destination; times may repeat. */
export function snapshots(
  options: { maxLength?: number; oneGroup?: boolean } = {},
): fc.Arbitrary<TestSnapshot[]> {
  const group = options.oneGroup ? fc.constant("p") : fc.constantFrom("p", "q");
  const host = options.oneGroup ? fc.constant("h") : fc.constantFrom("h1", "h2");
  return fc.array(
    fc.record({
      time: instant,
      tags: fc.subarray(["a", "b", "c"]),
      plan: group,
      host,
      destination: fc.constant("d"),
    }),
    { maxLength: options.maxLength ?? 40, size: "medium" },
  ).map((list) => list.map((snapshot, index) => ({ ...snapshot, id: `s${index}` })));
}

/** A count: unlimited, off, or 1 to 8. */
export const count: fc.Arbitrary<number> = fc.oneof(
  fc.constant(-1),
  fc.constant(0),
  fc.integer({ min: 1, max: 8 }),
);

/** A `keep_within` age, months and days included (where calendar edges are); often a few months only. */
export const age: fc.Arbitrary<RetentionAge> = fc.oneof(
  fc.record({
    years: fc.integer({ min: 0, max: 1 }),
    months: fc.integer({ min: 0, max: 14 }),
    days: fc.integer({ min: 0, max: 40 }),
    hours: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({
    years: fc.constant(0),
    months: fc.integer({ min: 1, max: 3 }),
    days: fc.integer({ min: 0, max: 1 }),
    hours: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({
    years: fc.constant(0),
    months: fc.constant(0),
    days: fc.integer({ min: 1, max: 3 }),
    hours: fc.constant(0),
  }),
);

/** A policy with any mix of rules that keeps something. */
export const policy: fc.Arbitrary<RetentionPolicy> = fc.record({
  last: count,
  hourly: count,
  daily: count,
  weekly: count,
  monthly: count,
  yearly: count,
  within: age,
  tags: fc.subarray(["a", "b", "x"]),
}, { requiredKeys: [] }).filter(keepsSomething);

function keepsSomething(candidate: RetentionPolicy): boolean {
  const counts = [candidate.last, candidate.hourly, candidate.daily, candidate.weekly, candidate.monthly];
  return [...counts, candidate.yearly].some((n) => (n ?? 0) !== 0) ||
    (candidate.tags?.length ?? 0) > 0 ||
    Object.values(candidate.within ?? {}).some((n) => n > 0);
}

/** A zone from {@link ZONES}. */
export const zone: fc.Arbitrary<string> = fc.constantFrom(...ZONES);
