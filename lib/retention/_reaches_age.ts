/**
 * The `keep_within` age test: when a snapshot reaches an age, on the calendar of a time zone.
 *
 * @module
 */

import type { RetentionAge } from "./_policy.ts";

/**
 * The instant a snapshot taken at `time` reaches `age`, in epoch milliseconds: years and months on
 * the calendar, then days on the wall clock, then exact hours. When the day does not exist in the
 * month reached (31 January + 1 month), the age is reached when that month ends (1 March, 00:00),
 * so that a later wall-clock time never reaches its age before an earlier one (clamping to
 * 28 February would put 30 January 23:00 after 31 January 01:00). An age past the end of Temporal's
 * range is never reached.
 */
export function reachesAge(time: Temporal.ZonedDateTime, age: RetentionAge): number {
  try {
    let moved = addMonths(time, age.years * 12 + age.months);
    if (age.days > 0) moved = moved.add({ days: age.days });
    if (age.hours > 0) moved = moved.add({ hours: age.hours });
    return moved.epochMilliseconds;
  } catch (error) {
    if (error instanceof RangeError) return Infinity;
    throw error;
  }
}

/** `time` plus whole months, or the start of the following month when the day does not exist there. */
function addMonths(time: Temporal.ZonedDateTime, months: number): Temporal.ZonedDateTime {
  if (months === 0) return time;
  const reached = time.toPlainDate().toPlainYearMonth().add({ months });
  if (time.day <= reached.daysInMonth) return time.add({ months });
  return reached.add({ months: 1 }).toPlainDate({ day: 1 }).toZonedDateTime(time.timeZoneId);
}
