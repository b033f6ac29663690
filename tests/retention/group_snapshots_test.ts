// Grouping by plan, host and destination; bad input; the machine's time zone.

import assert from "node:assert/strict";
import { applyRetention, groupSnapshots, type RetentionPolicy } from "../../lib/retention/mod.ts";
import { parseAge } from "../../lib/plan/units.ts";
import type { RetentionInput } from "../../lib/plan/schema.ts";
import { snapshotAt } from "./_snapshots.ts";

Deno.test("groupSnapshots() groups by plan, host and destination, sorted, newest first inside", () => {
  const snapshots = [
    snapshotAt("2026-11-20T12:00:00Z", { id: "1", plan: "web", host: "b", destination: "nas" }),
    snapshotAt("2026-11-21T12:00:00Z", { id: "2", plan: "db", host: "a", destination: "s3" }),
    snapshotAt("2026-11-22T12:00:00Z", { id: "3", plan: "web", host: "b", destination: "nas" }),
    snapshotAt("2026-11-23T12:00:00Z", { id: "4", plan: "web", host: "a", destination: "nas" }),
    snapshotAt("2026-11-24T12:00:00Z", { id: "5", plan: "db", host: "a", destination: "nas" }),
  ];
  assert.deepEqual(
    groupSnapshots(snapshots).map((g) => [g.plan, g.host, g.destination, g.snapshots.map((s) => s.id)]),
    [
      ["db", "a", "nas", ["5"]],
      ["db", "a", "s3", ["2"]],
      ["web", "a", "nas", ["4"]],
      ["web", "b", "nas", ["3", "1"]],
    ],
  );
});

Deno.test("groupSnapshots() keeps names apart that would run together when joined", () => {
  const snapshots = [
    snapshotAt("2026-11-20T12:00:00Z", { id: "1", plan: "a-b", host: "c" }),
    snapshotAt("2026-11-21T12:00:00Z", { id: "2", plan: "a", host: "b-c" }),
  ];
  assert.equal(groupSnapshots(snapshots).length, 2);
});

Deno.test("applyRetention() decides each group on its own, keep_within from each group's newest", () => {
  const within = { years: 0, months: 0, days: 1, hours: 0 };
  const snapshots = [
    snapshotAt("2026-11-25T12:00:00Z", { id: "nas-new", destination: "nas" }),
    snapshotAt("2026-11-23T12:00:00Z", { id: "nas-old", destination: "nas" }),
    snapshotAt("2026-11-10T12:00:00Z", { id: "s3-new", destination: "s3" }),
    snapshotAt("2026-11-09T18:00:00Z", { id: "s3-old", destination: "s3" }),
  ];
  const { groups } = applyRetention(snapshots, { within }, { timeZone: "UTC" });
  assert.deepEqual(
    groups.map((g) => [g.destination, g.keep.map((k) => k.snapshot.id), g.forget.map((s) => s.id)]),
    [["nas", ["nas-new"], ["nas-old"]], ["s3", ["s3-new", "s3-old"], []]],
  );
});

Deno.test("applyRetention() refuses bad input with a message that quotes the value", () => {
  const one = [snapshotAt("2026-11-25T12:00:00Z")];
  const utc = { timeZone: "UTC" };
  const cases: [() => unknown, RegExp][] = [
    [
      () => applyRetention(one, { last: 1 }, { timeZone: "Mars/Olympus" }),
      /^Unknown time zone "Mars\/Olympus"/,
    ],
    [() => applyRetention(one, { daily: -2 }, utc), /^Invalid keep_daily count "-2"/],
    [() => applyRetention(one, { weekly: 1.5 }, utc), /^Invalid keep_weekly count "1.5"/],
    [() => applyRetention(one, { within: { years: 0, months: -1, days: 0, hours: 0 } }, utc), /"-1"/],
    [() => applyRetention(one, {}, utc), /^Cannot apply retention that keeps nothing/],
    [
      () =>
        applyRetention(one, { last: 0, tags: [], within: { years: 0, months: 0, days: 0, hours: 0 } }, utc),
      /keeps nothing/,
    ],
    [
      () => applyRetention([...one, ...one], { last: 1 }, utc),
      /^Duplicate snapshot id "2026-11-25T12:00:00Z"/,
    ],
    [
      () => applyRetention([{ ...one[0]!, time: Number.NaN }], { last: 1 }, utc),
      /^Invalid time of snapshot "2026/,
    ],
    [() => applyRetention([{ ...one[0]!, time: new Date("soon") }], { last: 1 }, utc), /"Invalid Date"/],
  ];
  for (const [run, message] of cases) {
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\.$/);
      return true;
    });
  }
});

Deno.test("a plan's retention maps onto the policy key by key; weeks are named in days", () => {
  const input: RetentionInput = {
    keep_daily: 7,
    keep_weekly: 4,
    keep_monthly: 12,
    keep_yearly: -1,
    keep_within: "2w",
  };
  const policy: RetentionPolicy = {
    last: input.keep_last,
    hourly: input.keep_hourly,
    daily: input.keep_daily,
    weekly: input.keep_weekly,
    monthly: input.keep_monthly,
    yearly: input.keep_yearly,
    within: input.keep_within === undefined ? undefined : parseAge(input.keep_within),
    tags: input.keep_tags,
  };
  const { groups } = applyRetention([snapshotAt("2026-11-25T12:00:00Z")], policy, { timeZone: "UTC" });
  assert.deepEqual(groups[0]!.keep[0]!.reasons, [
    "daily 2026-11-25",
    "weekly 2026-W48",
    "monthly 2026-11",
    "yearly 2026",
    "within 14d",
  ]);
});
