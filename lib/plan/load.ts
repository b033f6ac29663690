/**
 * Loads a config (one plan file or a folder of them), reports every problem at once with file:line:col,
 * and turns valid input into typed {@link Config} values.
 *
 * @module
 */

import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { parseYamlSource, type YamlSource } from "./_yaml_source.ts";
import { interpolate } from "./_interpolate.ts";
import { didYouMean } from "./_suggest.ts";
import { compareProblems, formatKeyPath, type Problem } from "./problem.ts";
import { type DestinationInput, type PlanFile, PlanFileSchema, type PlanInput } from "./schema.ts";
import { type DestinationLocation, parseDestinationUrl } from "./destination_url.ts";
import { type Age, parseAge, parseSize, parseTimeout } from "./units.ts";

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
  s3: { region: string; accessKeyId: string | undefined; secretAccessKey: string | undefined };
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
}

/** Options for {@link loadConfig}. */
export interface LoadOptions {
  /** Reads environment variables; defaults to `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** Makes unset variables errors instead of warnings. */
  requireEnv?: boolean;
}

/** The outcome of loading: `config` is present only when there is no error (warnings allowed). */
export interface LoadResult {
  config?: Config;
  files: string[];
  problems: Problem[];
}

const DEFAULT_HOOK_TIMEOUT_MS = 10 * 60_000;

/** Loads and validates the plan files at `paths` (files or folders). Never throws for bad input. */
export async function loadConfig(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const problems: Problem[] = [];
  const files = await expandPaths(paths, problems);
  const parsed: { source: YamlSource; file: PlanFile }[] = [];

  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (error) {
      problems.push({ file, path: [], severity: "error", message: `cannot read file: ${ioReason(error)}` });
      continue;
    }
    const { source, problems: parseProblems } = parseYamlSource(file, bytes);
    problems.push(...parseProblems);
    if (!source) continue;
    const checked = checkFile(source, env, options.requireEnv ?? false);
    problems.push(...checked.problems);
    if (checked.file) parsed.push({ source, file: checked.file });
  }

  problems.push(...checkAcrossFiles(parsed));
  if (files.length > 0 && problems.length === 0 && !parsed.some(({ file }) => file.plans)) {
    problems.push({ file: files[0]!, path: [], severity: "warning", message: "no plans are defined" });
  }
  problems.sort(compareProblems);
  if (problems.some((p) => p.severity === "error")) return { files, problems };
  return { config: buildConfig(files, parsed, env), files, problems };
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
    for await (const entry of Deno.readDir(path)) {
      const extension = extname(entry.name).toLowerCase();
      if ((extension === ".yaml" || extension === ".yml") && !entry.isDirectory) {
        found.push(join(path, entry.name));
      }
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

function ioReason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or folder";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a folder";
  return error instanceof Error ? error.message : String(error);
}

/** Interpolates variables, then validates one file against the schema. */
function checkFile(
  source: YamlSource,
  env: (name: string) => string | undefined,
  requireEnv: boolean,
): { file?: PlanFile; problems: Problem[] } {
  const problems: Problem[] = [];
  const unresolved: (string | number)[][] = [];
  const problemAt = (path: (string | number)[], message: string, severity: Problem["severity"] = "error") => {
    problems.push({ file: source.file, ...source.positionOf(path), path, severity, message });
  };

  const substitute = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      const result = interpolate(value, env);
      if (result.error) {
        problemAt(path, result.error);
        unresolved.push(path);
      }
      for (const name of result.unset) {
        problemAt(
          path,
          `environment variable ${name} is not set (used in ${formatKeyPath(path)})`,
          requireEnv ? "error" : "warning",
        );
        unresolved.push(path);
      }
      return result.value;
    }
    if (Array.isArray(value)) return value.map((item, index) => substitute(item, [...path, index]));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, substitute(item, [...path, key])]),
      );
    }
    return value;
  };

  const value = substitute(source.value, []);
  if (value === null || value === undefined) {
    problemAt([], `file is empty: a plan file starts with "version: 1"`);
    return { problems };
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    problemAt([], `expected a mapping of keys (version, destinations, plans), found ${describeValue(value)}`);
    return { problems };
  }

  const result = PlanFileSchema.safeParse(value);
  if (result.success) return { file: result.data, problems };
  const isUnresolved = (path: readonly PropertyKey[]) =>
    unresolved.some((prefix) => prefix.every((part, index) => path[index] === part));
  for (const issue of result.error.issues) {
    const path = issue.path.filter((part) => typeof part !== "symbol") as (string | number)[];
    if (isUnresolved(path)) continue;
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(path);
      for (const key of issue.keys) {
        problems.push({
          file: source.file,
          ...source.positionOf([...path, key], "key"),
          path: [...path, key],
          severity: "error",
          message: `unknown key "${key}"${where(path)}${didYouMean(key, known)}`,
        });
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      problems.push({
        file: source.file,
        ...source.positionOf(path, "key"),
        path,
        severity: "error",
        message: `invalid name "${path.at(-1)}": ${issue.issues[0]?.message ?? "not a valid name"}`,
      });
      continue;
    }
    problemAt(path, issueMessage(issue, path, source));
  }
  return { problems };
}

/** ` in plans.web` — where an unknown key was found, for context. */
function where(path: readonly (string | number)[]): string {
  return path.length === 0 ? "" : ` in ${formatKeyPath(path)}`;
}

function issueMessage(issue: z.core.$ZodIssue, path: (string | number)[], source: YamlSource): string {
  const key = path.at(-1);
  const label = key === undefined ? "value" : typeof key === "number" ? `${formatKeyPath(path)}` : `"${key}"`;
  if (issue.code === "invalid_type") {
    if (!source.has(path) && issue.input === undefined) {
      return `missing required key "${key}"${where(path.slice(0, -1))}`;
    }
    return `${label} must be ${article(issue.expected)}, found ${describeValue(issue.input)}`;
  }
  if (issue.code === "invalid_union") {
    return `${label} has the wrong type: found ${describeValue(issue.input)}`;
  }
  if (issue.code === "too_small" && issue.origin === "number") {
    return `${label} must be at least ${issue.minimum}, found ${JSON.stringify(issue.input)}`;
  }
  return issue.message;
}

function article(expected: string): string {
  const names: Record<string, string> = {
    array: "a list",
    object: "a mapping",
    string: "a string",
    number: "a number",
    int: "an integer",
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
  if (typeof value === "number") {
    return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  }
  return String(value);
}

/** The keys the schema allows at `path`, for "did you mean". */
function knownKeys(path: readonly (string | number)[]): string[] {
  let schema: z.ZodType = PlanFileSchema;
  for (const part of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      schema = (schema.shape as Record<string, z.ZodType>)[String(part)] ?? schema;
    } else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
    schema = schema.unwrap() as z.ZodType;
  }
  return schema;
}

/** Checks that need every file: duplicate names, references to destinations, one state path. */
function checkAcrossFiles(parsed: { source: YamlSource; file: PlanFile }[]): Problem[] {
  const problems: Problem[] = [];
  const destinations = new Map<string, { source: YamlSource }>();
  const plans = new Map<string, { source: YamlSource }>();
  let state: { source: YamlSource; value: string } | undefined;

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
        message: `${kind} "${name}" is already defined at ${earlier.source.file}:${at.line}:${at.column}`,
      });
    } else {
      registry.set(name, { source });
    }
  };

  for (const { source, file } of parsed) {
    for (const name of Object.keys(file.destinations ?? {})) {
      defineOnce("destination", destinations, name, source);
    }
    for (const name of Object.keys(file.plans ?? {})) defineOnce("plan", plans, name, source);
    if (file.state !== undefined) {
      if (state && state.value !== file.state) {
        const at = state.source.positionOf(["state"]);
        problems.push({
          file: source.file,
          ...source.positionOf(["state"], "key"),
          path: ["state"],
          severity: "error",
          message:
            `"state" is already set to a different path at ${state.source.file}:${at.line}:${at.column}`,
        });
      }
      state ??= { source, value: file.state };
    }
  }

  for (const { source, file } of parsed) {
    for (const [planName, plan] of Object.entries(file.plans ?? {})) {
      plan.destinations.forEach((name, index) => {
        if (destinations.has(name)) return;
        const path = ["plans", planName, "destinations", index];
        problems.push({
          file: source.file,
          ...source.positionOf(path),
          path,
          severity: "error",
          message: `plan "${planName}" names destination "${name}", which is not defined${
            didYouMean(name, destinations.keys())
          }`,
        });
      });
    }
  }
  return problems;
}

function buildConfig(
  files: string[],
  parsed: { source: YamlSource; file: PlanFile }[],
  env: (name: string) => string | undefined,
): Config {
  const home = env("HOME") ?? "/";
  const resolvePath = (path: string, base: string) => {
    if (path === "~") return home;
    if (path.startsWith("~/")) return join(home, path.slice(2));
    return isAbsolute(path) ? resolve(path) : resolve(base, path);
  };
  const config: Config = {
    files,
    statePath: join(env("XDG_STATE_HOME") || join(home, ".local", "state"), "kept", "state.db"),
    destinations: new Map(),
    plans: new Map(),
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
      region: input.region ?? "us-east-1",
      accessKeyId: input.access_key_id,
      secretAccessKey: input.secret_access_key,
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
