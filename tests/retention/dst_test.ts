// Daylight saving time: days of 23 and 25 hours (Europe/Berlin, America/New_York), the 30-minute
// shift of Australia/Lord_Howe (days of 23.5 and 24.5 hours), and Pacific/Chatham, whose clock goes
// back at 03:45, across an hour boundary.

import assert from "node:assert/strict";
import fc from "fast-check";
import { applyRetention } from "../../lib/retention/mod.ts";
import { decisions, oracleBucket, snapshotAt, type TestSnapshot, wallClock } from "./_snapshots.ts";

/** A day with a daylight saving change, and what hourly buckets it has. */
interface DstDay {
  zone: string;
  date: string;
  hours: number;
  /** Distinct wall-clock hours: a skipped hour is missing, a repeated one counts once. */
  hourBuckets: number;
  /** The wall-clock hour that is skipped, shortened or repeated, and whether it exists at all. */
  changedHour: string;
  skipped: boolean;
}

const DST_DAYS: DstDay[] = [
  {
    zone: "Europe/Berlin",
    date: "2026-03-29",
    hours: 23,
    hourBuckets: 23,
    changedHour: "02h",
    skipped: true,
  },
  {
    zone: "Europe/Berlin",
    date: "2026-10-25",
    hours: 25,
    hourBuckets: 24,
    changedHour: "02h",
    skipped: false,
  },
  {
    zone: "America/New_York",
    date: "2026-03-08",
    hours: 23,
    hourBuckets: 23,
    changedHour: "02h",
    skipped: true,
  },
  {
    zone: "America/New_York",
    date: "2026-11-01",
    hours: 25,
    hourBuckets: 24,
    changedHour: "01h",
    skipped: false,
  },
  // 02:00 → 01:30: 01:30-02:00 happens twice, every hour label still exists once.
  {
    zone: "Australia/Lord_Howe",
    date: "2026-04-05",
    hours: 24.5,
    hourBuckets: 24,
    changedHour: "01h",
    skipped: false,
  },
  // 02:00 → 02:30: hour 02 lasts 30 minutes but is still there.
  {
    zone: "Australia/Lord_Howe",
    date: "2026-10-04",
    hours: 23.5,
    hourBuckets: 24,
    changedHour: "02h",
    skipped: false,
  },
  // 03:45 → 02:45: the repeated hour straddles 03:00, so hours 02 and 03 each come round twice.
  {
    zone: "Pacific/Chatham",
    date: "2026-04-05",
    hours: 25,
    hourBuckets: 24,
    changedHour: "03h",
    skipped: false,
  },
];

/** Snapshots every 10 minutes through the local day, from its first instant to its last. */
function throughTheDay({ zone, date }: DstDay): TestSnapshot[] {
  const start = Temporal.PlainDate.from(date).toZonedDateTime(zone);
  const end = start.add({ days: 1 });
  const snapshots: TestSnapshot[] = [];
  for (let at = start; Temporal.ZonedDateTime.compare(at, end) < 0; at = at.add({ minutes: 10 })) {
    snapshots.push(snapshotAt(at.toInstant().toString(), { id: at.toString({ timeZoneName: "never" }) }));
  }
  return snapshots;
}

for (const day of DST_DAYS) {
  Deno.test(`${day.zone} on ${day.date} (${day.hours} hours): one daily bucket, ${day.hourBuckets} hourly`, () => {
    assert.equal(Temporal.PlainDate.from(day.date).toZonedDateTime(day.zone).hoursInDay, day.hours);
    const snapshots = throughTheDay(day);
    assert.equal(snapshots.length, day.hours * 6);
    const options = { timeZone: day.zone };

    const daily = decisions(applyRetention(snapshots, { daily: -1 }, options)).keep;
    assert.deepEqual(daily.map(([, reasons]) => reasons), [[`daily ${day.date}`], [
      `oldest daily ${day.date}`,
    ]]);

    const hourly = decisions(applyRetention(snapshots, { hourly: -1 }, options)).keep;
    const buckets = hourly.flatMap(([, reasons]) => reasons).filter((reason) => !reason.startsWith("oldest"));
    assert.equal(buckets.length, day.hourBuckets);
    assert.equal(new Set(buckets).size, day.hourBuckets);
    // A skipped hour has no bucket; a shortened or repeated one is one bucket, kept by its newest
    // snapshot (the last 10 minutes of that hour, on its second pass when repeated).
    const changed = hourly.filter(([, reasons]) => reasons[0] === `hourly ${day.date} ${day.changedHour}`);
    assert.equal(changed.length, day.skipped ? 0 : 1);
    if (!day.skipped) {
      const newest = snapshots.filter((s) => s.id.slice(11, 13) === day.changedHour.slice(0, 2)).at(-1)!;
      assert.equal(changed[0]![0], newest.id);
      assert.match(newest.id, /:50:00[+-]/);
    }
  });
}

Deno.test("an hour that comes round twice (Pacific/Chatham) is still one bucket, kept by its newest snapshot", () => {
  const snapshots = [
    snapshotAt("2026-03-29T12:00:00+13:45", { id: "older" }),
    snapshotAt("2026-04-05T03:44:00+13:45", { id: "03:44 first pass" }),
    snapshotAt("2026-04-05T02:45:00+12:45", { id: "02:45 second pass" }),
    snapshotAt("2026-04-05T03:45:00+12:45", { id: "03:45 after" }),
  ];
  // restic compares each snapshot with the previous bucket only, and would keep "03:44 first pass" too.
  assert.deepEqual(decisions(applyRetention(snapshots, { hourly: -1 }, { timeZone: "Pacific/Chatham" })), {
    keep: [
      ["03:45 after", ["hourly 2026-04-05 03h"]],
      ["02:45 second pass", ["hourly 2026-04-05 02h"]],
      ["older", ["hourly 2026-03-29 12h"]],
    ],
    forget: ["03:44 first pass"],
  });
});

Deno.test("keep_within: 1d is a calendar day across a 25-hour day, 24h is 24 hours", () => {
  const snapshots = [
    snapshotAt("2026-11-01T12:00:00-05:00"), // New York, the day summer time ends
    snapshotAt("2026-10-31T12:30:00-04:00"), // 24.5 hours earlier
    snapshotAt("2026-10-31T12:00:00-04:00"), // 25 hours earlier: the same wall-clock time a day before
  ];
  const options = { timeZone: "America/New_York" };
  const day = { years: 0, months: 0, days: 1, hours: 0 };
  const hours = { years: 0, months: 0, days: 0, hours: 24 };
  assert.deepEqual(decisions(applyRetention(snapshots, { within: day }, options)).forget, [
    "2026-10-31T12:00:00-04:00",
  ]);
  assert.deepEqual(decisions(applyRetention(snapshots, { within: hours }, options)).forget, [
    "2026-10-31T12:30:00-04:00",
    "2026-10-31T12:00:00-04:00",
  ]);
});

Deno.test("keep_within: 1d across Lord Howe's 23.5-hour day", () => {
  const snapshots = [
    snapshotAt("2026-10-04T12:00:00+11:00"),
    snapshotAt("2026-10-03T12:10:00+10:30"), // 23 h 20 min earlier
    snapshotAt("2026-10-03T11:50:00+10:30"), // 23 h 40 min earlier, and a day and 10 minutes on the wall clock
  ];
  const within = { years: 0, months: 0, days: 1, hours: 0 };
  assert.deepEqual(
    decisions(applyRetention(snapshots, { within }, { timeZone: "Australia/Lord_Howe" })).forget,
    [
      "2026-10-03T11:50:00+10:30",
    ],
  );
});

Deno.test("around daylight saving changes, reasons name the wall-clock hour and day an independent calendar gives", () => {
  const transitions = DST_DAYS.map((day) => {
    const start = Temporal.PlainDate.from(day.date).toZonedDateTime(day.zone);
    return { zone: day.zone, at: start.getTimeZoneTransition("next")!.epochMilliseconds };
  });
  const around = fc.constantFrom(...transitions).chain(({ zone, at }) =>
    fc.tuple(
      fc.constant(zone),
      fc.uniqueArray(fc.integer({ min: -30 * 60, max: 30 * 60 }), { minLength: 1, maxLength: 30 })
        .map((minutes) => minutes.map((m) => snapshotAt(new Date(at + m * 60_000).toISOString()))),
    )
  );
  fc.assert(
    fc.property(around, ([timeZone, history]) => {
      const { keep } = applyRetention(history, { hourly: -1, daily: -1 }, { timeZone }).groups[0]!;
      for (const { snapshot, reasons } of keep) {
        const { year, month, day, hour } = wallClock(snapshot.time, timeZone);
        const date = `${year}-${pad(month)}-${pad(day)}`;
        for (const reason of reasons) {
          assert.match(reason, new RegExp(`^(oldest )?(hourly ${date} ${pad(hour)}h|daily ${date})$`));
        }
        if (reasons.some((reason) => reason.startsWith("oldest "))) continue;
        const bucket = oracleBucket("hourly", snapshot.time, timeZone);
        const sameHour = history.filter((s) => oracleBucket("hourly", s.time, timeZone) === bucket);
        assert.ok(
          sameHour.every((s) => s.time <= snapshot.time),
          `${snapshot.id} is not the newest of its hour`,
        );
      }
    }),
    { numRuns: 300 },
  );
});

function pad(value: number): string {
  return String(value).padStart(2, "0");
}
