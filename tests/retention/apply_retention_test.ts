// Each rule of applyRetention() with fixed times, and the exact wording of its reasons.

import assert from "node:assert/strict";
import {
  applyRetention,
  DATED_AHEAD_REASON,
  NEVER_EMPTY_REASON,
  type RetentionSnapshot,
  UNLIMITED,
} from "../../lib/retention/mod.ts";
import { decisions, snapshotAt, snapshotsEvery } from "./_snapshots.ts";

const UTC = { timeZone: "UTC" };

Deno.test("keep_last keeps the newest N snapshots and names each by its position", () => {
  const snapshots = snapshotsEvery("2026-11-25T10:00:00Z", "2026-11-25T14:00:00Z", 60);
  assert.deepEqual(decisions(applyRetention(snapshots, { last: 2 }, UTC)), {
    keep: [["2026-11-25T14:00:00.000Z", ["last 1"]], ["2026-11-25T13:00:00.000Z", ["last 2"]]],
    forget: ["2026-11-25T12:00:00.000Z", "2026-11-25T11:00:00.000Z", "2026-11-25T10:00:00.000Z"],
  });
});

Deno.test("keep_last: -1 keeps every snapshot", () => {
  const snapshots = snapshotsEvery("2026-11-25T10:00:00Z", "2026-11-25T14:00:00Z", 30);
  const { keep, forget } = decisions(applyRetention(snapshots, { last: UNLIMITED }, UTC));
  assert.deepEqual(keep.map(([, reasons]) => reasons), snapshots.map((_, i) => [`last ${i + 1}`]));
  assert.deepEqual(forget, []);
});

Deno.test("keep_hourly keeps the newest snapshot of each hour, named `hourly YYYY-MM-DD HHh`", () => {
  const snapshots = ["13:10", "13:50", "14:05", "14:30"].map((t) => snapshotAt(`2026-11-25T${t}:00Z`));
  assert.deepEqual(decisions(applyRetention(snapshots, { hourly: 5 }, UTC)).keep, [
    ["2026-11-25T14:30:00Z", ["hourly 2026-11-25 14h"]],
    ["2026-11-25T13:50:00Z", ["hourly 2026-11-25 13h"]],
    // The hourly count is not used up at the oldest snapshot: it is kept too (restic 0.16+).
    ["2026-11-25T13:10:00Z", ["oldest hourly 2026-11-25 13h"]],
  ]);
});

Deno.test("keep_daily keeps the newest snapshot of each of the newest N days, named `daily YYYY-MM-DD`", () => {
  const snapshots = ["22T09", "23T09", "23T18", "24T07", "24T20", "25T06"].map((t) =>
    snapshotAt(`2026-11-${t}:00:00Z`)
  );
  assert.deepEqual(decisions(applyRetention(snapshots, { daily: 3 }, UTC)), {
    keep: [
      ["2026-11-25T06:00:00Z", ["daily 2026-11-25"]],
      ["2026-11-24T20:00:00Z", ["daily 2026-11-24"]],
      ["2026-11-23T18:00:00Z", ["daily 2026-11-23"]],
    ],
    forget: ["2026-11-24T07:00:00Z", "2026-11-23T09:00:00Z", "2026-11-22T09:00:00Z"],
  });
});

Deno.test("keep_weekly uses ISO weeks and week-years, named `weekly YYYY-Www`", () => {
  const snapshots = [
    "2025-12-29T12:00:00Z", // Monday, 2026-W01
    "2026-11-19T10:00:00Z", // Thursday, 2026-W47
    "2026-12-28T12:00:00Z", // Monday, 2026-W53
    "2027-01-02T12:00:00Z", // Saturday, still 2026-W53
    "2027-01-04T12:00:00Z", // Monday, 2027-W01
  ].map((time) => snapshotAt(time));
  assert.deepEqual(decisions(applyRetention(snapshots, { weekly: 3 }, UTC)), {
    keep: [
      ["2027-01-04T12:00:00Z", ["weekly 2027-W01"]],
      ["2027-01-02T12:00:00Z", ["weekly 2026-W53"]],
      ["2026-11-19T10:00:00Z", ["weekly 2026-W47"]],
    ],
    forget: ["2026-12-28T12:00:00Z", "2025-12-29T12:00:00Z"],
  });
});

Deno.test("keep_monthly and keep_yearly name the month and the year", () => {
  const snapshots = ["2024-06-01", "2025-03-10", "2025-12-31", "2026-09-15", "2026-10-01", "2026-10-20"].map((
    d,
  ) => snapshotAt(`${d}T12:00:00Z`));
  assert.deepEqual(decisions(applyRetention(snapshots, { monthly: 2, yearly: 2 }, UTC)), {
    keep: [
      ["2026-10-20T12:00:00Z", ["monthly 2026-10", "yearly 2026"]],
      ["2026-09-15T12:00:00Z", ["monthly 2026-09"]],
      ["2025-12-31T12:00:00Z", ["yearly 2025"]],
    ],
    forget: ["2026-10-01T12:00:00Z", "2025-03-10T12:00:00Z", "2024-06-01T12:00:00Z"],
  });
});

Deno.test("a count of -1 keeps every bucket, and the oldest snapshot with it", () => {
  const snapshots = ["2020-05-01", "2020-07-01", "2023-01-01", "2026-10-20"].map((d) =>
    snapshotAt(`${d}T12:00:00Z`)
  );
  assert.deepEqual(decisions(applyRetention(snapshots, { yearly: -1 }, UTC)), {
    keep: [
      ["2026-10-20T12:00:00Z", ["yearly 2026"]],
      ["2023-01-01T12:00:00Z", ["yearly 2023"]],
      ["2020-07-01T12:00:00Z", ["yearly 2020"]],
      ["2020-05-01T12:00:00Z", ["oldest yearly 2020"]],
    ],
    forget: [],
  });
});

Deno.test("the oldest snapshot is kept only while its rule has buckets left", () => {
  const snapshots = ["2026-11-23T08:00:00Z", "2026-11-23T09:00:00Z", "2026-11-24T09:00:00Z"].map((t) =>
    snapshotAt(t)
  );
  assert.deepEqual(decisions(applyRetention(snapshots, { daily: 2 }, UTC)).forget, ["2026-11-23T08:00:00Z"]);
  assert.deepEqual(decisions(applyRetention(snapshots, { daily: 3 }, UTC)).keep.at(-1), [
    "2026-11-23T08:00:00Z",
    ["oldest daily 2026-11-23"],
  ]);
});

Deno.test("keep_within counts back from the newest snapshot, not from now", () => {
  const snapshots = [
    "2020-01-10T12:00:00Z",
    "2020-01-08T12:00:01Z", // 47:59:59 before the newest
    "2020-01-08T12:00:00Z", // exactly 2 days before: not younger than 2d
  ].map((time) => snapshotAt(time));
  const within = { years: 0, months: 0, days: 2, hours: 0 };
  assert.deepEqual(decisions(applyRetention(snapshots, { within }, UTC)), {
    keep: [["2020-01-10T12:00:00Z", ["within 2d"]], ["2020-01-08T12:00:01Z", ["within 2d"]]],
    forget: ["2020-01-08T12:00:00Z"],
  });
});

Deno.test("keep_within names the age in years, months, days and hours", () => {
  const snapshots = [snapshotAt("2026-11-25T12:00:00Z")];
  const cases: [{ years: number; months: number; days: number; hours: number }, string][] = [
    [{ years: 1, months: 2, days: 0, hours: 0 }, "within 1y2m"],
    [{ years: 0, months: 0, days: 14, hours: 0 }, "within 14d"],
    [{ years: 0, months: 0, days: 1, hours: 12 }, "within 1d12h"],
  ];
  for (const [within, reason] of cases) {
    assert.deepEqual(decisions(applyRetention(snapshots, { within }, UTC)).keep, [["2026-11-25T12:00:00Z", [
      reason,
    ]]]);
  }
});

Deno.test("keep_within: a day missing from the month reached means the end of that month", () => {
  // 31 January + 1 month is 1 March 00:00 (not 28 February, not 3 March): later times reach it later.
  const within = { years: 0, months: 1, days: 0, hours: 0 };
  const snapshots = [
    snapshotAt("2026-02-28T12:00:00Z"),
    snapshotAt("2026-01-31T01:00:00Z"),
    snapshotAt("2026-01-30T23:00:00Z"),
    snapshotAt("2026-01-28T13:00:00Z"), // + 1 month = 28 February 13:00, after the newest
    snapshotAt("2026-01-28T11:00:00Z"),
  ];
  assert.deepEqual(decisions(applyRetention(snapshots, { within }, UTC)).forget, ["2026-01-28T11:00:00Z"]);
  // Where restic (Go's AddDate) would count back to 3 March 12:00, kept keeps all of March.
  const endOfMarch = [snapshotAt("2026-03-31T12:00:00Z"), snapshotAt("2026-03-01T00:00:00Z")];
  assert.deepEqual(
    decisions(applyRetention([...endOfMarch, snapshotAt("2026-02-28T23:59:59Z")], { within }, UTC)).forget,
    ["2026-02-28T23:59:59Z"],
  );
});

Deno.test("keep_within: a newer snapshot never brings back one forgotten before, at a month end or DST", () => {
  const month = { years: 0, months: 1, days: 0, hours: 0 };
  const day = { years: 0, months: 0, days: 1, hours: 0 };
  const cases: [string, typeof month, string[], string, string][] = [
    // Counting back a month from 30 and then 31 March would give 28 February 23:00, then 01:00.
    [
      "UTC",
      month,
      ["2026-03-30T23:00:00Z", "2026-02-28T12:00:00Z"],
      "2026-03-31T01:00:00Z",
      "2026-02-28T12:00:00Z",
    ],
    // Counting back a day from 02:30 CEST, then from 02:10 CET (later), would give 02:30, then 02:10 CEST.
    [
      "Europe/Berlin",
      day,
      ["2026-10-25T02:30:00+02:00", "2026-10-24T02:20:00+02:00"],
      "2026-10-25T02:10:00+01:00",
      "2026-10-24T02:20:00+02:00",
    ],
  ];
  for (const [timeZone, within, times, newer, forgotten] of cases) {
    const history = times.map((time) => snapshotAt(time));
    assert.deepEqual(decisions(applyRetention(history, { within }, { timeZone })).forget, [forgotten]);
    const withNewer = [...history, snapshotAt(newer)];
    assert.deepEqual(decisions(applyRetention(withNewer, { within }, { timeZone })).forget, [forgotten]);
  }
});

Deno.test("keep_within: days follow the wall clock across a 23-hour day, hours are exact", () => {
  const zone = { timeZone: "Europe/Berlin" };
  const snapshots = [
    snapshotAt("2026-03-29T12:00:00+02:00"), // the day summer time starts is 23 hours long
    snapshotAt("2026-03-28T12:30:00+01:00"), // 22.5 hours earlier
    snapshotAt("2026-03-28T12:00:00+01:00"), // 23 hours earlier: the same wall-clock time a day before
  ];
  const days = { years: 0, months: 0, days: 1, hours: 0 };
  const hours = { years: 0, months: 0, days: 0, hours: 24 };
  assert.deepEqual(decisions(applyRetention(snapshots, { within: days }, zone)).forget, [
    "2026-03-28T12:00:00+01:00",
  ]);
  assert.deepEqual(decisions(applyRetention(snapshots, { within: hours }, zone)).forget, []);
});

Deno.test("keep_tags keeps every snapshot with one of the tags, one `tag NAME` reason per tag", () => {
  const snapshots = [
    snapshotAt("2026-11-25T12:00:00Z", { tags: [] }),
    snapshotAt("2026-11-24T12:00:00Z", { tags: ["audit", "keep", "other"] }),
    snapshotAt("2026-11-23T12:00:00Z", { tags: ["other"] }),
    snapshotAt("2026-11-22T12:00:00Z", { tags: ["keep"] }),
  ];
  assert.deepEqual(decisions(applyRetention(snapshots, { tags: ["keep", "audit", "keep"] }, UTC)), {
    keep: [["2026-11-24T12:00:00Z", ["tag keep", "tag audit"]], ["2026-11-22T12:00:00Z", ["tag keep"]]],
    forget: ["2026-11-25T12:00:00Z", "2026-11-23T12:00:00Z"],
  });
});

Deno.test("a snapshot kept by every rule lists every reason, in rule order", () => {
  const snapshots = [snapshotAt("2026-11-25T14:30:00Z", { tags: ["keep"] })];
  const policy = {
    last: 1,
    hourly: 1,
    daily: 1,
    weekly: 1,
    monthly: 1,
    yearly: 1,
    within: { years: 0, months: 0, days: 2, hours: 0 },
    tags: ["keep"],
  };
  assert.deepEqual(decisions(applyRetention(snapshots, policy, UTC)).keep, [[
    "2026-11-25T14:30:00Z",
    [
      "last 1",
      "hourly 2026-11-25 14h",
      "daily 2026-11-25",
      "weekly 2026-W48",
      "monthly 2026-11",
      "yearly 2026",
      "within 2d",
      "tag keep",
    ],
  ]]);
});

Deno.test("buckets follow the given time zone", () => {
  // 23:30 UTC on 24 November is already 25 November in Berlin and still 24 November in New York.
  const snapshots = [snapshotAt("2026-11-24T23:30:00Z"), snapshotAt("2026-11-24T22:30:00Z")];
  const daily = (timeZone: string) => decisions(applyRetention(snapshots, { daily: 1 }, { timeZone })).keep;
  assert.deepEqual(daily("Europe/Berlin")[0]![1], ["daily 2026-11-25"]);
  assert.deepEqual(daily("America/New_York")[0]![1], ["daily 2026-11-24"]);
  assert.deepEqual(daily("UTC")[0]![1], ["daily 2026-11-24"]);
  const hourly = decisions(applyRetention(snapshots, { hourly: 1 }, { timeZone: "Asia/Kolkata" })).keep;
  assert.deepEqual(hourly[0]![1], ["hourly 2026-11-25 05h"]);
});

Deno.test("a group is never emptied: when no rule keeps anything, the newest snapshot stays", () => {
  const snapshots = [
    snapshotAt("2026-11-24T12:00:00Z", { id: "a" }),
    snapshotAt("2026-11-25T12:00:00Z", { id: "b" }),
    snapshotAt("2026-11-23T12:00:00Z", { id: "c", host: "other", tags: ["keep"] }),
  ];
  const { groups } = applyRetention(snapshots, { tags: ["keep"] }, UTC);
  assert.deepEqual(
    groups.map((group) => [group.host, group.keep.map((k) => [k.snapshot.id, k.reasons])]),
    [["h", [["b", [NEVER_EMPTY_REASON]]]], ["other", [["c", ["tag keep"]]]]],
  );
  assert.equal(NEVER_EMPTY_REASON, "newest in group (never emptied)");
});

Deno.test("equal times are ordered by id, and Date and millisecond times decide alike", () => {
  const time = Date.parse("2026-11-25T12:00:00Z");
  const base = { plan: "web", host: "h", destination: "nas" };
  const asNumbers = ["b", "a", "c"].map((id) => ({ ...base, id, time }));
  const asDates = asNumbers.map((snapshot) => ({ ...snapshot, time: new Date(time) }));
  for (const snapshots of [asNumbers, asDates] as RetentionSnapshot[][]) {
    const { keep, forget } = decisions(applyRetention(snapshots, { last: 1 }, UTC));
    assert.deepEqual([keep, forget], [[["a", ["last 1"]]], ["b", "c"]]);
  }
});

Deno.test("applyRetention() of no snapshots returns no groups", () => {
  assert.deepEqual(applyRetention([], { last: 1 }, UTC), { groups: [] });
});

Deno.test("snapshots dated after heldAfter are kept and no rule counts them, keep_within included", () => {
  const future = ["2027-06-01T03:00:00Z", "2027-06-02T03:00:00Z"].map((time) => snapshotAt(time));
  const now = snapshotsEvery("2026-12-01T03:00:00Z", "2026-12-04T03:00:00Z", 24 * 60);
  const heldAfter = new Date("2026-12-04T03:05:00Z");
  assert.deepEqual(decisions(applyRetention([...future, ...now], { last: 2 }, { ...UTC, heldAfter })), {
    keep: [
      ["2027-06-02T03:00:00Z", [DATED_AHEAD_REASON]],
      ["2027-06-01T03:00:00Z", [DATED_AHEAD_REASON]],
      ["2026-12-04T03:00:00.000Z", ["last 1"]],
      ["2026-12-03T03:00:00.000Z", ["last 2"]],
    ],
    forget: ["2026-12-02T03:00:00.000Z", "2026-12-01T03:00:00.000Z"],
  });
  // keep_within counts back from the newest snapshot not held.
  const within = decisions(
    applyRetention([...future, ...now], { within: { years: 0, months: 0, days: 2, hours: 0 } }, {
      ...UTC,
      heldAfter,
    }),
  );
  assert.deepEqual(within.forget, ["2026-12-02T03:00:00.000Z", "2026-12-01T03:00:00.000Z"]);
  // Without heldAfter every snapshot counts, as in restic.
  assert.deepEqual(
    decisions(applyRetention([...future, ...now], { last: 2 }, UTC)).keep.map(([time]) => time),
    [
      "2027-06-02T03:00:00Z",
      "2027-06-01T03:00:00Z",
    ],
  );
  // A group of held snapshots alone forgets nothing.
  assert.deepEqual(decisions(applyRetention(future, { last: 1 }, { ...UTC, heldAfter })).forget, []);
});
