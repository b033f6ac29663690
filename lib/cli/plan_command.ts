// `kept plan`: what each plan × destination needs now, and why. Strictly read-only: it changes neither a
// repository nor the state file (`kept apply` refreshes the snapshot cache). See docs/reconcile.md.

import { destinationByName, openRepository } from "../destinations/mod.ts";
import { ExitCode, UsageError, UserError } from "../errors.ts";
import { type Config, type Plan, unresolvedError } from "../plan/mod.ts";
import { type Action, type BackupReason, planActions, type SettingChange } from "../reconcile/mod.ts";
import { StateFile } from "../state/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";
import { counted } from "./_counted.ts";
import { machineTimeZone } from "../machine_time_zone.ts";

/** Registers `kept plan` on `program`. */
export function planCommand(program: Program, kit: CommandKit): void {
  program.command("plan")
    .description("show what each plan needs now (init, backup, forget) and why; changes nothing")
    .argument("[plans...]", "plans to plan (default: every plan)")
    .option("--json", "print the actions as JSON")
    .option("--at <time>", "plan as if now were this time (RFC 3339, e.g. 2026-12-05T03:00:00+01:00)")
    .option("--offline", "contact no destination: plan from the state file's cached snapshot lists")
    .addHelpText(
      "after",
      "\nA destination that cannot be reached is named (exit code 1), and its plans are decided on the\n" +
        "snapshot list cached in the state file, when there is one. Writes nothing: neither a repository\n" +
        "nor the state file (`kept apply` refreshes its cache). See docs/reconcile.md and docs/json.md.",
    )
    .action(async (names, options) => {
      const now = options.at === undefined ? new Date() : parseAt(options.at);
      const { config, plans, configured } = await plansToReconcile(kit, names);
      const offline = options.offline ?? false;
      using state = StateFile.open(config.statePath, { readOnly: true });
      const actions = await planActions(plans, {
        open: (name) => openRepository(destinationByName(config, name), kit.repositoryAccess()),
        missingLocation: (name) => missingFolder(config, name),
        state,
        offline,
        readOnly: true,
        at: now,
        listedAt: new Date(),
        timeZone: machineTimeZone(),
        host: Deno.hostname(),
        configured,
      });
      if (actions.some((action) => action.kind === "unreachable") && !offline) {
        kit.setExitCode(ExitCode.failure);
      }
      if (options.json) kit.json(snakeKeys({ at: now.toISOString(), actions: actions.map(actionJson) }));
      else for (const action of actions) kit.output.out(describeAction(action, config) + "\n");
    });
}

/** An action as `--json` shows it: setting names as plan files spell them (docs/json.md). */
export function actionJson(action: Action): unknown {
  if (action.kind !== "backup" || action.reason.kind !== "settings") return action;
  const changes = action.reason.changes.map((change) => ({ ...change, setting: snakeCase(change.setting) }));
  return { ...action, reason: { ...action.reason, changes } };
}

/** `value` with every object key in snake_case, as every `--json` of kept spells them. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [snakeCase(key), snakeKeys(item)]));
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** `--at`: an RFC 3339 time with its offset; anything else is a usage error. */
export function parseAt(value: string): Date {
  const rfc3339 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
  const time = Date.parse(value);
  if (!rfc3339.test(value) || Number.isNaN(time)) {
    throw new UsageError(`Invalid --at "${value}": give an RFC 3339 time such as 2026-12-05T03:00:00Z`);
  }
  return new Date(time);
}

/** The plans named (all of them when none). @throws {UserError} for a name the config does not define. */
export function choosePlans(config: Config, names: readonly string[]): Plan[] {
  for (const name of names) {
    if (!config.plans.has(name)) {
      throw new UserError(
        `Unknown plan "${name}" (defined: ${[...config.plans.keys()].join(", ") || "none"})`,
      );
    }
  }
  const chosen = names.length > 0 ? [...new Set(names)] : [...config.plans.keys()];
  return chosen.map((name) => config.plans.get(name)!);
}

/**
 * The config and the plans `kept plan` and `kept apply` act on: the plans named (each needs its variables
 * set), or every plan but those an unset variable leaves unusable, each named on stderr and the exit code 1:
 * one plan's missing secret must not stop the others' scheduled backups. `configured` is every plan name
 * when none is named (snapshots of no plan among them are orphans).
 */
export async function plansToReconcile(
  kit: CommandKit,
  names: readonly string[],
): Promise<{ config: Config; plans: Plan[]; configured: Set<string> | undefined }> {
  const config = await kit.loadConfig({ plans: names });
  const unusable = names.length > 0 ? new Map() : config.unresolved.plans;
  for (const [name, problems] of unusable) {
    kit.output.err(`kept: plan "${name}": ${unresolvedError(problems).message}\n`);
    kit.setExitCode(ExitCode.failure);
  }
  const plans = choosePlans(config, names).filter((plan) => !unusable.has(plan.name));
  const configured = names.length > 0 ? undefined : new Set([...config.plans.keys(), ...unusable.keys()]);
  return { config, plans, configured };
}

/** A local destination whose folder does not exist yet needs `init` (which creates it), not a retry. */
export async function missingFolder(config: Config, name: string): Promise<string | undefined> {
  const { location } = destinationByName(config, name);
  if (location.kind !== "local") return undefined;
  try {
    await Deno.lstat(location.path);
    return undefined;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? location.path : undefined;
  }
}

/** One action as one line, worded as docs/reconcile.md shows. */
export function describeAction(action: Action, config: Config): string {
  const zone = (plan: string) => config.plans.get(plan)?.timezone ?? machineTimeZone();
  const cached = "basis" in action && action.basis === "cached" ? " (from the cached snapshot list)" : "";
  switch (action.kind) {
    case "init":
      return `init ${action.destination}: no repository at ${action.reason.location}`;
    case "backup":
      return `backup ${action.plan} → ${action.destination}: ${backupReason(action.reason)}${cached}`;
    case "forget": {
      const { snapshots, before, after } = action.reason;
      const oldest = snapshots.at(-1)!.time;
      return `forget ${action.plan} @ ${action.destination}: ${count(snapshots.length)} ` +
        `(oldest ${
          localTime(oldest, zone(action.plan)).slice(0, 10)
        }), retention ${before} → ${after}${cached}`;
    }
    case "nothing": {
      const next = action.nextRun === null
        ? "no schedule"
        : `next run ${localTime(action.nextRun, zone(action.plan))}`;
      return `nothing to do for ${action.plan} → ${action.destination}: up to date, ${next}${cached}`;
    }
    case "orphan":
      return `orphan: ${count(action.snapshots)} of plan "${action.plan}" in ${action.destination}; ` +
        "no plan has that name (kept never deletes them by itself)";
    case "unreachable": {
      const then = action.cachedAt === null
        ? "its plans are not planned (no cached snapshot list)"
        : `planned from the snapshot list cached at ${localTime(action.cachedAt, "UTC")} UTC`;
      return `cannot reach ${action.destination}: ${action.error ?? "unknown reason"}; ${then}`;
    }
  }
}

function backupReason(reason: BackupReason): string {
  switch (reason.kind) {
    case "no-snapshot":
      return "no snapshot yet";
    case "not-listed":
      return "not known to be up to date (its snapshots cannot be listed, and none are cached)";
    case "settings":
      return `settings changed since the last snapshot (${reason.changes.map(describeChange).join("; ")})`;
    case "schedule":
      return `schedule "${reason.cron}" (${reason.timeZone}) fired ${
        localTime(reason.firedAt, reason.timeZone)
      }, ` +
        `last success ${localTime(reason.lastSuccess, reason.timeZone)}`;
    case "clock-ahead": {
      const before = reason.lastSuccess === null
        ? "none before now"
        : `last before now ${localTime(reason.lastSuccess, reason.timeZone)}`;
      return `the last backup is dated in the future, ${localTime(reason.datedAt, reason.timeZone)} ` +
        `(clock changed?); schedule "${reason.cron}" (${reason.timeZone}) fired ` +
        `${localTime(reason.firedAt, reason.timeZone)}, ${before}`;
    }
  }
}

function describeChange(change: SettingChange): string {
  const parts = [...change.added.map((item) => `+${item}`), ...change.removed.map((item) => `-${item}`)];
  const setting = snakeCase(change.setting);
  return parts.length === 0 ? `${setting} changed` : `${setting} ${parts.join(" ")}`;
}

/** `2026-12-05T01:15:00Z` in Europe/Berlin → `2026-12-05 02:15`. */
export function localTime(time: string, timeZone: string): string {
  const zoned = Temporal.Instant.from(time).toZonedDateTimeISO(timeZone);
  return `${zoned.toPlainDate().toString()} ${zoned.toPlainTime().toString().slice(0, 5)}`;
}

function count(snapshots: number): string {
  return counted(snapshots, "snapshot");
}
