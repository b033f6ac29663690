// One way to show a time to a person: local wall-clock time with the zone, in every command's text
// output (`--json` keeps RFC 3339 UTC).

import { machineTimeZone } from "../machine_time_zone.ts";

/**
 * `time` (a Date or an RFC 3339 string) on the wall clock of `timeZone` (default: the process's, from TZ)
 * with the zone's abbreviation: `2026-12-06 08:15:02 CET`. Where the zone has no common abbreviation the
 * offset stands for it: `2026-12-06 12:45:02 +05:30`.
 */
export function formatLocalTime(time: Date | string, timeZone?: string): string {
  const date = typeof time === "string" ? new Date(time) : time;
  const zone = timeZone ?? (processZone ??= machineTimeZone());
  const wall = Temporal.Instant.fromEpochMilliseconds(date.getTime()).toZonedDateTimeISO(zone);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)}:${
    pad(wall.second)
  } ${zoneName(date, zone, wall.offset)}`;
}

/** The machine's time zone, read once. */
let processZone: string | undefined;

/**
 * Formatters of zone names by locale and zone: building one costs ~0.1 ms, which a listing of a thousand
 * snapshots paid three thousand times.
 */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's short name at `date` ("CET", "EST", "UTC"), else the numeric offset. */
function zoneName(date: Date, timeZone: string, offset: string): string {
  // en-US knows the American abbreviations, en-GB the European ones; both say "GMT+1" for the rest.
  for (const locale of ["en-US", "en-GB"]) {
    const key = `${locale} ${timeZone}`;
    let format = zoneFormats.get(key);
    if (!format) {
      zoneFormats.set(key, format = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }));
    }
    const name = format.formatToParts(date).find((part) => part.type === "timeZoneName")?.value;
    if (name !== undefined && !/^(GMT|UTC)[+-]/.test(name)) {
      return name === "GMT" && offset !== "+00:00" ? offset : name;
    }
  }
  return offset;
}
