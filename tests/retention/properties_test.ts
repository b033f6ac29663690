// Properties of applyRetention() over generated histories, policies and time zones (fast-check).

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  applyRetention,
  NEVER_EMPTY_REASON,
  newestFirst,
  type RetentionPolicy,
} from "../../lib/retention/mod.ts";
import { age, count, edgeHistory, policy, snapshots, zone } from "./_arbitraries.ts";
import { oracleBucket, type TestSnapshot } from "./_snapshots.ts";

const REASON = new RegExp(
  "^(last [1-9]\\d*" +
    "|(oldest )?(hourly \\d{4}-\\d\\d-\\d\\d \\d\\dh|daily \\d{4}-\\d\\d-\\d\\d|weekly \\d{4}-W\\d\\d" +
    "|monthly \\d{4}-\\d\\d|yearly \\d{4})" +
    "|within (\\d+y)?(\\d+m)?(\\d+d)?(\\d+h)?|tag [abx])$",
);

Deno.test("every snapshot is either kept with at least one reason or forgotten, and no group is emptied", () => {
  fc.assert(
    fc.property(snapshots(), policy, zone, (history, rules, timeZone) => {
      const { groups } = applyRetention(history, rules, { timeZone });
      const seen = groups.flatMap((g) => [...g.keep.map((k) => k.snapshot.id), ...g.forget.map((s) => s.id)]);
      assert.deepEqual([...seen].sort(), history.map((s) => s.id).sort());
      for (const group of groups) {
        assert.ok(group.keep.length >= 1, "a group was emptied");
        for (const { reasons } of group.keep) {
          assert.ok(reasons.length >= 1, "kept without a reason");
          if (reasons.includes(NEVER_EMPTY_REASON)) {
            assert.deepEqual([group.keep.length, reasons.length], [1, 1]);
          } else {
            for (const reason of reasons) assert.match(reason, REASON);
          }
        }
      }
    }),
  );
});

Deno.test("the result does not depend on the order of the snapshots", () => {
  const historyAndShuffle = snapshots().chain((history) =>
    fc.tuple(fc.constant(history), fc.shuffledSubarray(history, { minLength: history.length }))
  );
  fc.assert(
    fc.property(historyAndShuffle, policy, zone, ([history, shuffled], rules, timeZone) => {
      const options = { timeZone };
      assert.deepEqual(applyRetention(shuffled, rules, options), applyRetention(history, rules, options));
      assert.deepEqual(
        applyRetention([...history].reverse(), rules, options),
        applyRetention(history, rules, options),
      );
    }),
  );
});

Deno.test("keep_daily: N keeps at most N daily buckets, one snapshot each (the oldest snapshot aside)", () => {
  fc.assert(
    fc.property(
      snapshots(),
      fc.integer({ min: 1, max: 8 }),
      policy,
      zone,
      (history, days, others, timeZone) => {
        for (const group of applyRetention(history, { ...others, daily: days }, { timeZone }).groups) {
          const daily = group.keep.flatMap((k) => k.reasons.filter((r) => /^daily /.test(r)));
          assert.ok(daily.length <= days, `${daily.length} daily snapshots for keep_daily: ${days}`);
          assert.equal(new Set(daily).size, daily.length, "two snapshots for one day");
          const oldest = group.keep.flatMap((k) => k.reasons.filter((r) => /^oldest daily /.test(r)));
          assert.ok(daily.length + oldest.length <= days);
        }
      },
    ),
  );
});

/** What a counting rule keeps, found the slow way with Intl's calendar: newest of each bucket, then the oldest. */
function oracleKeeps(
  rule: "hourly" | "daily" | "weekly" | "monthly" | "yearly",
  n: number,
  group: TestSnapshot[],
  zone: string,
) {
  const sorted = [...group].sort(newestFirst);
  const firstOfBucket = new Map<string, string>();
  for (const snapshot of sorted) {
    const bucket = oracleBucket(rule, snapshot.time, zone);
    if (!firstOfBucket.has(bucket)) firstOfBucket.set(bucket, snapshot.id);
  }
  const newestBuckets = [...firstOfBucket.values()].slice(0, n === -1 ? undefined : n);
  const countsLeft = n === -1 || firstOfBucket.size < n;
  return new Set(countsLeft && sorted.length > 0 ? [...newestBuckets, sorted.at(-1)!.id] : newestBuckets);
}

Deno.test("each calendar rule keeps what an independent calendar (Intl) picks", () => {
  const rule = fc.constantFrom("hourly", "daily", "weekly", "monthly", "yearly" as const);
  fc.assert(
    fc.property(
      snapshots({ oneGroup: true }),
      rule,
      count.filter((n) => n !== 0),
      zone,
      (history, name, n, timeZone) => {
        const policy: RetentionPolicy = { [name]: n };
        const kept = applyRetention(history, policy, { timeZone }).groups[0]?.keep ?? [];
        assert.deepEqual(new Set(kept.map((k) => k.snapshot.id)), oracleKeeps(name, n, history, timeZone));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("adding a newer snapshot never keeps a snapshot that was forgotten before", () => {
  // Holds for every rule: counts only move to newer buckets, and keep_within keeps a snapshot while
  // its time plus the age is after the newest snapshot, which a newer snapshot only moves later.
  const minutes = fc.oneof(
    fc.integer({ min: 1, max: 3 * 24 * 60 }),
    fc.integer({ min: 1, max: 400 * 24 * 60 }),
  );
  const later = minutes.map((m) => m * 60_000);
  fc.assert(
    fc.property(
      snapshots({ oneGroup: true }).filter((h) => h.length > 0),
      later,
      fc.subarray(["a", "b"]),
      policy,
      zone,
      (history, after, tags, rules, timeZone) => {
        const options = { timeZone };
        const before = applyRetention(history, rules, options).groups[0]!;
        const newest = Math.max(...history.map((s) => s.time));
        const added = { ...history[0]!, id: "new", time: newest + after, tags };
        const now = applyRetention([...history, added], rules, options).groups[0]!;
        const keptNow = new Set(now.keep.map((k) => k.snapshot.id));
        const revived = before.forget.filter((s) => keptNow.has(s.id)).map((s) => s.id);
        assert.deepEqual(revived, []);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("adding a newer snapshot never makes keep_within keep a forgotten one, at month ends and DST changes", () => {
  const later = fc.integer({ min: 1, max: 120 }).map((minutes) => minutes * 60_000);
  fc.assert(
    fc.property(edgeHistory, later, age, zone, (history, after, within, timeZone) => {
      fc.pre(Object.values(within).some((n) => n > 0));
      const options = { timeZone };
      const before = applyRetention(history, { within }, options).groups[0]!;
      const newest = Math.max(...history.map((s) => s.time));
      const now = applyRetention([...history, { ...history[0]!, id: "new", time: newest + after }], {
        within,
      }, options);
      const keptNow = new Set(now.groups[0]!.keep.map((k) => k.snapshot.id));
      assert.deepEqual(before.forget.filter((s) => keptNow.has(s.id)).map((s) => s.id), []);
    }),
    { numRuns: 5000 },
  );
});

Deno.test("keep_within keeps the same snapshots as an age in exact hours when the age is hours only", () => {
  fc.assert(
    fc.property(
      snapshots({ oneGroup: true }),
      fc.integer({ min: 1, max: 2000 }),
      zone,
      (history, hours, timeZone) => {
        const within = { years: 0, months: 0, days: 0, hours };
        const kept = applyRetention(history, { within }, { timeZone }).groups[0]?.keep ?? [];
        const newest = Math.max(...history.map((s) => s.time));
        const expected = history.filter((s) => s.time + hours * 3_600_000 > newest).map((s) => s.id);
        assert.deepEqual(new Set(kept.map((k) => k.snapshot.id)), new Set(expected));
      },
    ),
  );
});
