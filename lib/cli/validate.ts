// `kept validate`: checks plan files without touching any repository.

import { type Config, formatKeyPath, formatProblem, loadConfig, type Plan } from "../plan/mod.ts";
import { ExitCode } from "../errors.ts";
import { crontabFields, onCalendar, Unexpressible } from "../schedule/mod.ts";
import type { Output } from "./output.ts";
import { counted } from "./_counted.ts";
import type { ExcludeMatcher } from "../backup/mod.ts";

/** Options of `kept validate`. */
export interface ValidateOptions {
  paths: string[];
  json: boolean;
  requireEnv: boolean;
  /** Lists each plan with its sources resolved (`-v`). */
  verbose: boolean;
  env: (name: string) => string | undefined;
}

/** Validates the plan files and prints every problem; returns the exit code. */
export async function runValidate(options: ValidateOptions, output: Output): Promise<number> {
  // Loaded here, not with the CLI: every other command would pay for the backup engine's modules.
  const { ExcludeMatcher } = await import("../backup/mod.ts");
  // One per plan, not per source: each compiles the plan's patterns.
  const matchers = new Map<string, ExcludeMatcher>();
  const matcherOf = (plan: Plan) => {
    let matcher = matchers.get(plan.name);
    if (matcher === undefined) matchers.set(plan.name, matcher = new ExcludeMatcher(plan));
    return matcher;
  };
  const result = await loadConfig(options.paths, {
    env: options.env,
    requireEnv: options.requireEnv,
    checkSources: true,
    checkSchedule: uninstallableSchedule,
    checkSource: (plan, source) => emptiedByExcludes(matcherOf(plan), source),
  });
  const errors = result.problems.filter((p) => p.severity === "error").length;
  const warnings = result.problems.length - errors;
  if (options.json) {
    const problems = result.problems.map((p) => ({
      file: p.file,
      line: p.line ?? null,
      column: p.column ?? null,
      path: formatKeyPath(p.path),
      severity: p.severity,
      message: p.message,
    }));
    output.out(JSON.stringify({ valid: errors === 0, files: result.files, problems }, null, 2) + "\n");
  } else {
    for (const problem of result.problems) output.out(formatProblem(problem) + "\n");
    if (options.verbose && result.config) listPlans(result.config, output);
    const files = counted(result.files.length, "file");
    if (result.config) {
      const { plans, destinations } = result.config;
      output.err(
        `${files} valid: ${counted(plans.size, "plan")}, ${counted(destinations.size, "destination")}${
          warnings ? `, ${counted(warnings, "warning")}` : ""
        }\n`,
      );
    } else {
      output.err(
        `${files} checked: ${counted(errors, "error")}, ${counted(warnings, "warning")}\n`,
      );
    }
  }
  return errors === 0 ? ExitCode.ok : ExitCode.failure;
}

/** Each plan, its file, its sources as backup will read them (relative ones resolved), its destinations. */
function listPlans(config: Config, output: Output): void {
  for (const plan of config.plans.values()) {
    output.out(
      `plan "${plan.name}" (${plan.definedIn}): backs up ${plan.sources.join(", ")} to ${
        plan.destinations.join(", ")
      }\n`,
    );
  }
}

/**
 * How `kept schedule install` cannot write `schedule`, as the rest of a sentence that starts with it, or
 * undefined when both systemd timers and crontab lines can say it (`kept daemon` runs every schedule).
 */
/**
 * Why a source will be backed up empty: the plan's excludes leave it out, or a folder it is in (an ignore
 * file or a marker may do so too, which only the backup reads). Nothing below a folder left out is kept
 * again, and a source is always in the snapshot (docs/plans.md#excludes).
 */
function emptiedByExcludes(matcher: ExcludeMatcher, source: string): string | undefined {
  if (!matcher.isExcluded(source, true, [])) return undefined;
  let folder = "";
  for (const part of source.split("/").slice(1)) {
    folder += `/${part}`;
    if (matcher.isExcluded(folder, true, [])) break;
  }
  return folder === source
    ? "is kept empty: the plan's excludes leave it out"
    : `is kept empty: the plan's excludes leave out ${JSON.stringify(folder)}, which it is in`;
}

function uninstallableSchedule(schedule: string, timeZone: string | undefined): string | undefined {
  const why = (write: () => unknown): string | undefined => {
    try {
      write();
      return undefined;
    } catch (error) {
      if (error instanceof Unexpressible) return error.message;
      throw error;
    }
  };
  const systemd = why(() => onCalendar(schedule, timeZone));
  const cron = why(() => crontabFields(schedule));
  if (systemd !== undefined && cron !== undefined) {
    return `runs only under \`kept daemon\`: ${systemd}; ${cron}`;
  }
  if (systemd !== undefined) {
    return `cannot be a systemd timer: ${systemd}; use \`kept schedule install --cron\` or \`kept daemon\``;
  }
  if (cron !== undefined) {
    return `cannot be a crontab line: ${cron}; use \`kept schedule install --systemd\` or \`kept daemon\``;
  }
  return undefined;
}
