/**
 * The machine's time zone, for plans that name none and for every time shown: `TZ` as the C library reads
 * it, else the system's. Read by the commands and passed down; retention never looks it up.
 *
 * @module
 */

/**
 * The machine's IANA time zone (or a fixed offset, `+09:00`): `TZ` read as the C library reads it, else the
 * system's. A leading `:` is dropped; a path (`:/etc/localtime`, `/usr/share/zoneinfo/Asia/Tokyo`) names the
 * zone of the zoneinfo file it leads to, a copy of one included; a POSIX rule without summer time (`JST-9`)
 * is its offset; an empty `TZ` is UTC. A value naming no zone Temporal knows (a misspelt name, a POSIX rule
 * with summer time like `CET-1CEST,M3.5.0,M10.5.0/3`) is UTC: name the zone instead (docs/retention.md).
 */
export function machineTimeZone(): string {
  const tz = Deno.env.get("TZ");
  if (tz === undefined) return knownOrUtc(Temporal.Now.timeZoneId());
  const name = tz.startsWith(":") ? tz.slice(1) : tz;
  if (name === "") return "UTC";
  if (name.startsWith("/")) return knownOrUtc(zoneOfFile(name));
  return knownOrUtc(posixOffset(name) ?? name);
}

function knownOrUtc(zone: string | undefined): string {
  if (zone === undefined) return "UTC";
  try {
    return Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(zone).timeZoneId;
  } catch {
    return "UTC";
  }
}

/** Where the system keeps its zoneinfo files. */
const ZONEINFO = "/usr/share/zoneinfo";

/**
 * The zone a zoneinfo file is: from the name of the file it resolves to (below `zoneinfo/`), else, for a
 * copy (as containers often have for /etc/localtime), the zone file with the same bytes.
 */
function zoneOfFile(path: string): string | undefined {
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch {
    return undefined;
  }
  const at = real.lastIndexOf("/zoneinfo/");
  // posix/ and right/ hold the same zones, the latter counting leap seconds.
  if (at >= 0) return real.slice(at + "/zoneinfo/".length).replace(/^(posix|right)\//, "");
  try {
    return sameZoneFile(Deno.readFileSync(real), ZONEINFO, "");
  } catch {
    return undefined;
  }
}

/** The name of the zone file below `folder` that holds `bytes`, if one does. */
function sameZoneFile(bytes: Uint8Array, folder: string, prefix: string): string | undefined {
  for (const entry of Deno.readDirSync(folder)) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      if (prefix === "" && (entry.name === "posix" || entry.name === "right")) continue;
      const found = sameZoneFile(bytes, `${folder}/${entry.name}`, `${name}/`);
      if (found !== undefined) return found;
    } else if (entry.isFile && !/^[a-z]/.test(entry.name)) {
      const path = `${folder}/${entry.name}`;
      if (Deno.statSync(path).size !== bytes.length) continue;
      const other = Deno.readFileSync(path);
      if (other.every((byte, i) => byte === bytes[i])) return name;
    }
  }
  return undefined;
}

/**
 * The offset of a POSIX rule without summer time (`JST-9`, `<+0530>-5:30`, `UTC0`) as Temporal names it
 * (`+09:00`): POSIX counts hours west of Greenwich, so its sign is the other way round.
 */
function posixOffset(rule: string): string | undefined {
  const match = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]+>)([+-]?)(\d{1,2})(?::(\d{2}))?$/.exec(rule);
  if (match === null) return undefined;
  const [, sign, hours, minutes = "00"] = match;
  if (Number(hours) > 24 || Number(minutes) > 59) return undefined;
  if (Number(hours) === 0 && Number(minutes) === 0) return "UTC";
  const east = sign === "-" ? "+" : "-";
  return `${east}${hours!.padStart(2, "0")}:${minutes}`;
}
