// A cron expression as croner reads it (5 fields, or 6 with seconds first; the @ nicknames), expanded into
// the values of each field, so that systemd calendars and crontab lines can be written from one reading.
// The plan loader has already checked the expression with croner: what fails here is a bug or a form
// (W, L, #, +) that a target cannot express, which the renderers report.

/** A schedule that a target (systemd, cron) cannot express; `message` says which part and why. */
export class Unexpressible extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Unexpressible";
  }
}

/** The day-of-month field: its plain days, and croner's last day (L) and nearest weekday (W) forms. */
export interface DayField {
  /** `*` or `?`: every day (and then the weekday alone decides). */
  readonly star: boolean;
  readonly days: readonly number[];
  readonly last: boolean;
  /** Items with W (`15W`, `LW`), which neither systemd nor cron can express. */
  readonly nearestWeekday: readonly string[];
}

/** The weekday field, Sunday = 0: plain weekdays and croner's nth (`MON#2`) and last (`FRI#L`, `5L`) forms. */
export interface WeekdayField {
  readonly star: boolean;
  readonly weekdays: readonly number[];
  readonly nth: readonly { readonly weekday: number; readonly nth: number | "last" }[];
}

/** Every field of a cron expression, expanded. */
export interface CronFields {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: DayField;
  readonly months: readonly number[];
  readonly weekdays: WeekdayField;
  /** `+` before the weekdays: a day must match both fields. Otherwise either does, unless one is `*`. */
  readonly both: boolean;
}

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Range {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** The value of the first name (JAN = 1, SUN = 0). */
  readonly firstName?: number;
}

const SECOND: Range = { min: 0, max: 59 };
const MINUTE: Range = { min: 0, max: 59 };
const HOUR: Range = { min: 0, max: 23 };
const DAY: Range = { min: 1, max: 31 };
const MONTH: Range = { min: 1, max: 12, names: MONTHS, firstName: 1 };
// `*` in the weekday field steps over 0-6; 7 (Sunday again) is folded into 0 after expanding.
const WEEKDAY: Range = { min: 0, max: 6, names: WEEKDAYS, firstName: 0 };

/** Reads `expression` (as the plan loader accepted it) into its fields. Throws {@link Unexpressible}. */
export function parseCron(expression: string): CronFields {
  const trimmed = expression.trim();
  const text = NICKNAMES[trimmed.toLowerCase()] ?? trimmed;
  const parts = text.split(/\s+/);
  if (parts.length === 5) parts.unshift("0");
  if (parts.length !== 6) throw new Unexpressible(`expected 5 or 6 fields, found ${parts.length}`);
  const [seconds, minutes, hours, days, months, weekdays] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const both = weekdays.startsWith("+");
  return {
    seconds: expand(seconds, SECOND),
    minutes: expand(minutes, MINUTE),
    hours: expand(hours, HOUR),
    days: parseDays(days),
    months: expand(months, MONTH),
    weekdays: parseWeekdays(both ? weekdays.slice(1) : weekdays),
    both,
  };
}

function isStar(field: string): boolean {
  return field === "*" || field === "?";
}

/** The values a plain field (numbers, names, ranges, steps, lists) stands for, sorted. */
function expand(field: string, range: Range): number[] {
  const values = new Set<number>();
  for (const item of field.split(",")) {
    for (const value of expandItem(item, range)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function expandItem(item: string, range: Range): number[] {
  const [span = "", stepText] = item.split("/");
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) throw new Unexpressible(`invalid step in "${item}"`);
  let from: number;
  let to: number;
  if (isStar(span)) {
    [from, to] = [range.min, range.max];
  } else if (span.includes("-")) {
    const [a = "", b = ""] = span.split("-");
    [from, to] = [valueOf(a, range), valueOf(b, range)];
  } else {
    from = valueOf(span, range);
    // croner has no `5/15` (a start with a step but no end): only `*/15` or `0-59/15`.
    if (stepText !== undefined) throw new Unexpressible(`a step needs a range or * in "${item}"`);
    to = from;
  }
  if (from > to) throw new Unexpressible(`the range "${span}" runs backwards`);
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

function valueOf(text: string, range: Range): number {
  const upper = text.toUpperCase();
  const named = range.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (range.firstName ?? 0);
  if (!/^\d+$/.test(text)) throw new Unexpressible(`"${text}" is not a number or name`);
  return Number(text);
}

function parseDays(field: string): DayField {
  if (isStar(field)) return { star: true, days: [], last: false, nearestWeekday: [] };
  const items = field.split(",");
  const nearestWeekday = items.filter((item) => /W$/i.test(item));
  const last = items.some((item) => item.toUpperCase() === "L");
  const plain = items.filter((item) => !/W$/i.test(item) && item.toUpperCase() !== "L");
  const days = plain.length === 0 ? [] : expand(plain.join(","), DAY);
  return { star: false, days, last, nearestWeekday };
}

function parseWeekdays(field: string): WeekdayField {
  if (isStar(field)) return { star: true, weekdays: [], nth: [] };
  const weekdays = new Set<number>();
  const nth: { weekday: number; nth: number | "last" }[] = [];
  for (const item of field.split(",")) {
    const hash = /^(\w+)#(\d|L)$/i.exec(item);
    const lastOf = /^(\w+?)L$/i.exec(item);
    if (hash) {
      const count = hash[2]!.toUpperCase() === "L" ? "last" : Number(hash[2]);
      nth.push({ weekday: weekdayValue(hash[1]!), nth: count });
    } else if (lastOf && !WEEKDAYS.includes(item.toUpperCase())) {
      nth.push({ weekday: weekdayValue(lastOf[1]!), nth: "last" });
    } else {
      // Only `*` uses the range's ends; named and numbered days may say 7 for Sunday.
      for (const value of expandItem(item, WEEKDAY)) weekdays.add(value % 7);
    }
  }
  return { star: false, weekdays: [...weekdays].sort((a, b) => a - b), nth };
}

function weekdayValue(text: string): number {
  const value = valueOf(text, { ...WEEKDAY, max: 7 });
  if (value > 7) throw new Unexpressible(`weekday ${value} is out of range 0-7`);
  return value % 7;
}
