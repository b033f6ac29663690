/**
 * The plan file schema: the single source of truth for validation, the TypeScript types of raw plan
 * files, and the JSON Schema that `kept schema` prints for editors. Format: docs/plans.md.
 *
 * @module
 */

import { z } from "zod";
import { Cron } from "croner";
import { isZeroAge, parseAge, parseSize, parseTimeout } from "./units.ts";
import { parseDestinationUrl } from "./destination_url.ts";

/** The plan format version this build reads. */
export const PLAN_FORMAT_VERSION = 1;

/** Names of plans and destinations: used in CLI arguments, snapshot metadata and file names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const name = z.string().regex(NAME_PATTERN, {
  error: "must start with a letter or digit and contain only letters, digits, '.', '_' and '-' (at most 64)",
});

const stringList = (description: string) => z.array(z.string()).describe(description);

const size = z.union([z.string(), z.int().nonnegative()]).refine((v) => parseSize(v) !== undefined, {
  error: (issue) =>
    `invalid size ${JSON.stringify(issue.input)}: write a number with a unit, like 500MB or 2GiB`,
});

const age = z.string().refine((v) => parseAge(v) !== undefined, {
  error: (issue) =>
    `invalid duration ${
      JSON.stringify(issue.input)
    }: write amounts with units y, m (months), w, d, h, like 2d or 1y2m`,
});

const timeout = z.union([z.string(), z.number().nonnegative()]).refine((v) => parseTimeout(v) !== undefined, {
  error: (issue) =>
    `invalid timeout ${
      JSON.stringify(issue.input)
    }: write amounts with units h, m (minutes), s, ms, like 10m or 90s`,
});

const CRON_NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** Returns why a schedule is not valid cron, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) {
    return CRON_NICKNAMES.includes(trimmed)
      ? undefined
      : `unknown schedule "${trimmed}": use one of ${CRON_NICKNAMES.join(", ")} or a cron expression`;
  }
  const fields = trimmed.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `invalid cron expression "${trimmed}": expected 5 fields (minute hour day month weekday) or 6 (with seconds first), found ${fields}`;
  }
  try {
    new Cron(trimmed, { paused: true });
    return undefined;
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return `invalid cron expression "${trimmed}": ${detail.charAt(0).toLowerCase()}${detail.slice(1)}`;
  }
}

/** Returns why a time zone name is not known, or undefined when it is. */
export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return undefined;
  } catch {
    return `unknown time zone "${zone}": use an IANA name like Europe/Berlin or UTC`;
  }
}

const PASSWORD_KEYS = ["password", "password_file", "password_command"] as const;

const destination = z.strictObject({
  url: z.string().describe(
    "Where the repository lives: a path, file:///path, or s3://host[:port]/bucket/prefix",
  ),
  password: z.string().optional().describe("The repository password; usually ${VAR} from the environment"),
  password_file: z.string().optional().describe("A file whose first line is the repository password"),
  password_command: z.string().optional().describe(
    "A shell command that prints the repository password on stdout",
  ),
  region: z.string().optional().describe("S3 region (default us-east-1)"),
  access_key_id: z.string().optional().describe("S3 access key id (default: env AWS_ACCESS_KEY_ID)"),
  secret_access_key: z.string().optional().describe("S3 secret key (default: env AWS_SECRET_ACCESS_KEY)"),
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

const RETENTION_COUNTS = [
  "keep_last",
  "keep_hourly",
  "keep_daily",
  "keep_weekly",
  "keep_monthly",
  "keep_yearly",
] as const;

const count = (description: string) =>
  z.int().min(-1).optional().describe(`${description}; -1 means unlimited`);

const retention = z.strictObject({
  keep_last: count("Keep the newest N snapshots"),
  keep_hourly: count("Keep the newest snapshot of each of the last N hours that have one"),
  keep_daily: count("Keep the newest snapshot of each of the last N days that have one"),
  keep_weekly: count("Keep the newest snapshot of each of the last N ISO weeks that have one"),
  keep_monthly: count("Keep the newest snapshot of each of the last N months that have one"),
  keep_yearly: count("Keep the newest snapshot of each of the last N years that have one"),
  keep_within: age.optional().describe("Keep every snapshot younger than this age (e.g. 2d, 1y2m)"),
  keep_tags: stringList("Keep every snapshot that has one of these tags").optional(),
}).superRefine((value, context) => {
  const keepsByCount = RETENTION_COUNTS.some((key) => (value[key] ?? 0) !== 0);
  const within = value.keep_within === undefined ? undefined : parseAge(value.keep_within);
  const keepsByAge = within !== undefined && !isZeroAge(within);
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

const hooks = z.strictObject({
  before: stringList("Shell commands run before the backup; a failure aborts it").optional(),
  after: stringList("Shell commands run after a successful backup").optional(),
  on_failure: stringList("Shell commands run when the backup or a hook failed").optional(),
  timeout: timeout.optional().describe("Time limit for each hook command (default 10m)"),
});

const plan = z.strictObject({
  sources: z.array(z.string()).min(1, { error: "sources is empty: name at least one file or folder" })
    .describe(
      "Files and folders to back up; relative paths resolve against this file's folder",
    ),
  excludes: stringList(
    "Patterns to leave out, in gitignore syntax; a leading / anchors at the file system root",
  )
    .optional(),
  exclude_if_present: stringList("Leave out a folder that contains a file with one of these names")
    .optional(),
  ignore_files: stringList("Per-folder files (like .gitignore) whose patterns leave out paths below them")
    .optional(),
  exclude_larger_than: size.optional().describe("Leave out files larger than this (e.g. 2GiB)"),
  one_file_system: z.boolean().optional().describe("Do not cross into other mounted file systems"),
  schedule: z.string().refine((v) => cronProblem(v) === undefined, {
    error: (issue) => cronProblem(String(issue.input)) ?? "invalid schedule",
  }).optional().describe("When the plan is due: cron (5 or 6 fields) or @hourly, @daily, @weekly, @monthly"),
  timezone: z.string().refine((v) => timeZoneProblem(v) === undefined, {
    error: (issue) => timeZoneProblem(String(issue.input)) ?? "invalid time zone",
  }).optional().describe("IANA time zone for the schedule and retention buckets (default: the machine's)"),
  destinations: z.array(z.string()).min(1, { error: "destinations is empty: name at least one destination" })
    .describe("Names of destinations (defined under `destinations:`) to back up to"),
  retention: retention.optional().describe("Which snapshots to keep; without it every snapshot is kept"),
  hooks: hooks.optional().describe("Commands to run around the backup"),
  tags: stringList("Tags added to every snapshot of this plan").optional(),
});

/** Schema of one plan file. */
export const PlanFileSchema = z.strictObject({
  version: z.literal(PLAN_FORMAT_VERSION, {
    error: (issue) =>
      issue.input === undefined
        ? `missing required key "version": add "version: ${PLAN_FORMAT_VERSION}"`
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

/** JSON Schema (draft 2020-12) of plan files, for editors. */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PlanFileSchema, { io: "input", unrepresentable: "any" });
  return { ...schema, title: "kept plan file (version 1)" };
}
