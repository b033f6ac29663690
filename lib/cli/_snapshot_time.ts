// `backup --time`: the time a snapshot is recorded under, as the user writes it.

import { UsageError } from "../errors.ts";

/** Date and time with an offset (`Z`, `+01:00`) or without one (then on the wall clock of the zone). */
const WITH_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;

/**
 * Parses `--time`: an RFC 3339 / ISO 8601 time with an offset (`2026-11-25T02:15:00+01:00`, `...Z`), or
 * `YYYY-MM-DD HH:MM[:SS]` on the wall clock of `timeZone` (a time skipped by a change to summer time moves
 * forward by the gap; a repeated one is its first pass).
 *
 * @throws {UsageError} naming the value when it is no such time.
 */
export function parseSnapshotTime(text: string, timeZone: string): Date {
  const trimmed = text.trim();
  try {
    if (WITH_OFFSET.test(trimmed)) {
      return new Date(Temporal.Instant.from(trimmed).epochMilliseconds);
    }
    if (DATE_TIME.test(trimmed)) {
      const wall = Temporal.PlainDateTime.from(trimmed.replace(" ", "T"), { overflow: "reject" });
      return new Date(wall.toZonedDateTime(timeZone, { disambiguation: "compatible" }).epochMilliseconds);
    }
  } catch {
    // Falls through to the one message below.
  }
  throw new UsageError(
    `Invalid --time "${text}": give an RFC 3339 time like 2026-11-25T02:15:00+01:00 or ` +
      `"2026-11-25 02:15:00" (in the plan's time zone)`,
  );
}
