// Cron schedules as systemd calendars: the forms croner reads, the ones systemd cannot say, and (where
// systemd-analyze exists) the same firing times from both for a set of schedules.

import assert from "node:assert/strict";
import { Cron } from "croner";
import { onCalendar, Unexpressible } from "../../lib/schedule/mod.ts";

Deno.test("onCalendar() writes nicknames, steps, ranges, lists, names and seconds as systemd calendars", () => {
  const cases: [string, string[]][] = [
    ["@daily", ["*-*-* 00:00:00"]],
    ["@hourly", ["*-*-* *:00:00"]],
    ["@weekly", ["Sun *-*-* 00:00:00"]],
    ["@monthly", ["*-*-01 00:00:00"]],
    ["@yearly", ["*-01-01 00:00:00"]],
    ["15 2 * * *", ["*-*-* 02:15:00"]],
    ["*/15 * * * *", ["*-*-* *:00,15,30,45:00"]],
    ["0 1-5 * * *", ["*-*-* 01..05:00:00"]],
    ["0 8,20 * jan-mar *", ["*-01..03-* 08,20:00:00"]],
    ["30 2 * * MON-FRI", ["Mon..Fri *-*-* 02:30:00"]],
    ["0 0 * * 6,7", ["Sat,Sun *-*-* 00:00:00"]],
    ["0 0 * * 0-6/2", ["Tue,Thu,Sat,Sun *-*-* 00:00:00"]],
    ["*/20 * * * * *", ["*-*-* *:*:00,20,40"]],
    ["0 3 L * *", ["*-*~01 03:00:00"]],
    ["0 3 * * MON#2", ["Mon *-*-08..14 03:00:00"]],
    ["0 3 * * FRI#L", ["Fri *-*~07/1 03:00:00"]],
    ["0 3 1 * +MON", ["Mon *-*-01 03:00:00"]],
  ];
  for (const [cron, expected] of cases) assert.deepEqual(onCalendar(cron, undefined), expected, cron);
});

Deno.test("onCalendar() writes a day and a weekday as two calendars, as cron runs on either", () => {
  assert.deepEqual(onCalendar("0 4 1,15 * SUN", undefined), ["*-*-01,15 04:00:00", "Sun *-*-* 04:00:00"]);
});

Deno.test("onCalendar() ends each calendar with the plan's time zone", () => {
  assert.deepEqual(onCalendar("15 2 * * *", "Europe/Berlin"), ["*-*-* 02:15:00 Europe/Berlin"]);
});

Deno.test("onCalendar() refuses what systemd cannot say: the nearest weekday, and + with an nth weekday", () => {
  assert.throws(() => onCalendar("0 0 15W * *", undefined), (error) => {
    assert.ok(error instanceof Unexpressible);
    assert.match(error.message, /nearest weekday \("15W"\)/);
    return true;
  });
  assert.throws(() => onCalendar("0 0 1 * +MON#2", undefined), Unexpressible);
});

/** Schedules whose firings systemd and croner must agree on, in UTC and in a zone with DST. */
const AGREEING = [
  "15 2 * * *",
  "*/7 * * * *",
  "0 */5 * * *",
  "0 4 1,15 * SUN",
  "0 4 */3 * *",
  "30 6 * 2-4,11 MON-FRI",
  "0 0 L * *",
  "0 9 * * TUE#3",
  "0 9 * * FRI#L",
  "0 12 1-7 * +MON",
  "10,40 * * * * *",
  "@weekly",
];

const hasSystemdAnalyze = await commandExists("systemd-analyze");

Deno.test({
  name: "systemd fires each converted calendar exactly when croner fires the cron schedule",
  // Without systemd-analyze there is nothing to compare with (the cases above still run).
  ignore: !hasSystemdAnalyze,
  fn: async () => {
    // Away from DST changes: in a skipped hour systemd skips the run, croner runs at the end of the gap
    // (docs/scheduling.md#time-zones-and-dst).
    const base = new Date("2026-06-01T00:00:00Z");
    for (const zone of ["UTC", "America/New_York"]) {
      for (const cron of AGREEING) {
        const expected = new Cron(cron, { timezone: zone, paused: true }).nextRuns(12, base)
          .map((date) => date.getTime()).sort((a, b) => a - b).slice(0, 12);
        const fired = (await Promise.all(
          onCalendar(cron, zone).map((calendar) => systemdRuns(calendar, base)),
        ))
          .flat();
        // A time two calendars share fires once.
        const unique = [...new Set(fired)].sort((a, b) => a - b).slice(0, 12);
        assert.deepEqual(unique.map(iso), expected.map(iso), `${cron} in ${zone}`);
      }
    }
  },
});

/** The next 12 times systemd fires `calendar` after `base`. */
async function systemdRuns(calendar: string, base: Date): Promise<number[]> {
  const output = await new Deno.Command("systemd-analyze", {
    args: ["calendar", "--iterations=12", `--base-time=@${base.getTime() / 1000}`, calendar],
    env: { TZ: "UTC", LC_ALL: "C" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.ok(
    output.success,
    `systemd-analyze calendar "${calendar}": ${new TextDecoder().decode(output.stderr)}`,
  );
  return [...text.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)]
    .map((match) => Date.parse(`${match[1]!.replace(" ", "T")}Z`));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

async function commandExists(name: string): Promise<boolean> {
  try {
    return (await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}
