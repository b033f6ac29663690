/**
 * Sizes (`2GiB`, `500MB`), retention ages (`2d`, `1y2m`) and timeouts (`10m`, `90s`) as written in plans.
 *
 * @module
 */

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** What {@link parseSize} accepts as text, for the JSON Schema (editors flag a bad size as you type). */
export const SIZE_PATTERN = "^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgGtT]([iI]?[bB])?)?\\s*$";

/**
 * Parses a size: a number of bytes or a number with a unit. `KB`/`MB`/`GB`/`TB` are powers of 1000,
 * `KiB`/`MiB`/`GiB`/`TiB` and the bare `K`/`M`/`G`/`T` (as in restic) are powers of 1024.
 * Returns undefined when the text is not a size.
 */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const factor = SIZE_UNITS[match[2]!.toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A calendar age for retention: months and years are calendar units, not fixed numbers of hours. */
export interface Age {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const AGE_UNITS: Record<string, keyof Age | "weeks"> = {
  y: "years",
  m: "months",
  w: "weeks",
  d: "days",
  h: "hours",
};

/** What {@link parseAge} accepts, for the JSON Schema. */
export const AGE_PATTERN = "^\\s*(\\d+[ymwdh])+\\s*$";

/**
 * Parses a retention age such as `2d`, `36h` or `1y2m` (as restic's `--keep-within`): `y` years,
 * `m` months, `w` weeks, `d` days, `h` hours. Returns undefined when the text is not an age.
 */
export function parseAge(text: string): Age | undefined {
  const trimmed = text.trim();
  if (!/^(\d+[ymwdh])+$/.test(trimmed)) return undefined;
  const age: Age = { years: 0, months: 0, days: 0, hours: 0 };
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([ymwdh])/g)) {
    const field = AGE_UNITS[unit!]!;
    if (field === "weeks") age.days += 7 * Number(amount);
    else age[field] += Number(amount);
  }
  return Object.values(age).every(Number.isSafeInteger) ? age : undefined;
}

/** True when an age is zero in every unit. */
export function isZeroAge(age: Age): boolean {
  return age.years === 0 && age.months === 0 && age.days === 0 && age.hours === 0;
}

const TIMEOUT_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What {@link parseTimeout} accepts as text, for the JSON Schema. */
export const TIMEOUT_PATTERN = "^\\s*(\\d+|(\\d+(ms|s|m|h|d))+)\\s*$";

/**
 * Parses a timeout such as `10m`, `90s`, `1h30m` or `500ms` into milliseconds (`m` is minutes here).
 * A bare number is seconds. Returns undefined when the text is not a timeout.
 */
export function parseTimeout(text: string | number): number | undefined {
  if (typeof text === "number") {
    return Number.isFinite(text) && text >= 0 && text * 1000 <= Number.MAX_SAFE_INTEGER
      ? Math.round(text * 1000)
      : undefined;
  }
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return parseTimeout(Number(trimmed));
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * TIMEOUT_UNITS[unit!]!;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * Bytes as a short human string in IEC units, like restic: `17 B`, `2.50 MiB`, `210.3 MiB`. `digits`:
 * decimals after the point (default: two below 10, else one).
 */
export function formatBytes(bytes: number, digits?: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(digits ?? (value < 10 ? 2 : 1))} ${units[unit]}`;
}
