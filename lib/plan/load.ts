/**
 * Loads a config (one plan file or a folder of them), reports every problem at once with file:line:col,
 * and turns valid input into typed {@link Config} values.
 *
 * @module
 */

import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../errors.ts";
import { z } from "zod";
import { MAX_PLAN_FILE_BYTES, parseYamlSource, type YamlSource } from "./_yaml_source.ts";
import { interpolate } from "./_interpolate.ts";
import { closest, didYouMean, SuggestionBudget } from "./_suggest.ts";
import { misplacedKeyHint } from "./_misplaced_key.ts";
import { compareProblems, formatKeyPath, formatProblem, type Problem } from "./problem.ts";
import {
  DEFAULT_HOOK_TIMEOUT,
  DEFAULT_S3_CONNECTIONS,
  DEFAULT_S3_REGION,
  type DestinationInput,
  HOOK_LISTS,
  PASSWORD_KEYS,
  PLAN_FORMAT_VERSION,
  type PlanFile,
  PlanFileSchema,
  type PlanInput,
  S3_KEYS,
  timeZoneProblem,
} from "./schema.ts";
import { type DestinationLocation, parseDestinationUrl } from "./destination_url.ts";
import { type Age, parseAge, parseSize, parseTimeout } from "./units.ts";
import { readFull } from "../read_full.ts";

/** Where a repository password comes from. Exactly one source, never logged. */
export type PasswordSource =
  | { kind: "value"; value: string }
  | { kind: "file"; path: string }
  | { kind: "command"; command: string };

/** A destination (repository) from the config, with paths resolved. */
export interface Destination {
  name: string;
  /** The plan file that defines it. */
  definedIn: string;
  location: DestinationLocation;
  password: PasswordSource | undefined;
  s3: S3Settings;
}

/** A destination's S3 settings (used only by s3:// destinations); undefined means "not set". */
export interface S3Settings {
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  sessionToken: string | undefined;
  /** Profile of the shared credentials file. */
  profile: string | undefined;
  /** Path-style addressing; undefined: decided from the endpoint. */
  pathStyle: boolean | undefined;
  /** A PEM file of CAs to trust, resolved against the plan file's folder. */
  caFile: string | undefined;
  /** Requests in flight at once. */
  connections: number;
}

/** A retention policy: the counts are -1 for unlimited; absent rules keep nothing by themselves. */
export interface RetentionPolicy {
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  yearly: number;
  within: Age | undefined;
  tags: string[];
}

/** A backup plan from the config, with paths resolved and units parsed. */
export interface Plan {
  name: string;
  definedIn: string;
  sources: string[];
  excludes: string[];
  excludeIfPresent: string[];
  ignoreFiles: string[];
  /** Bytes; undefined means no limit. */
  excludeLargerThan: number | undefined;
  oneFileSystem: boolean;
  schedule: string | undefined;
  timezone: string | undefined;
  destinations: string[];
  /** Undefined: keep every snapshot. */
  retention: RetentionPolicy | undefined;
  hooks: { before: string[]; after: string[]; onFailure: string[]; timeoutMs: number };
  tags: string[];
}

/** Everything a config defines. */
export interface Config {
  files: string[];
  statePath: string;
  destinations: Map<string, Destination>;
  plans: Map<string, Plan>;
  /**
   * With `requireEnv: "when-used"`: the destinations and plans that use a variable that is not set (or is
   * empty), each with its problems in file order. Such a destination may be missing from `destinations`
   * (when its `url` was left invalid) and a plan's values are incomplete: using one is an error, see
   * {@link unresolvedError}.
   */
  unresolved: { destinations: Map<string, Problem[]>; plans: Map<string, Problem[]> };
}

/**
 * When a variable that is not set (or is empty) is an error: `true` everywhere; `"when-used"` only for the
 * destination or plan that holds it, once a command uses that one (`Config.unresolved`), and everywhere
 * else (`state`) at once; `false` never (a warning, as `kept validate` without `--require-env`).
 */
export type RequireEnv = boolean | "when-used";

/** Options for {@link loadConfig}. */
export interface LoadOptions {
  /** Reads environment variables; defaults to `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** Makes unset variables errors instead of warnings (default false); see {@link RequireEnv}. */
  requireEnv?: RequireEnv;
  /** Warns about sources that do not exist on this machine (`kept validate`). */
  checkSources?: boolean;
  /**
   * Says how a schedule cannot be installed as systemd timers or crontab lines, if it cannot, after the
   * expression in the warning (`kept validate`, from lib/schedule, which the plan layer may not import).
   */
  checkSchedule?: (schedule: string, timeZone: string | undefined) => string | undefined;
  /**
   * Says why a source that exists will be backed up empty, if it will (`kept validate`, from lib/backup,
   * whose excludes the plan layer may not import): after "source PATH" in the warning.
   */
  checkSource?: (plan: Plan, source: string) => string | undefined;
}

/** The outcome of loading: `config` is present only when there is no error (warnings allowed). */
export interface LoadResult {
  config?: Config;
  files: string[];
  problems: Problem[];
}

const DEFAULT_HOOK_TIMEOUT_MS = parseTimeout(DEFAULT_HOOK_TIMEOUT)!;

/** Loads and validates the plan files at `paths` (files or folders). Never throws for bad input. */
export async function loadConfig(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const problems: Problem[] = [];
  const files = await expandPaths(paths, problems);
  const parsed: { source: YamlSource; file: PlanFile }[] = [];
  const named: { source: YamlSource; names: FileNames }[] = [];
  const unresolved: Problem[] = [];
  let complete = true;

  const budget = new SuggestionBudget();
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readBounded(file, MAX_PLAN_FILE_BYTES);
    } catch (error) {
      problems.push({ file, path: [], severity: "error", message: `cannot read file: ${ioReason(error)}` });
      complete = false;
      continue;
    }
    const { source, problems: parseProblems } = parseYamlSource(file, bytes);
    problems.push(...parseProblems);
    if (!source) {
      complete = false;
      continue;
    }
    const checked = checkFile(source, env, { requireEnv: options.requireEnv ?? false, budget });
    problems.push(...checked.problems);
    unresolved.push(...checked.unresolved);
    if (checked.file) parsed.push({ source, file: checked.file });
    if (checked.names) named.push({ source, names: checked.names });
    else complete = false;
  }

  // Runs on files with problems too, so that every problem shows at once; when a file could not be read
  // at all, what it defines is unknown, and references to it are not checked.
  const home = env("HOME") ?? "/";
  problems.push(...checkAcrossFiles(named, { checkReferences: complete, budget, home }));
  if (files.length > 0 && problems.length === 0 && !parsed.some(({ file }) => file.plans)) {
    problems.push({ file: files[0]!, path: [], severity: "warning", message: "no plans are defined" });
  }
  for (const problem of [...problems, ...unresolved]) problem.message = oneLine(problem.message);
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === "error")) return { files, problems };
  const config = buildConfig(files, parsed, { env, unresolved: unresolvedByHolder(unresolved) });
  const warnings = sharedLocationWarnings(parsed, config);
  if (options.checkSources) warnings.push(...sourceWarnings(parsed, config, options.checkSource));
  if (options.checkSchedule) warnings.push(...scheduleWarnings(parsed, config, options.checkSchedule));
  for (const warning of warnings) warning.message = oneLine(warning.message);
  problems.push(...warnings);
  problems.sort(compareProblems);
  return { config, files, problems };
}

/** A warning about the value at `path` of `source`'s file, placed where that value is written. */
function warningAt(source: YamlSource, path: (string | number)[], message: string): Problem {
  return { file: source.file, ...source.positionOf(path), path, severity: "warning", message };
}

/**
 * A warning for each destination of a plan that is the same repository as an earlier one of the plan
 * (`repo` and `./repo`): each run would back up to it twice.
 */
function sharedLocationWarnings(parsed: { source: YamlSource; file: PlanFile }[], config: Config): Problem[] {
  const problems: Problem[] = [];
  const where = (location: DestinationLocation) =>
    location.kind === "local" ? location.path : `${location.endpoint}/${location.bucket}/${location.prefix}`;
  for (const { source, file } of parsed) {
    for (const [name, input] of Object.entries(file.plans ?? {})) {
      const seen = new Map<string, string>();
      input.destinations.forEach((destination, index) => {
        const location = config.destinations.get(destination)?.location;
        if (location === undefined) return;
        const key = `${location.kind}:${where(location)}`;
        const earlier = seen.get(key);
        if (earlier === undefined) {
          seen.set(key, destination);
          return;
        }
        if (earlier === destination) return; // listed twice: an error of its own
        problems.push(warningAt(
          source,
          ["plans", name, "destinations", index],
          `destinations "${earlier}" and "${destination}" are the same repository ` +
            `(${where(location)}): plan "${name}" would back up to it twice`,
        ));
      });
    }
  }
  return problems;
}

/**
 * A warning for each source that does not exist here, or lies below a symlink, naming the path it resolves
 * to; and for each that `check` says will be backed up empty (see `LoadOptions.checkSource`).
 */
function sourceWarnings(
  parsed: { source: YamlSource; file: PlanFile }[],
  config: Config,
  check: LoadOptions["checkSource"],
): Problem[] {
  const problems: Problem[] = [];
  for (const { source, file } of parsed) {
    for (const [name, input] of Object.entries(file.plans ?? {})) {
      const plan = config.plans.get(name);
      const resolved = plan?.sources ?? [];
      input.sources.forEach((written, index) => {
        const path = resolved[index];
        if (path === undefined) return;
        const shown = path === written ? JSON.stringify(path) : `${JSON.stringify(written)} (${path})`;
        const why = sourceProblem(path, plan!, check);
        if (why !== undefined) {
          problems.push(warningAt(source, ["plans", name, "sources", index], `source ${shown} ${why}`));
        }
      });
    }
  }
  return problems;
}

function sourceProblem(path: string, plan: Plan, check: LoadOptions["checkSource"]): string | undefined {
  if (missingPath(path)) return "does not exist on this machine";
  const link = symlinkOnTheWay(path);
  if (link !== undefined) {
    return `is below the symlink "${link}", which a backup does not follow: name the path it leads to ` +
      `(${JSON.stringify(realPathOf(path))})`;
  }
  return check?.(plan, path);
}

/** A warning for each plan whose schedule `check` says cannot be installed (see `LoadOptions.checkSchedule`). */
function scheduleWarnings(
  parsed: { source: YamlSource; file: PlanFile }[],
  config: Config,
  check: (schedule: string, timeZone: string | undefined) => string | undefined,
): Problem[] {
  const problems: Problem[] = [];
  for (const { source, file } of parsed) {
    for (const name of Object.keys(file.plans ?? {})) {
      const plan = config.plans.get(name);
      if (plan?.schedule === undefined) continue;
      const why = check(plan.schedule, plan.timezone);
      if (why === undefined) continue;
      const message = `"schedule": ${JSON.stringify(plan.schedule)} ${why} (docs/scheduling.md)`;
      problems.push(warningAt(source, ["plans", name, "schedule"], message));
    }
  }
  return problems;
}

/** The sources of `plan` that do not exist on this machine (a backup of them would be empty). */
export function missingSources(plan: Plan): string[] {
  return plan.sources.filter(missingPath);
}

/**
 * Fails when a source of `plan` does not exist: a backup of it would save an empty or partial snapshot that
 * looks like success (validate only warns, since plans are often checked on another machine).
 *
 * @throws {UserError} naming the plan and the first missing source (and how many more).
 */
export function requireSources(plan: Plan): void {
  const missing = missingSources(plan);
  if (missing.length === 0) return;
  const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : "";
  throw new UserError(`Cannot back up plan "${plan.name}": source "${missing[0]}" does not exist${more}`);
}

/**
 * The error for using a destination or plan that `Config.unresolved` lists: its first problem, as
 * `kept validate` prints it, and how many more there are.
 */
export function unresolvedError(problems: readonly Problem[]): UserError {
  const first = problems[0];
  if (first === undefined) throw new Error("unresolvedError() needs at least one problem");
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more; run \`kept validate\`)` : "";
  return new UserError(`${formatProblem(first)}${more}`);
}

/**
 * The names of every destination the config defines, also those an unset variable left out of
 * `config.destinations` (a `url` of `${NAS_URL}`), which a command names as failed rather than unknown.
 */
export function destinationNames(config: Config): string[] {
  return [...new Set([...config.destinations.keys(), ...config.unresolved.destinations.keys()])];
}

/** The destination or plan a key path is inside of, if any: `["plans", "web"]` for `plans.web.sources[0]`. */
function holderOf(path: readonly (string | number)[]): ["destinations" | "plans", string] | undefined {
  const [section, name] = path;
  if ((section !== "destinations" && section !== "plans") || typeof name !== "string") return undefined;
  return [section, name];
}

/** Groups the problems of unresolved variables by the destination or plan that holds them. */
function unresolvedByHolder(problems: readonly Problem[]): Config["unresolved"] {
  const grouped: Config["unresolved"] = { destinations: new Map(), plans: new Map() };
  for (const problem of [...problems].sort(compareProblems)) {
    const [section, name] = holderOf(problem.path)!;
    const list = grouped[section].get(name) ?? [];
    grouped[section].set(name, [...list, problem]);
  }
  return grouped;
}

/** The first folder on the way to `path` that is a symlink, if any (`/lib` on a merged-/usr system). */
function symlinkOnTheWay(path: string): string | undefined {
  const parts = path.split("/").filter((part) => part !== "");
  for (let i = 1; i < parts.length; i++) {
    const folder = `/${parts.slice(0, i).join("/")}`;
    try {
      if (Deno.lstatSync(folder).isSymlink) return folder;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function realPathOf(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

function missingPath(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (error) {
    // Unreadable for another reason (permissions): it may well exist; the backup will say.
    return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
  }
}

/**
 * Reads at most `limit + 1` bytes: enough for {@link parseYamlSource} to tell that a file is too large,
 * without reading all of a 10 GB file, /dev/zero or a pipe that never ends.
 */
async function readBounded(path: string, limit: number): Promise<Uint8Array> {
  // Opening a FIFO blocks until something writes to it: only a regular file (or a device) is opened.
  const kind = await Deno.stat(path);
  if (kind.isFifo || kind.isSocket) throw new Error("is not a regular file (a FIFO or socket)");
  using file = await Deno.open(path, { read: true });
  const info = await file.stat();
  if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
  const buffer = new Uint8Array(info.isFile ? Math.min(info.size, limit) + 1 : limit + 1);
  return buffer.subarray(0, await readFull(buffer, (rest) => file.read(rest)));
}

/** Expands folders into their `*.yaml`/`*.yml` files (sorted, not recursive). */
async function expandPaths(paths: readonly string[], problems: Problem[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      problems.push({
        file: path,
        path: [],
        severity: "error",
        message: `cannot read config: ${ioReason(error)}`,
      });
      continue;
    }
    if (!info.isDirectory) {
      files.push(path);
      continue;
    }
    const found: string[] = [];
    try {
      for await (const entry of Deno.readDir(path)) {
        const extension = extname(entry.name).toLowerCase();
        if ((extension === ".yaml" || extension === ".yml") && !entry.isDirectory) {
          found.push(join(path, entry.name));
        }
      }
    } catch (error) {
      problems.push({
        file: path,
        path: [],
        severity: "error",
        message: `cannot read folder: ${ioReason(error)}`,
      });
      continue;
    }
    if (found.length === 0) {
      problems.push({
        file: path,
        path: [],
        severity: "error",
        message: "folder contains no plan files (*.yaml, *.yml)",
      });
    }
    files.push(...found.sort());
  }
  return [...new Set(files)];
}

/** Messages quote keys and values from the file: keep them on one line, as `file:line:col: …` promises. */
function oneLine(message: string): string {
  // deno-lint-ignore no-control-regex
  return message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (char) => {
    const escapes: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return escapes[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

function ioReason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or folder";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a folder";
  return error instanceof Error ? error.message : String(error);
}

/** How {@link checkFile} reports: unset variables as errors or warnings; a shared suggestion budget. */
interface CheckOptions {
  requireEnv: RequireEnv;
  budget: SuggestionBudget;
}

/** Interpolation looks no deeper than this: plans nest a few levels, and deeper input is rejected anyway. */
const MAX_INTERPOLATION_DEPTH = 64;

/**
 * The names a file defines and uses, read leniently from a file that may have other problems, so that
 * checks across files can run on it too.
 */
interface FileNames {
  destinations: string[];
  plans: { name: string; destinations: { index: number; name: string }[] }[];
  state: string | undefined;
}

/** Adds a problem at a key path of the file being checked. */
type ProblemAt = (
  path: readonly (string | number)[],
  message: string,
  severity?: Problem["severity"],
  at?: "key" | "value",
) => void;

/**
 * Every command refuses an empty password, password file or password command, so validate must not pass one
 * written as `""`. Only a value written empty: one from an unset or empty variable is the variables' check.
 */
function refuseEmptyPasswords(raw: unknown, problemAt: ProblemAt): void {
  const destinations = (raw as { destinations?: unknown } | null)?.destinations;
  if (destinations === null || typeof destinations !== "object" || Array.isArray(destinations)) return;
  for (const [name, destination] of Object.entries(destinations)) {
    if (destination === null || typeof destination !== "object") continue;
    for (const key of PASSWORD_KEYS) {
      const value = (destination as Record<string, unknown>)[key];
      if (typeof value !== "string" || value.trim() !== "") continue;
      problemAt(
        ["destinations", name, key],
        `${key} is empty: give one, or remove the key (then KEPT_PASSWORD or the terminal gives it)`,
      );
    }
  }
}

/** Interpolates variables, then validates one file against the schema. */
function checkFile(
  source: YamlSource,
  env: (name: string) => string | undefined,
  options: CheckOptions,
): { file?: PlanFile; names?: FileNames; problems: Problem[]; unresolved: Problem[] } {
  const problems: Problem[] = [];
  const problemAt: ProblemAt = (path, message, severity = "error", at = "value") => {
    problems.push({ file: source.file, ...source.positionOf(path, at), path, severity, message });
  };
  // Problems of unset variables that fail only a command using their destination or plan.
  const deferred: Problem[] = [];
  const reportUnset = (path: (string | number)[], message: string) => {
    if (options.requireEnv === "when-used" && holderOf(path) !== undefined) {
      deferred.push({ file: source.file, ...source.positionOf(path), path, severity: "error", message });
    } else problemAt(path, message, options.requireEnv === false ? "warning" : "error");
  };
  refuseEmptyPasswords(source.value, problemAt);
  const { value, unresolved } = substituteVariables(source.value, env, {
    strict: options.requireEnv !== false,
    problemAt,
    reportUnset,
  });
  if (value === null || value === undefined) {
    problemAt([], `file is empty: a plan file starts with "version: ${PLAN_FORMAT_VERSION}"`);
    return { names: { destinations: [], plans: [], state: undefined }, problems, unresolved: [] };
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    problemAt([], `expected a mapping of keys (version, destinations, plans), found ${describeValue(value)}`);
    return { problems, unresolved: [] };
  }

  const isUnresolved = (path: readonly PropertyKey[]) =>
    unresolved.some((prefix) => prefix.every((part, index) => path[index] === part));
  const holdsUnresolved = (path: readonly PropertyKey[]) =>
    unresolved.some((inner) =>
      inner.length > path.length && path.every((part, index) => inner[index] === part)
    );
  const names = namesOf(value as Record<string, unknown>, isUnresolved);

  const result = PlanFileSchema.safeParse(value, { reportInput: true });
  if (result.success) {
    warnAboutS3KeysOnLocal(result.data, problemAt);
    return { file: result.data, names, problems, unresolved: deferred };
  }
  const issues = result.error.issues
    .map((issue) => ({
      issue,
      path: issue.path.filter((part) => typeof part !== "symbol") as (string | number)[],
    }))
    // A rule about a whole mapping (a retention that keeps nothing) cannot judge a value left empty.
    .filter(({ issue, path }) => !isUnresolved(path) && !(issue.code === "custom" && holdsUnresolved(path)));
  reportSchemaIssues(issues, source, options, problemAt);
  // When only values an unset variable left invalid fail, the rest of the file still counts: its plans
  // are listed and their other checks (sources) run.
  const file = issues.length === 0 ? withoutUnresolved(value, isUnresolved) : undefined;
  if (file === undefined) {
    // Nothing of the file can be used: its unset variables fail the load, as with `requireEnv: true`.
    problems.push(...deferred);
    return { names, problems, unresolved: [] };
  }
  warnAboutS3KeysOnLocal(file, problemAt);
  return { file, names, problems, unresolved: deferred };
}

/** A warning for each S3 setting of a local destination: it is read by nothing, so probably a mistake. */
function warnAboutS3KeysOnLocal(file: PlanFile, problemAt: ProblemAt): void {
  for (const [name, destination] of Object.entries(file.destinations ?? {})) {
    if (parseDestinationUrl(destination.url).location?.kind !== "local") continue;
    for (const key of S3_KEYS) {
      if (destination[key as keyof DestinationInput] === undefined) continue;
      problemAt(
        ["destinations", name, key],
        `"${key}" is an S3 setting, ignored for the local folder "${destination.url}"`,
        "warning",
        "key",
      );
    }
  }
}

/**
 * The file without the values an unset variable left invalid (an empty `schedule`, a URL with a hole),
 * and without what that in turn breaks: a retention left keeping nothing goes, a destination or plan that
 * loses a required key goes whole. Undefined when that does not give a valid file.
 */
function withoutUnresolved(
  value: unknown,
  isUnresolved: (path: readonly PropertyKey[]) => boolean,
): PlanFile | undefined {
  const copy = structuredClone(value);
  const removed: (string | number)[][] = [];
  const within = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) =>
    prefix.length <= path.length && prefix.every((part, index) => path[index] === part);
  // Each round removes at least one value; a plan file nests only a few levels.
  for (let round = 0; round < 16; round++) {
    const result = PlanFileSchema.safeParse(copy);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const path = issue.path.filter((part) => typeof part !== "symbol") as (string | number)[];
      if (!isUnresolved(path) && !removed.some((gone) => within(gone, path) || within(path, gone))) {
        return undefined;
      }
      // A required key removed before: remove the destination or plan that holds it.
      const target = removed.some((gone) => gone.length === path.length && within(path, gone))
        ? path.slice(0, -1)
        : path;
      if (removed.some((gone) => within(target, gone))) continue; // already gone with what held it
      if (target.length < 2) return undefined;
      if (removeAt(copy, target)) {
        removed.push(target);
        continue;
      }
      // An item of a list (`exclude_if_present: ["${NAME}"]`) cannot go alone: its destination or plan goes.
      const holder = holderOf(target);
      if (holder === undefined || !removeAt(copy, holder)) return undefined;
      removed.push(holder);
    }
  }
  return undefined;
}

/** Deletes the key at `path` from the mapping that holds it; false when there is no such key. */
function removeAt(value: unknown, path: readonly (string | number)[]): boolean {
  let parent = value;
  for (const part of path.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return false;
    parent = (parent as Record<string, unknown>)[String(part)];
  }
  const key = path.at(-1);
  if (parent === null || typeof parent !== "object" || Array.isArray(parent) || typeof key !== "string") {
    return false;
  }
  if (!Object.hasOwn(parent, key)) return false;
  delete (parent as Record<string, unknown>)[key];
  return true;
}

/**
 * Replaces `${VAR}` in every string of a file's value. A variable that is unset goes to `reportUnset`, and
 * so does an empty one when `strict` (or when it makes a path absolute); the paths they were used in are
 * returned, so that the schema's complaints about them (an empty URL) are not reported on top.
 */
function substituteVariables(
  value: unknown,
  env: (name: string) => string | undefined,
  { strict, problemAt, reportUnset }: {
    strict: boolean;
    problemAt: ProblemAt;
    reportUnset: (path: (string | number)[], message: string) => void;
  },
): { value: unknown; unresolved: (string | number)[][] } {
  const unresolved: (string | number)[][] = [];
  const substitute = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      if (isHookCommand(path)) return shellCommand(value, env);
      const result = interpolate(value, env);
      if (result.error) {
        problemAt(path, result.error);
        unresolved.push(path);
      }
      // `${DATA}/x` with DATA unset or empty is `/x`: say so, as it is where a backup would read.
      const used = (name: string) =>
        `(used in ${formatKeyPath(path)}${
          result.rootedBy.includes(name) ? `, which becomes ${JSON.stringify(result.value)}` : ""
        })`;
      for (const name of result.unset) {
        reportUnset(path, `environment variable ${name} is not set ${used(name)}`);
        unresolved.push(path);
      }
      // Empty counts as unset where variables are required; elsewhere only when it makes a path absolute.
      for (const name of result.empty) {
        if (!strict && !result.rootedBy.includes(name)) continue;
        reportUnset(path, `environment variable ${name} is empty ${used(name)}`);
        if (strict) unresolved.push(path);
      }
      return result.value;
    }
    if (path.length > MAX_INTERPOLATION_DEPTH) return value;
    if (Array.isArray(value)) return value.map((item, index) => substitute(item, [...path, index]));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, substitute(item, [...path, key])]),
      );
    }
    return value;
  };
  return { value: substitute(value, []), unresolved };
}

/**
 * A hook command goes to `sh` exactly as written: its variables are the shell's, from the hook's
 * environment (kept's own without the password settings, plus KEPT_PLAN…), and so is `$$`. Expanded
 * here, a secret would be in the log, the state file and the command line every local user can list.
 * The `${NAME}` it uses are still asked of `env`, so that `schedule install` can say which ones the
 * jobs will lack.
 */
function shellCommand(command: string, env: (name: string) => string | undefined): string {
  for (const [, name] of command.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) env(name!);
  return command;
}

/** True for `plans.NAME.hooks.before[i]` and the like: a command whose variables kept sets when it runs. */
function isHookCommand(path: readonly (string | number)[]): boolean {
  return path.length === 5 && path[0] === "plans" && path[2] === "hooks" &&
    HOOK_LISTS.includes(String(path[3])) &&
    typeof path[4] === "number";
}

/** Words the schema's issues for a file: misspelled keys first, each with its did-you-mean. */
function reportSchemaIssues(
  issues: readonly { issue: z.core.$ZodIssue; path: (string | number)[] }[],
  source: YamlSource,
  options: CheckOptions,
  problemAt: ProblemAt,
): void {
  // Misspelled keys explain other problems of the same mapping: `sorces` is why `sources` is missing,
  // and why a retention with only `keep_daly` keeps nothing. Report the misspelling alone.
  const suggested = new Map<string, Set<string>>();
  for (const { issue, path } of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const known = knownKeys(path);
    const matches = new Set<string>();
    suggested.set(JSON.stringify(path), matches);
    for (const key of issue.keys) {
      const match = closest(key, known, options.budget);
      if (match !== undefined) matches.add(match);
      // Not a misspelling: maybe a key of the mapping above, indented too little.
      const hint = match === undefined
        ? misplacedKeyHint(source, [...path, key], knownKeys) ?? ""
        : `; did you mean "${match}"?`;
      problemAt([...path, key], `unknown key "${key}"${where(path)}${hint}`, "error", "key");
    }
  }

  for (const { issue, path } of issues) {
    if (issue.code === "unrecognized_keys") continue;
    if (issue.code === "custom" && suggested.has(JSON.stringify(path))) continue;
    if (issue.code === "invalid_key") {
      const kind = path[0] === "plans" ? "plan " : path[0] === "destinations" ? "destination " : "";
      const reason = issue.issues[0]?.message ?? "not a valid name";
      problemAt(path, `invalid ${kind}name "${path.at(-1)}": ${reason}`, "error", "key");
      continue;
    }
    const missing = issue.code === "invalid_type" && issue.input === undefined && !source.has(path);
    if (missing && suggested.get(JSON.stringify(path.slice(0, -1)))?.has(String(path.at(-1)))) continue;
    const named = path.length === 2 && (path[0] === "destinations" || path[0] === "plans");
    if (named && issue.code === "invalid_type" && issue.expected === "object" && !missing) {
      // `password_file:` indented like the destinations is read as a destination's name.
      const hint = misplacedKeyHint(source, path, knownKeys);
      if (hint !== undefined) {
        problemAt(
          path,
          `${issueMessage(issue, path, missing)}${hint.replace(/^; /, "; if it is a setting, ")}`,
          "error",
          "key",
        );
        continue;
      }
    }
    if (issue.code === "custom" && path.at(-1) === "timezone" && typeof issue.input === "string") {
      // The schema's message without "did you mean": suggestions among ~400 zones are costly, so bounded.
      problemAt(path, timeZoneProblem(issue.input, options.budget) ?? issue.message);
      continue;
    }
    problemAt(path, issueMessage(issue, path, missing));
  }
}

/** Reads {@link FileNames} from a file's value, skipping whatever has the wrong shape or is unresolved. */
function namesOf(
  value: Record<string, unknown>,
  isUnresolved: (path: readonly PropertyKey[]) => boolean,
): FileNames {
  const entries = (section: unknown) =>
    section !== null && typeof section === "object" && !Array.isArray(section) ? Object.entries(section) : [];
  return {
    destinations: entries(value.destinations).map(([name]) => name),
    plans: entries(value.plans).map(([name, plan]) => {
      const list = plan !== null && typeof plan === "object"
        ? (plan as Record<string, unknown>).destinations
        : [];
      return {
        name,
        destinations: (Array.isArray(list) ? list : []).flatMap((item, index) =>
          typeof item === "string" && !isUnresolved(["plans", name, "destinations", index])
            ? [{ index, name: item }]
            : []
        ),
      };
    }),
    state: typeof value.state === "string" && !isUnresolved(["state"]) ? value.state : undefined,
  };
}

/** ` in plans.web` — where an unknown key was found, for context. */
function where(path: readonly (string | number)[]): string {
  return path.length === 0 ? "" : ` in ${formatKeyPath(path)}`;
}

/** What a value is called in messages: `plan "web"`, `"sources"`, `plans.web.sources[1]`. */
function label(path: readonly (string | number)[]): string {
  const key = path.at(-1);
  if (key === undefined) return "the file";
  if (path.length === 2 && path[0] === "plans") return `plan "${key}"`;
  if (path.length === 2 && path[0] === "destinations") return `destination "${key}"`;
  return typeof key === "number" ? formatKeyPath(path) : `"${key}"`;
}

/** Words YAML 1.1 read as booleans; YAML 1.2 (and kept) reads them as text. */
const YAML11_BOOLEANS = new Set(["yes", "no", "on", "off", "y", "n"]);

function issueMessage(issue: z.core.$ZodIssue, path: (string | number)[], missing: boolean): string {
  const name = label(path);
  if (issue.code === "invalid_type") {
    if (missing) return `missing required key "${path.at(-1)}"${where(path.slice(0, -1))}`;
    const schema = issue.expected === "number" ? schemaAt(path) : undefined;
    const expected = article(schema instanceof z.ZodNumber && schema.isInt ? "int" : issue.expected);
    const input = issue.input;
    if (input === null) return `${name} is empty: expected ${expected}`;
    let hint = "";
    if (issue.expected === "array" && typeof input === "string") {
      hint = `; write [${JSON.stringify(input)}] for a list of one`;
    } else if ((issue.expected === "number" || issue.expected === "int") && typeof input === "string") {
      if (input.trim() !== "" && Number.isFinite(Number(input))) {
        hint = `; write ${input.trim()} without quotes`;
      }
    } else if (issue.expected === "boolean" && typeof input === "string") {
      if (YAML11_BOOLEANS.has(input.toLowerCase())) {
        hint = `; YAML reads "${input}" as text, not as true or false`;
      }
    }
    return `${name} must be ${expected}, found ${describeValue(input)}${hint}`;
  }
  if (issue.code === "invalid_union") {
    return `${name} has the wrong type: found ${describeValue(issue.input)}`;
  }
  if (issue.code === "too_small" && issue.origin === "number") {
    const unlimited = issue.minimum === -1 ? " (-1 means unlimited)" : "";
    return `${name} must be at least ${issue.minimum}${unlimited}, found ${describeValue(issue.input)}`;
  }
  if (issue.code === "too_big" && issue.origin === "number") {
    return `${name} must be at most ${issue.maximum}, found ${describeValue(issue.input)}`;
  }
  // The schema's own words for a value ("invalid size …", "invalid cron expression …") say what is wrong
  // but not where: the key goes first, unless the message names it already.
  const key = path.at(-1);
  if (key === undefined || namesWord(issue.message, String(key))) return issue.message;
  return `${name}: ${issue.message}`;
}

/**
 * True when `text` holds `word` as a word of its own, in any case (`retention keeps nothing` names
 * "retention", `URL "ftp://…"` names "url").
 */
function namesWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`, "i").test(text);
}

function article(expected: string): string {
  const names: Record<string, string> = {
    array: "a list",
    object: "a mapping",
    record: "a mapping",
    map: "a mapping",
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  }
  if (typeof value === "number") return `${value}`;
  return String(value);
}

/** The keys the schema allows at `path`, for "did you mean". */
function knownKeys(path: readonly (string | number)[]): string[] {
  const schema = schemaAt(path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The schema of the value at `path` (unwrapped), or undefined when the path leaves the schema. */
function schemaAt(path: readonly (string | number)[]): z.ZodType | undefined {
  let schema: z.ZodType = PlanFileSchema;
  for (const part of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const shape = schema.shape as Record<string, z.ZodType>;
      if (!Object.hasOwn(shape, String(part))) return undefined;
      schema = shape[String(part)]!;
    } else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return undefined;
  }
  return unwrap(schema);
}

function unwrap(schema: z.ZodType): z.ZodType {
  while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodPipe) {
    schema = (schema instanceof z.ZodPipe ? schema.in : schema.unwrap()) as z.ZodType;
  }
  return schema;
}

/** Checks that need every file: duplicate names, references to destinations, one state path. */
function checkAcrossFiles(
  files: { source: YamlSource; names: FileNames }[],
  options: { checkReferences: boolean; budget: SuggestionBudget; home: string },
): Problem[] {
  const problems: Problem[] = [];
  const destinations = new Map<string, { source: YamlSource }>();
  const plans = new Map<string, { source: YamlSource }>();
  let state: { source: YamlSource; value: string; resolved: string } | undefined;

  const defineOnce = (
    kind: "destination" | "plan",
    registry: Map<string, { source: YamlSource }>,
    name: string,
    source: YamlSource,
  ) => {
    const section = kind === "destination" ? "destinations" : "plans";
    const earlier = registry.get(name);
    if (earlier) {
      const at = earlier.source.positionOf([section, name], "key");
      problems.push({
        file: source.file,
        ...source.positionOf([section, name], "key"),
        path: [section, name],
        severity: "error",
        message: `${kind} "${name}" is already defined at ${earlier.source.file}:${at.line}:${at.column}; ` +
          `${kind} names must be unique across all plan files`,
      });
    } else {
      registry.set(name, { source });
    }
  };

  for (const { source, names } of files) {
    for (const name of names.destinations) defineOnce("destination", destinations, name, source);
    for (const { name } of names.plans) defineOnce("plan", plans, name, source);
    if (names.state !== undefined) {
      // `state.db` in one file and `./state.db` in another, both in the same folder, are the same file.
      const resolved = resolvePlanPath(names.state, dirname(resolve(source.file)), options.home);
      if (state && state.resolved !== resolved) {
        const at = state.source.positionOf(["state"]);
        problems.push({
          file: source.file,
          ...source.positionOf(["state"]),
          path: ["state"],
          severity: "error",
          message: `"state" is already set to ${JSON.stringify(state.value)} at ` +
            `${state.source.file}:${at.line}:${at.column}; set it in one file only`,
        });
      }
      state ??= { source, value: names.state, resolved };
    }
  }

  if (!options.checkReferences) return problems;
  for (const { source, names } of files) {
    for (const { name: planName, destinations: used } of names.plans) {
      used.forEach(({ index, name }) => {
        if (destinations.has(name)) return;
        const path = ["plans", planName, "destinations", index];
        const reason = destinations.size === 0
          ? ", but no destinations are defined"
          : `, which is not defined${didYouMean(name, destinations.keys(), options.budget)}`;
        problems.push({
          file: source.file,
          ...source.positionOf(path),
          path,
          severity: "error",
          message: `plan "${planName}" names destination "${name}"${reason}`,
        });
      });
    }
  }
  return problems;
}

/** A path as a plan file means it: `~` and `~/…` against `home`, relative paths against `base`. */
function resolvePlanPath(path: string, base: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}

function buildConfig(
  files: string[],
  parsed: { source: YamlSource; file: PlanFile }[],
  { env, unresolved }: { env: (name: string) => string | undefined; unresolved: Config["unresolved"] },
): Config {
  const home = env("HOME") ?? "/";
  const resolvePath = (path: string, base: string) => resolvePlanPath(path, base, home);
  const config: Config = {
    files,
    statePath: join(env("XDG_STATE_HOME") || join(home, ".local", "state"), "kept", "state.db"),
    destinations: new Map(),
    plans: new Map(),
    unresolved,
  };
  for (const { source, file } of parsed) {
    const base = dirname(resolve(source.file));
    if (file.state !== undefined) config.statePath = resolvePath(file.state, base);
    for (const [name, input] of Object.entries(file.destinations ?? {})) {
      config.destinations.set(name, buildDestination(name, input, source.file, (p) => resolvePath(p, base)));
    }
    for (const [name, input] of Object.entries(file.plans ?? {})) {
      config.plans.set(name, buildPlan(name, input, source.file, (p) => resolvePath(p, base)));
    }
  }
  return config;
}

function buildDestination(
  name: string,
  input: DestinationInput,
  definedIn: string,
  resolvePath: (path: string) => string,
): Destination {
  const location = parseDestinationUrl(input.url).location!;
  const password: PasswordSource | undefined = input.password !== undefined
    ? { kind: "value", value: input.password }
    : input.password_file !== undefined
    ? { kind: "file", path: resolvePath(input.password_file) }
    : input.password_command !== undefined
    ? { kind: "command", command: input.password_command }
    : undefined;
  return {
    name,
    definedIn,
    location: location.kind === "local" ? { kind: "local", path: resolvePath(location.path) } : location,
    password,
    s3: {
      region: input.region ?? DEFAULT_S3_REGION,
      accessKeyId: input.access_key_id,
      secretAccessKey: input.secret_access_key,
      sessionToken: input.session_token,
      profile: input.profile,
      pathStyle: input.path_style,
      caFile: input.ca_file === undefined ? undefined : resolvePath(input.ca_file),
      connections: input.connections ?? DEFAULT_S3_CONNECTIONS,
    },
  };
}

function buildPlan(
  name: string,
  input: PlanInput,
  definedIn: string,
  resolvePath: (path: string) => string,
): Plan {
  const retention = input.retention;
  return {
    name,
    definedIn,
    sources: input.sources.map(resolvePath),
    excludes: input.excludes ?? [],
    excludeIfPresent: input.exclude_if_present ?? [],
    ignoreFiles: input.ignore_files ?? [],
    excludeLargerThan: input.exclude_larger_than === undefined
      ? undefined
      : parseSize(input.exclude_larger_than),
    oneFileSystem: input.one_file_system ?? false,
    schedule: input.schedule?.trim(),
    timezone: input.timezone,
    destinations: input.destinations,
    retention: retention === undefined ? undefined : {
      last: retention.keep_last ?? 0,
      hourly: retention.keep_hourly ?? 0,
      daily: retention.keep_daily ?? 0,
      weekly: retention.keep_weekly ?? 0,
      monthly: retention.keep_monthly ?? 0,
      yearly: retention.keep_yearly ?? 0,
      within: retention.keep_within === undefined ? undefined : parseAge(retention.keep_within),
      tags: retention.keep_tags ?? [],
    },
    hooks: {
      before: input.hooks?.before ?? [],
      after: input.hooks?.after ?? [],
      onFailure: input.hooks?.on_failure ?? [],
      timeoutMs: input.hooks?.timeout === undefined
        ? DEFAULT_HOOK_TIMEOUT_MS
        : parseTimeout(input.hooks.timeout) ?? DEFAULT_HOOK_TIMEOUT_MS,
    },
    tags: input.tags ?? [],
  };
}
