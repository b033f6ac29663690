/**
 * Time zones for retention: a zone checked, and a snapshot's time on a zone's wall clock. The caller passes
 * the zone (the machine's comes from lib/machine_time_zone.ts).
 *
 * @module
 */

/** Throws a RangeError naming the zone when Temporal does not know it. */
export function checkTimeZone(timeZone: string): void {
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
  } catch (error) {
    throw new RangeError(`Unknown time zone "${timeZone}": use an IANA name like "Europe/Berlin"`, {
      cause: error,
    });
  }
}

/** A snapshot's time on the wall clock of the zone. */
export function zonedTime(epochMilliseconds: number, timeZone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(epochMilliseconds).toZonedDateTimeISO(timeZone);
}
