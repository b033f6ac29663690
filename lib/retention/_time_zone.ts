/**
 * Time zones for retention: the machine's zone, and a snapshot's time on a zone's wall clock.
 *
 * @module
 */

/** The machine's IANA time zone (from `TZ` or the system), for callers whose plan names none. */
export function machineTimeZone(): string {
  return Temporal.Now.timeZoneId();
}

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
