/**
 * The plan file schema: the single source of truth for validation, the TypeScript types of raw plan
 * files, and the JSON Schema that `kept schema` prints for editors. Format: docs/plans.md.
 *
 * @module
 */

import { z } from "zod";
import { Cron } from "croner";
import {
  AGE_PATTERN,
  ageProblem,
  isZeroAge,
  parseAge,
  SIZE_PATTERN,
  sizeLimitProblem,
  TIMEOUT_PATTERN,
  timeoutProblem,
} from "./units.ts";
import { parseDestinationUrl } from "./destination_url.ts";
import { didYouMean, type SuggestionBudget } from "./_suggest.ts";

/** The plan format version this build reads. */
export const PLAN_FORMAT_VERSION = 1;

/** Names of plans and destinations: used in CLI arguments, snapshot metadata and file names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const name = z.string().regex(NAME_PATTERN, {
  error: "must start with a letter or digit and contain only letters, digits, '.', '_' and '-' (at most 64)",
});

/** The time limit of each hook command when `hooks.timeout` is not set. */
export const DEFAULT_HOOK_TIMEOUT = "10min";
/** The S3 region used when a destination names none. */
export const DEFAULT_S3_REGION = "us-east-1";
/** S3 requests in flight at once when a destination does not set `connections`. */
export const DEFAULT_S3_CONNECTIONS = 8;

/** An optional list of strings, empty by default. */
const stringList = (description: string) => z.array(z.string()).meta({ default: [] }).describe(description);

/** Snapshot tags: an empty or blank one names nothing that `keep_tags` or a reader could tell apart. */
const tagList = (description: string) =>
  z.array(z.string().regex(/\S/, "a tag cannot be empty or blank")).meta({ default: [] }).describe(
    description,
  );

/**
 * Why `name` cannot be the name of a file in a folder (kept compares names of folder entries with it), or
 * undefined when it can.
 */
export function fileNameProblem(name: string): string | undefined {
  if (name === "") return "is empty: write the name of a file, like .nobackup";
  if (name === "." || name === "..") return `is "${name}", which names a folder, not a file in it`;
  if (name.includes("/")) {
    return `${JSON.stringify(name)} contains "/": write the name of a file in the folder itself, ` +
      `like ${JSON.stringify(name.split("/").filter((part) => part !== "").at(-1) ?? ".nobackup")}`;
  }
  // restic reads `CACHEDIR.TAG:Signature: 8a47…` as a name and a header the file must start with.
  const colon = name.indexOf(":");
  if (colon >= 0) {
    return `${JSON.stringify(name)} contains ":", as in restic's NAME:HEADER form, which kept does not ` +
      `read: kept matches the file name alone; write ${JSON.stringify(name.slice(0, colon) || ".nobackup")}`;
  }
  return undefined;
}

/** A list of file names, each checked by {@link fileNameProblem}. */
const fileNameList = (description: string) =>
  z.array(
    z.string().refine((v) => fileNameProblem(v) === undefined, {
      error: (issue) => `file name ${fileNameProblem(String(issue.input)) ?? "is invalid"}`,
    }),
  ).meta({ default: [] }).describe(description);

const size = z.union([z.string(), z.number()], {
  error: (issue) =>
    `size must be a number with a unit, like 500MB or 2GiB, found ${describeInput(issue.input)}`,
}).refine((v) => sizeLimitProblem(v) === undefined, {
  error: (issue) => sizeLimitProblem(issue.input as string | number) ?? "invalid size",
}).meta({ pattern: SIZE_PATTERN, examples: ["500MB", "2GiB"] });

const age = z.string({
  error: (issue) =>
    `duration must be a string with units, like 2d or 1y6mo, found ${describeInput(issue.input)}`,
}).refine((v) => ageProblem(v) === undefined, {
  error: (issue) => ageProblem(String(issue.input)) ?? "invalid duration",
}).meta({ pattern: AGE_PATTERN, examples: ["2d", "36h", "1y6mo"] });

const timeout = z.union([z.string(), z.number()], {
  error: (issue) => `timeout must be a duration like 10min or 90s, found ${describeInput(issue.input)}`,
}).refine((v) => timeoutProblem(v) === undefined, {
  error: (issue) => timeoutProblem(issue.input as string | number) ?? "invalid timeout",
}).meta({ pattern: TIMEOUT_PATTERN, examples: ["10min", "90s", "1h30min"] });

/** A short description of a wrong value for messages: `a list`, `the number 3`. */
function describeInput(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value === "boolean" ? "" : "the number "}${String(value)}`;
}

const CRON_NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** A cron field: its name, its range, and the words it accepts besides numbers. */
interface CronField {
  name: string;
  min: number;
  max: number;
  words: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59, words: [] },
  { name: "hour", min: 0, max: 23, words: [] },
  { name: "day of month", min: 1, max: 31, words: ["L", "W", "LW"] },
  { name: "month", min: 1, max: 12, words: MONTH_NAMES },
  { name: "weekday", min: 0, max: 7, words: [...WEEKDAY_NAMES, "L"] },
];
const SECONDS_FIELD: CronField = { name: "second", min: 0, max: 59, words: [] };

/** Returns why a schedule is not valid cron, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed === "") return `schedule is empty: write a cron expression like "0 3 * * *", or @daily`;
  if (trimmed.startsWith("@")) {
    return CRON_NICKNAMES.includes(trimmed.toLowerCase())
      ? undefined
      : `unknown schedule "${trimmed}": use one of ${CRON_NICKNAMES.join(", ")} or a cron expression${
        didYouMean(trimmed, CRON_NICKNAMES)
      }`;
  }
  const parts = trimmed.split(/\s+/);
  const invalid = (detail: string) => `invalid cron expression "${trimmed}": ${detail}`;
  if (parts.length !== 5 && parts.length !== 6) {
    return invalid(
      `expected 5 fields (minute hour day-of-month month weekday) or 6 (seconds first), found ${parts.length}`,
    );
  }
  const fields = parts.length === 6 ? [SECONDS_FIELD, ...CRON_FIELDS] : CRON_FIELDS;
  for (const [index, text] of parts.entries()) {
    const problem = cronFieldProblem(text, fields[index]!);
    if (problem) return invalid(problem);
  }
  const [day = "*", month = "*", weekday = "*"] = parts.slice(-3);
  const never = impossibleDate(day, month, weekday);
  if (never) return invalid(never);
  try {
    new Cron(trimmed, { paused: true });
    return undefined;
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return invalid(`${detail.charAt(0).toLowerCase()}${detail.slice(1).replace(/\.$/, "")}`);
  }
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_FULL_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/**
 * `it never runs: February has no day 30` when no month of the month field has a day of the day field
 * (lists, ranges and steps expanded). Not when the weekday field is restricted too: then a day matching
 * either field is enough (classic cron), unless croner's `+` asks for both.
 */
function impossibleDate(day: string, month: string, weekday: string): string | undefined {
  if (weekday !== "*" && weekday !== "?" && !weekday.startsWith("+")) return undefined;
  const days = fieldValues(day, 1, 31, []);
  const months = fieldValues(month, 1, 12, MONTH_NAMES);
  if (days === undefined || months === undefined) return undefined;
  if (days.some((d) => months.some((m) => d <= DAYS_IN_MONTH[m - 1]!))) return undefined;
  const names = months.map((m) => MONTH_FULL_NAMES[m - 1]!);
  return `it never runs: ${listed(names, "and")} ${months.length === 1 ? "has" : "have"} no day ${
    listed(days.map(String), "or")
  }`;
}

/**
 * The values of a day or month field (`30-31`, `2-4/2`, `*\/2`, `feb,apr`, `15W` as day 15), sorted; or
 * undefined for forms that always find a day (`L`, `LW`) or that croner refuses (then croner says why).
 */
function fieldValues(
  field: string,
  min: number,
  max: number,
  names: readonly string[],
): number[] | undefined {
  const value = (text: string) => {
    if (/^\d+$/.test(text)) return Number(text);
    const named = names.indexOf(text.toUpperCase());
    return named < 0 ? undefined : named + 1;
  };
  const values = new Set<number>();
  for (const item of field.split(",")) {
    const [span = "", stepText, extra] = item.replace(/^(\d+)W$/i, "$1").split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (extra !== undefined || !Number.isInteger(step) || step < 1) return undefined;
    let from: number | undefined = min;
    let to: number | undefined = max;
    if (span !== "*" && span !== "?") {
      const [fromText = "", toText, more] = span.split("-");
      if (more !== undefined) return undefined;
      from = value(fromText);
      // croner has no `5/15` (a start and a step, but no end): it refuses it, and says why.
      to = toText !== undefined ? value(toText) : stepText === undefined ? from : undefined;
    }
    if (from === undefined || to === undefined || from > to) return undefined;
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** `a`, `a or b`, `a, b or c`. */
function listed(items: readonly string[], conjunction: string): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

/**
 * Checks numbers and names of one field, so that messages name the field and its range (croner's own
 * messages count days and months from zero).
 */
function cronFieldProblem(text: string, field: CronField): string | undefined {
  for (const item of text.split(",")) {
    if (item === "") return `the ${field.name} field "${text}" has an empty entry`;
    const [range = "", step] = item.split("/");
    if (step !== undefined && !/^\d+$/.test(step)) {
      return `the ${field.name} field "${text}" has an invalid step "/${step}"`;
    }
    for (const bound of range.split(/[-#]/)) {
      if (/^\d+$/.test(bound)) {
        const value = Number(bound);
        if (value < field.min || value > field.max) {
          return `${field.name} ${value} is out of range ${field.min}-${field.max}`;
        }
      } else if (/^[A-Za-z]+$/.test(bound) && !field.words.includes(bound.toUpperCase())) {
        return `unknown ${field.name} "${bound}"${didYouMean(bound.toUpperCase(), field.words)}`;
      }
    }
  }
  return undefined;
}

let timeZoneNames: string[] | undefined;

/**
 * Returns why a time zone name is not one systemd and cron can use, or undefined when it is: an IANA name
 * spelled exactly as in the tz database (/usr/share/zoneinfo), as `UTC`, `Europe/Berlin`, `Asia/Kolkata`.
 * `Intl` and Temporal also accept other spellings (`europe/berlin`) and UTC offsets (`+02:00`), which
 * systemd rejects in a timer and cron does not know; those are refused, with the name to write instead.
 * With a `budget`, the message for an unknown name suggests the closest known one (suggestions cost time,
 * so the caller bounds them per load).
 */
export function timeZoneProblem(zone: string, budget?: SuggestionBudget): string | undefined {
  let known: string | undefined;
  try {
    // Temporal keeps the tz database's own name (a link such as Asia/Calcutta too), in its spelling.
    known = Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(zone).timeZoneId;
  } catch {
    known = undefined;
  }
  if (known === zone && !/^[+-]/.test(known)) return undefined;
  if (known !== undefined && /^[+-]/.test(known)) {
    const fixed = fixedOffsetZone(known);
    return `timezone "${zone}" is a UTC offset, which systemd and cron cannot read: use an IANA name ` +
      `like Europe/Berlin${fixed === undefined ? "" : `, or ${fixed} for this fixed offset`}`;
  }
  if (known !== undefined) {
    return `timezone "${zone}" is not spelled as systemd and cron know it (zone names are ` +
      `case-sensitive); did you mean "${known}"?`;
  }
  let suggestion = "";
  if (budget) {
    timeZoneNames ??= ["UTC", ...Intl.supportedValuesOf("timeZone")];
    suggestion = didYouMean(zone, timeZoneNames, budget);
  }
  return `unknown time zone "${zone}": use an IANA name like Europe/Berlin or UTC${suggestion}`;
}

/** The tz database's zone for a whole-hour offset (`+02:00` → `Etc/GMT-2`: its signs are inverted). */
function fixedOffsetZone(offset: string): string | undefined {
  const match = /^([+-])(\d{2}):00$/.exec(offset);
  if (!match) return undefined;
  const hours = Number(match[2]);
  if (hours === 0) return "UTC";
  const sign = match[1] === "+" ? "-" : "+";
  return (sign === "-" ? hours <= 14 : hours <= 12) ? `Etc/GMT${sign}${hours}` : undefined;
}

export const PASSWORD_KEYS = ["password", "password_file", "password_command"] as const;

const destination = z.strictObject({
  url: z.string().meta({ examples: ["/srv/backup", "s3://s3.example.com/backups/kept"] }).describe(
    "Where the repository lives: a path, file:///path, s3://host[:port]/bucket/prefix (HTTPS) " +
      "or s3+http://host[:port]/bucket/prefix (plain HTTP)",
  ),
  password: z.string().optional().describe("The repository password; usually ${VAR} from the environment"),
  password_file: z.string().optional().describe("A file whose first line is the repository password"),
  password_command: z.string().optional().describe(
    "A shell command that prints the repository password on stdout",
  ),
  region: z.string().meta({ default: DEFAULT_S3_REGION }).optional().describe("S3 region"),
  access_key_id: z.string().optional().describe("S3 access key id (default: env AWS_ACCESS_KEY_ID)"),
  secret_access_key: z.string().optional().describe("S3 secret key (default: env AWS_SECRET_ACCESS_KEY)"),
  session_token: z.string().optional().describe(
    "S3 session token of temporary credentials (default: env AWS_SESSION_TOKEN)",
  ),
  profile: z.string().optional().describe(
    'Profile of the shared credentials file to use (default: env AWS_PROFILE, else "default")',
  ),
  path_style: z.boolean().optional().describe(
    "Bucket in the path (host/bucket), not the host name; default: yes for an IP, localhost or a port",
  ),
  ca_file: z.string().optional().describe(
    "A PEM file of extra certificate authorities to trust for HTTPS (a private CA)",
  ),
  connections: z.int().min(1).max(256).meta({ default: DEFAULT_S3_CONNECTIONS }).optional().describe(
    "S3 requests in flight at once, 1 to 256",
  ),
}).superRefine((value, context) => {
  const urlProblem = parseDestinationUrl(value.url).problem;
  if (urlProblem) context.addIssue({ code: "custom", path: ["url"], message: urlProblem });
  const given = PASSWORD_KEYS.filter((key) => value[key] !== undefined);

  for (const key of given.slice(1)) {
    context.addIssue({
      code: "custom",
      path: [key],
      message: `more than one password source: "${given[0]}" and "${key}"; keep exactly one`,
    });
  }
});

/** The keys of a destination that only an S3 destination uses. */
export const S3_KEYS: readonly string[] = Object.keys(destination.shape).filter((key) =>
  key !== "url" && !(PASSWORD_KEYS as readonly string[]).includes(key)
);

const RETENTION_COUNTS = [
  "keep_last",
  "keep_hourly",
  "keep_daily",
  "keep_weekly",
  "keep_monthly",
  "keep_yearly",
] as const;

const count = (description: string) =>
  z.int().min(-1).meta({ default: 0 }).optional().describe(`${description}; -1 means unlimited`);

const retention = z.strictObject({
  keep_last: count("Keep the newest N snapshots"),
  keep_hourly: count("Keep the newest snapshot of each of the last N hours that have one"),
  keep_daily: count("Keep the newest snapshot of each of the last N days that have one"),
  keep_weekly: count("Keep the newest snapshot of each of the last N ISO weeks that have one"),
  keep_monthly: count("Keep the newest snapshot of each of the last N months that have one"),
  keep_yearly: count("Keep the newest snapshot of each of the last N years that have one"),
  keep_within: age.optional().describe("Keep every snapshot younger than this age (e.g. 2d, 1y6mo)"),
  keep_tags: tagList("Keep every snapshot that has one of these tags").optional(),
}).superRefine((value, context) => {
  const keepsByCount = RETENTION_COUNTS.some((key) => (value[key] ?? 0) !== 0);
  const within = value.keep_within === undefined ? undefined : parseAge(value.keep_within);
  // An age that does not parse is reported on its own: it is no reason to also say nothing is kept.
  const keepsByAge = value.keep_within !== undefined && (within === undefined || !isZeroAge(within));
  const keepsByTag = (value.keep_tags?.length ?? 0) > 0;
  if (!keepsByCount && !keepsByAge && !keepsByTag) {
    context.addIssue({
      code: "custom",
      path: [],
      message: "retention keeps nothing: every snapshot would be removed; set a keep_* rule above 0, " +
        "or remove retention to keep all snapshots",
    });
  }
});

/** The lists of hook commands under `hooks`. */
export const HOOK_LISTS: readonly string[] = ["before", "after", "on_failure"];

const hooks = z.strictObject({
  before: stringList("Shell commands run before the backup; a failure aborts it").optional(),
  after: stringList("Shell commands run after a successful backup").optional(),
  on_failure: stringList("Shell commands run when the backup or a hook failed").optional(),
  timeout: timeout.meta({ default: DEFAULT_HOOK_TIMEOUT }).optional().describe(
    "Time limit for each hook command",
  ),
});

const plan = z.strictObject({
  sources: z.array(z.string()).min(1, { error: `"sources" is empty: name at least one file or folder` })
    .describe(
      "Files and folders to back up; relative paths resolve against this file's folder",
    ),
  excludes: stringList(
    "Patterns to leave out, in gitignore syntax; a leading / anchors at the file system root",
  )
    .optional(),
  exclude_if_present: fileNameList("Leave out a folder that contains a file with one of these names")
    .optional(),
  ignore_files: fileNameList("Per-folder files (like .gitignore) whose patterns leave out paths below them")
    .optional(),
  exclude_larger_than: size.optional().describe(
    "Leave out files larger than this, e.g. 2GiB (default: no limit)",
  ),
  one_file_system: z.boolean().meta({ default: false }).optional().describe(
    "Do not cross into other mounted file systems",
  ),
  schedule: z.string().refine((v) => cronProblem(v) === undefined, {
    error: (issue) => cronProblem(String(issue.input)) ?? "invalid schedule",
  }).meta({ examples: ["@daily", "0 3 * * *", "30 2 * * MON-FRI"] }).optional().describe(
    "When the plan is due: cron (5 fields, or 6 with seconds first) or @hourly, @daily, @weekly, @monthly, @yearly",
  ),
  timezone: z.string().refine((v) => timeZoneProblem(v) === undefined, {
    error: (issue) => timeZoneProblem(String(issue.input)) ?? "invalid time zone",
  }).meta({ examples: ["UTC", "Europe/Berlin"] }).optional().describe(
    "IANA time zone for the schedule and retention buckets (default: the machine's)",
  ),
  destinations: z.array(z.string()).min(1, {
    error: `"destinations" is empty: name at least one destination`,
  })
    .describe("Names of destinations (defined under `destinations:`) to back up to"),
  retention: retention.optional().describe("Which snapshots to keep; without it every snapshot is kept"),
  hooks: hooks.optional().describe("Commands to run around the backup"),
  tags: tagList("Tags added to every snapshot of this plan").optional(),
}).superRefine((value, context) => {
  // Listed twice, a destination would get two backups of every run.
  const first = new Map<string, number>();
  value.destinations.forEach((name, index) => {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, index);
    else {
      context.addIssue({
        code: "custom",
        path: ["destinations", index],
        message: `destination "${name}" is listed twice (first at destinations[${earlier}]): remove one`,
      });
    }
  });
});

/** Schema of one plan file. */
export const PlanFileSchema = z.strictObject({
  version: z.literal(PLAN_FORMAT_VERSION, {
    error: (issue) =>
      issue.input === undefined
        ? `missing required key "version": add "version: ${PLAN_FORMAT_VERSION}"`
        : String(issue.input) === String(PLAN_FORMAT_VERSION)
        ? `"version" must be the number ${PLAN_FORMAT_VERSION}, not ${describeInput(issue.input)}`
        : `unsupported version ${
          JSON.stringify(issue.input)
        }: this kept reads version ${PLAN_FORMAT_VERSION}`,
  }).describe("Plan format version; must be 1"),
  state: z.string().optional().describe(
    "Path of kept's state file (default $XDG_STATE_HOME/kept/state.db); set in at most one file",
  ),
  destinations: z.record(name, destination).optional().describe("Repositories, by name"),
  plans: z.record(name, plan).optional().describe("Backup plans, by name"),
}).describe("A kept plan file");

/** A plan file as written, after validation. */
export type PlanFile = z.infer<typeof PlanFileSchema>;
/** A destination as written. */
export type DestinationInput = z.infer<typeof destination>;
/** A plan as written. */
export type PlanInput = z.infer<typeof plan>;
/** A retention policy as written. */
export type RetentionInput = z.infer<typeof retention>;

/**
 * JSON Schema (draft-07: what yaml-language-server and the VS Code YAML extension support) of plan files,
 * for editors. A value with a pattern (a size, a duration) also matches when it holds a `${VAR}`, as
 * `kept validate` reads it after replacing the variables.
 */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PlanFileSchema, { target: "draft-07", io: "input", unrepresentable: "any" });
  return { ...allowVariables(schema) as Record<string, unknown>, title: "kept plan file (version 1)" };
}

/** A copy of `schema` whose value patterns also accept any text with `${`; names (keys) take no variables. */
function allowVariables(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowVariables);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (key === "propertyNames") return [key, value];
      if (key === "pattern" && typeof value === "string") return [key, `${value}|\\$\\{`];
      return [key, allowVariables(value)];
    }),
  );
}
