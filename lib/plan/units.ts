/**
 * Sizes (`2GiB`, `500MB`), retention ages (`2d`, `1y6mo`) and timeouts (`10min`, `90s`) as written in plans.
 *
 * @module
 */

import { didYouMean } from "./_suggest.ts";

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

/**
 * What {@link parseSize} accepts as text, for the JSON Schema (editors flag a bad size as you type): a
 * fraction only with a unit above the byte (or one of zeros: `1.0`).
 */
export const SIZE_PATTERN = "^\\s*(\\d+(\\.0+)?\\s*[bB]?|\\d+(\\.\\d+)?\\s*[kKmMgGtT]([iI]?[bB])?)\\s*$";

/**
 * Parses a size: a number of bytes or a number with a unit. `KB`/`MB`/`GB`/`TB` are powers of 1000,
 * `KiB`/`MiB`/`GiB`/`TiB` and the bare `K`/`M`/`G`/`T` (as in restic) are powers of 1024. A fraction with a
 * unit is rounded down to whole bytes (`1.1K` is 1126); a number of bytes must be whole (`1.5B` is no size).
 * Returns undefined when the text is not a size.
 */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  const match = /^\s*(\d+)(?:\.(\d+))?\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const [, whole = "", fraction = "", unit = ""] = match;
  const factor = SIZE_UNITS[unit.toLowerCase()];
  if (factor === undefined) return undefined;
  // Exact decimal arithmetic: in floating point 1.005KB would be 1004.99… bytes.
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * BigInt(factor);
  if (factor === 1 && scaled % scale !== 0n) return undefined;
  const bytes = scaled / scale;
  return bytes <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(bytes) : undefined;
}

/**
 * Why `value` is not a size that a plan may set as a limit (at least one byte), or undefined when it is one.
 */
export function sizeLimitProblem(value: string | number): string | undefined {
  const shown = typeof value === "number" ? String(value) : JSON.stringify(value);
  const bytes = parseSize(value);
  if (bytes === undefined) {
    if (typeof value === "number" || /^\s*\d+\.\d+\s*[bB]?\s*$/.test(value)) {
      return `invalid size ${shown}: write a whole number of bytes, or a number with a unit, like 500MB or 2GiB`;
    }
    return `invalid size ${shown}: write a number with a unit, like 500MB or 2GiB`;
  }
  if (bytes < 1) {
    return `size must be at least 1 byte, found ${shown}: a smaller limit leaves out every file; ` +
      `remove the key for no limit`;
  }
  return undefined;
}

/** A calendar age for retention: months and years are calendar units, not fixed numbers of hours. */
export interface Age {
  years: number;
  months: number;
  days: number;
  hours: number;
}

/** A unit of durations, by its short name. */
type DurationUnit = "y" | "mo" | "w" | "d" | "h" | "min" | "s" | "ms";

/** Every name a duration unit may be written with. `m` is none of them: it could mean minutes or months. */
const UNIT_NAMES: Record<string, DurationUnit> = {
  y: "y",
  year: "y",
  years: "y",
  mo: "mo",
  month: "mo",
  months: "mo",
  w: "w",
  week: "w",
  weeks: "w",
  d: "d",
  day: "d",
  days: "d",
  h: "h",
  hour: "h",
  hours: "h",
  min: "min",
  minute: "min",
  minutes: "min",
  s: "s",
  second: "s",
  seconds: "s",
  ms: "ms",
};

/** The units of a retention age (calendar units: no minutes) and of a timeout (no months or years). */
const AGE_UNITS: readonly DurationUnit[] = ["y", "mo", "w", "d", "h"];
const TIMEOUT_UNITS: readonly DurationUnit[] = ["w", "d", "h", "min", "s", "ms"];

/** A JSON Schema pattern accepting amounts with any of `units`' names, written together. */
function durationPattern(units: readonly DurationUnit[], bareNumber: boolean): string {
  const names = Object.keys(UNIT_NAMES).filter((name) => units.includes(UNIT_NAMES[name]!))
    .sort((a, b) => b.length - a.length); // longest first: "months" before "mo"
  const amounts = `(\\d+(${names.join("|")}))+`;
  return `^\\s*(${bareNumber ? "\\d+|" : ""}${amounts})\\s*$`;
}

/** What {@link parseAge} accepts, for the JSON Schema. */
export const AGE_PATTERN = durationPattern(AGE_UNITS, false);
/** What {@link parseTimeout} accepts as text, for the JSON Schema. */
export const TIMEOUT_PATTERN = durationPattern(TIMEOUT_UNITS, true);

/** A duration read into amounts per unit, or why it is not one. */
type ReadDuration = { amounts: [number, DurationUnit][] } | { problem: string };

/** Reads `2d`, `1y6mo` or `1h30min`: amounts and units written together, in lower case. */
function readDuration(text: string, allowed: readonly DurationUnit[], what: string): ReadDuration {
  const trimmed = text.trim();
  const example = what === "timeout" ? "10min or 90s" : "2d or 1y6mo";
  if (!/^(\d+[a-z]+)+$/.test(trimmed)) {
    return {
      problem: `invalid ${what} ${JSON.stringify(text)}: write amounts and units together, like ${example}`,
    };
  }
  const amounts: [number, DurationUnit][] = [];
  for (const [, amount, name] of trimmed.matchAll(/(\d+)([a-z]+)/g)) {
    const unit = Object.hasOwn(UNIT_NAMES, name!) ? UNIT_NAMES[name!] : undefined;
    if (unit === undefined || !allowed.includes(unit)) {
      return { problem: unitProblem(name!, unit, `${what} ${JSON.stringify(text)}`, amount!, allowed) };
    }
    amounts.push([Number(amount), unit]);
  }
  return { amounts };
}

/** Why unit `name` cannot be used in `where`: ambiguous (`m`), unknown, or not one of `allowed`. */
function unitProblem(
  name: string,
  unit: DurationUnit | undefined,
  where: string,
  amount: string,
  allowed: readonly DurationUnit[],
): string {
  if (name === "m") {
    // Suggest only what this value allows: a timeout has no months, an age no minutes.
    const meant = [["min", "minutes"], ["mo", "months"]].filter(([unit]) =>
      allowed.includes(unit as DurationUnit)
    )
      .map(([unit, word]) => `${amount}${unit} (${word})`);
    if (meant.length === 0) return `unknown unit "m" in ${where}: use ${allowed.join(", ")}`;
    return `ambiguous unit "m" in ${where}: did you mean ${meant.join(" or ")}?`;
  }
  if (unit !== undefined) return `unsupported unit "${name}" in ${where}: use ${allowed.join(", ")}`;
  // One letter is too short to guess from ("x" is as close to "y" as to "d").
  const guess = name.length > 2 ? didYouMean(name, Object.keys(UNIT_NAMES)) : "";
  return `unknown unit "${name}" in ${where}: use ${allowed.join(", ")}${guess}`;
}

/** Why `text` is not a retention age, or undefined when it is one. */
export function ageProblem(text: string): string | undefined {
  const read = readDuration(text, AGE_UNITS, "duration");
  if ("problem" in read) return read.problem;
  return parseAge(text) === undefined ? `duration ${JSON.stringify(text)} is too large` : undefined;
}

/**
 * Parses a retention age such as `2d`, `36h` or `1y6mo` (restic's `--keep-within` with `mo` for months):
 * `y` years, `mo` months, `w` weeks, `d` days, `h` hours, or their long names (`months`, `days`).
 * Returns undefined when the text is not an age (a bare `m` is none: see {@link ageProblem}).
 */
export function parseAge(text: string): Age | undefined {
  const read = readDuration(text, AGE_UNITS, "duration");
  if ("problem" in read) return undefined;
  const age: Age = { years: 0, months: 0, days: 0, hours: 0 };
  const fields = { y: "years", mo: "months", d: "days", h: "hours" } as const;
  for (const [amount, unit] of read.amounts) {
    if (unit === "w") age.days += 7 * amount;
    else age[fields[unit as keyof typeof fields]] += amount;
  }
  return Object.values(age).every(Number.isSafeInteger) ? age : undefined;
}

/** True when an age is zero in every unit. */
export function isZeroAge(age: Age): boolean {
  return age.years === 0 && age.months === 0 && age.days === 0 && age.hours === 0;
}

const UNIT_MS: Partial<Record<DurationUnit, number>> = {
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The shortest timeout a plan may set: a hook with less would only ever fail. */
export const MIN_TIMEOUT_MS = 1_000;
/**
 * The longest timeout a plan may set: what a timer holds (2^31-1 ms). `setTimeout` fires at once for
 * anything longer, so `4w` or `25d` would end every hook as soon as it starts.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** {@link MAX_TIMEOUT_MS} as a plan would write it. */
const MAX_TIMEOUT_TEXT = "24d20h31min23s647ms";

/**
 * Why `text` is not a timeout a plan may set, or undefined when it is one: it must be a timeout (see
 * {@link parseTimeout}) from {@link MIN_TIMEOUT_MS} to {@link MAX_TIMEOUT_MS}.
 */
export function timeoutProblem(text: string | number): string | undefined {
  const ms = parseTimeout(text);
  const shown = typeof text === "number" ? String(text) : JSON.stringify(text);
  if (ms === undefined) {
    if (typeof text === "number" && text < 0) return `timeout must be at least 1s, found ${shown}`;
    if (typeof text === "number" || /^\s*\d+\s*$/.test(text)) return `timeout ${text} is too large`;
    const read = readDuration(text, TIMEOUT_UNITS, "timeout");
    return "problem" in read ? read.problem : `timeout ${shown} is too large`;
  }
  if (ms < MIN_TIMEOUT_MS) return `timeout must be at least 1s, found ${shown}`;
  if (ms > MAX_TIMEOUT_MS) {
    return `timeout must be at most ${MAX_TIMEOUT_TEXT} (about 24.8 days, the longest a timer can wait), ` +
      `found ${shown}`;
  }
  return undefined;
}

/**
 * Parses a timeout such as `10min`, `90s`, `1h30min` or `500ms` into milliseconds; units `w`, `d`, `h`,
 * `min`, `s`, `ms` or their long names. A bare number is seconds. Returns undefined when the text is not
 * a timeout (a bare `m` is none: see {@link timeoutProblem}).
 */
export function parseTimeout(text: string | number): number | undefined {
  if (typeof text === "number") {
    return Number.isFinite(text) && text >= 0 && text * 1000 <= Number.MAX_SAFE_INTEGER
      ? Math.round(text * 1000)
      : undefined;
  }
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return parseTimeout(Number(trimmed));
  const read = readDuration(text, TIMEOUT_UNITS, "timeout");
  if ("problem" in read) return undefined;
  const total = read.amounts.reduce((sum, [amount, unit]) => sum + amount * UNIT_MS[unit]!, 0);
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
