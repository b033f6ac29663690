/**
 * A cron schedule as systemd `OnCalendar=` values (systemd.time(7)): `[weekdays] *-months-days
 * hours:minutes:seconds [zone]`. systemd ANDs weekday and day where cron (and croner) ORs them when both are
 * given, so such a schedule becomes two values; a timer fires on each of its `OnCalendar=` lines.
 *
 * @module
 */

import { type CronFields, parseCron, Unexpressible } from "./_cron_fields.ts";
import { compact, runs } from "./_compact.ts";

const SYSTEMD = { range: "..", steps: false, width: 2 } as const;
const NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** One calendar value's day part: weekdays (none: any) and the days of the month after the month. */
interface DayClause {
  readonly weekdays?: string;
  /** `-*`, `-01,15`, `-08..14`, `~01` (the last day), `~07/1` (the last seven days). */
  readonly days: string;
}

/**
 * The `OnCalendar=` values of cron `expression` in `timeZone` (undefined: the machine's, written without a
 * zone). Throws {@link Unexpressible} for forms systemd has no way to say (W, and `+` with # or L).
 */
export function onCalendar(expression: string, timeZone: string | undefined): string[] {
  const fields = parseCron(expression);
  const months = compact(fields.months, { min: 1, max: 12 }, SYSTEMD);
  const time = [
    compact(fields.hours, { min: 0, max: 23 }, SYSTEMD),
    compact(fields.minutes, { min: 0, max: 59 }, SYSTEMD),
    compact(fields.seconds, { min: 0, max: 59 }, SYSTEMD),
  ].join(":");
  const zone = timeZone === undefined ? "" : ` ${timeZone}`;
  return dayClauses(fields).map((clause) =>
    `${clause.weekdays === undefined ? "" : `${clause.weekdays} `}*-${months}${clause.days} ${time}${zone}`
  );
}

/** The union of days the schedule runs on, as one clause per calendar value. */
function dayClauses(fields: CronFields): DayClause[] {
  const { days, weekdays } = fields;
  if (days.nearestWeekday.length > 0) {
    throw new Unexpressible(`systemd has no nearest weekday ("${days.nearestWeekday[0]}")`);
  }
  if (days.star && weekdays.star) return [{ days: "-*" }];
  if (weekdays.star) return monthDayClauses(fields);
  if (days.star) return weekdayClauses(fields);
  if (!fields.both) return [...monthDayClauses(fields), ...weekdayClauses(fields)];
  if (weekdays.nth.length > 0) {
    throw new Unexpressible("systemd cannot combine + with an nth or last weekday (# or L)");
  }
  const names = weekdayNames(weekdays.weekdays);
  return monthDayClauses(fields).map((clause) => ({ ...clause, weekdays: names }));
}

function monthDayClauses(fields: CronFields): DayClause[] {
  const clauses: DayClause[] = [];
  if (fields.days.days.length > 0) {
    clauses.push({ days: `-${compact(fields.days.days, { min: 1, max: 31 }, SYSTEMD)}` });
  }
  if (fields.days.last) clauses.push({ days: "~01" });
  return clauses;
}

function weekdayClauses(fields: CronFields): DayClause[] {
  const clauses: DayClause[] = [];
  if (fields.weekdays.weekdays.length > 0) {
    clauses.push({ weekdays: weekdayNames(fields.weekdays.weekdays), days: "-*" });
  }
  for (const { weekday, nth } of fields.weekdays.nth) {
    // The nth weekday of a month falls in its nth week: days 1-7, 8-14, ...; the last in its last seven.
    const days = nth === "last"
      ? "~07/1"
      : `-${String(nth * 7 - 6).padStart(2, "0")}..${String(Math.min(nth * 7, 31)).padStart(2, "0")}`;
    clauses.push({ weekdays: NAMES[weekday]!, days });
  }
  return clauses;
}

/** Weekdays (Sunday = 0) in systemd's order, Monday first, with runs as `Mon..Fri`. */
function weekdayNames(weekdays: readonly number[]): string {
  const mondayFirst = weekdays.map((day) => (day + 6) % 7).sort((a, b) => a - b);
  const name = (index: number) => NAMES[(index + 1) % 7]!;
  return runs(mondayFirst).map(([from, to]) =>
    from === to ? name(from) : to === from + 1 ? `${name(from)},${name(to)}` : `${name(from)}..${name(to)}`
  ).join(",");
}
