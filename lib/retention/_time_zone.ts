/**
 * Time zones for retention: the machine's zone, and a snapshot's time on a zone's wall clock.
 *
 * @module
 */

/**
 * The machine's IANA time zone, for callers whose plan names none: `TZ` read as the C library reads it,
 * else the system's. A leading `:` is dropped; a path (`:/etc/localtime`, `/usr/share/zoneinfo/Asia/Tokyo`)
 * names the zone of the zoneinfo file it leads to; an empty `TZ` is UTC. A value naming no zone Temporal
 * knows (a misspelt name, a POSIX rule like `CET-1CEST,M3.5.0,M10.5.0/3`) is UTC, as the C library takes an
 * unknown name. Temporal's own answer is UTC for a path and `Etc/Unknown` for an empty `TZ`, which no
 * time can be shown in.
 */
export function machineTimeZone(): string {
  const tz = Deno.env.get("TZ");
  if (tz === undefined) return knownOrUtc(Temporal.Now.timeZoneId());
  const name = tz.startsWith(":") ? tz.slice(1) : tz;
  if (name === "") return "UTC";
  return knownOrUtc(name.startsWith("/") ? zoneOfFile(name) : name);
}

function knownOrUtc(zone: string | undefined): string {
  if (zone === undefined) return "UTC";
  try {
    return Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(zone).timeZoneId;
  } catch {
    return "UTC";
  }
}

/** The zone a zoneinfo file is, from the name of the file it resolves to (below `zoneinfo/`). */
function zoneOfFile(path: string): string | undefined {
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch {
    return undefined;
  }
  const at = real.lastIndexOf("/zoneinfo/");
  // posix/ and right/ hold the same zones, the latter counting leap seconds.
  return at < 0 ? undefined : real.slice(at + "/zoneinfo/".length).replace(/^(posix|right)\//, "");
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
