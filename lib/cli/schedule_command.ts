// `kept schedule show` and `kept schedule install`: the plans' schedules as systemd timers (a service and a
// timer per plan) or crontab lines, each running `kept --config CONFIG apply PLAN`. See docs/scheduling.md.

import { join } from "node:path";
import { Option } from "@commander-js/extra-typings";
import { UsageError, UserError } from "../errors.ts";
import { type Config, unresolvedError } from "../plan/mod.ts";
import { machineTimeZone } from "../machine_time_zone.ts";
import { selfCommand } from "../daemon/mod.ts";
import {
  applyInstall,
  BLOCK_BEGIN,
  BLOCK_END,
  cronFile,
  cronFileName,
  cronLines,
  type CronOptions,
  cronRunsConfig,
  type GeneratedFile,
  type InstallStep,
  markerLines,
  planFileInstall,
  planStaleRemoval,
  planUnitsInstall,
  replaceCronBlock,
  type ScheduledPlan,
  scheduledPlans,
  systemdUnits,
  userCrontab,
} from "../schedule/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";
import { loadConfigOrFail } from "./_context.ts";
import { counted } from "./_counted.ts";

const SYSTEM_UNITS = "/etc/systemd/system";
const CRON_FOLDER = "/etc/cron.d";
/** The one file an older kept wrote, for whichever config installed last. */
const SHARED_CRON_FILE = "/etc/cron.d/kept";

/** The flags `show` and `install` share. */
interface TargetFlags {
  systemd?: true | undefined;
  cron?: true | undefined;
  user?: true | undefined;
  root?: string | undefined;
}

/** Where and how the files are written, resolved from the flags and the environment. */
interface Target {
  readonly kind: "systemd" | "cron";
  readonly user: boolean;
  /** Prefixed to every system path (a hidden option, for tests). */
  readonly root: string;
}

/** Registers `kept schedule show` and `kept schedule install` on `program`. */
export function scheduleCommand(program: Program, kit: CommandKit): void {
  const schedule = program.command("schedule")
    .description("write the plans' schedules as systemd timers or crontab lines that run `kept apply PLAN`");
  schedule.command("show")
    .option("--systemd", "a systemd service and timer per plan (the default of show)")
    .option("--cron", "crontab lines: a file in /etc/cron.d, or your crontab with --user")
    .option("--user", "your own units (~/.config/systemd/user) or crontab, instead of the system's")
    .addOption(new Option("--root <dir>", "treat DIR as / (for tests)").hideHelp())
    .description("print the units or crontab lines `install` would write, without writing anything")
    .argument("[plans...]", "only these plans (default: every plan with a schedule)")
    .action(async (names, options) => {
      const target = resolveTarget(options, "systemd");
      const plans = choose(scheduledPlans(await kit.loadConfig()), names);
      kit.output.out(
        target.kind === "systemd" ? showUnits(kit, plans, target) : showCron(kit, plans, target),
      );
    });

  schedule.command("install")
    .option("--systemd", "a systemd service and timer per plan (the default of show)")
    .option("--cron", "crontab lines: a file in /etc/cron.d, or your crontab with --user")
    .option("--user", "your own units (~/.config/systemd/user) or crontab, instead of the system's")
    .addOption(new Option("--root <dir>", "treat DIR as / (for tests)").hideHelp())
    .description("write the units or crontab lines; remove the ones kept wrote for plans that are gone")
    .addHelpText(
      "after",
      "\nsystemd: writes kept-PLAN.service and kept-PLAN.timer into /etc/systemd/system (--user:\n" +
        "~/.config/systemd/user), removes the kept-*.{service,timer} it wrote for plans no longer\n" +
        "scheduled, and prints the systemctl line to run. cron: writes /etc/cron.d/kept-CONFIG, or (--user)\n" +
        "replaces kept's marked block in your crontab, leaving your own lines as they are. Each config's\n" +
        "units, file or block are its own: installing for one config leaves the others' alone.\n" +
        "Running it again with the same plans changes nothing. See docs/scheduling.md.",
    )
    .action(async (options) => {
      const target = resolveTarget(options, undefined);
      // The variables the config reads: the scheduled jobs run with an environment of their own.
      const read = new Set<string>();
      const env = (name: string) => {
        const value = kit.context.env(name);
        if (value !== undefined) read.add(name);
        return value;
      };
      const config = await loadConfigOrFail(
        { ...kit.context, env },
        program.opts().config as string | undefined,
      );
      const { scheduled, unscheduled } = scheduledPlans(config);
      if (target.kind === "systemd") await installUnits(kit, scheduled, target);
      else await installCron(kit, scheduled, target);
      if (unscheduled.length > 0) kit.say(`not scheduled (no schedule): ${unscheduled.join(", ")}\n`);
      const missing = missingVariables(kit, config, scheduled, read, target);
      if (missing.length > 0) kit.output.err(`warning: ${missingVariablesWarning(missing, target)}\n`);
      // A variable not set even here: every scheduled backup to that destination would fail.
      const used = new Set(scheduled.flatMap((plan) => config.plans.get(plan.name)?.destinations ?? []));
      for (const [name, problems] of config.unresolved.destinations) {
        if (!used.has(name)) continue;
        const why = unresolvedError(problems).message;
        kit.output.err(`warning: destination "${name}": ${why}: its scheduled backups will fail\n`);
      }
    });
}

/** Variables a scheduled job gets without kept setting them (systemd and cron both set these). */
const JOB_BASICS = new Set(["HOME", "PATH", "SHELL", "LOGNAME"]);
/** Variables kept reads to find the config, which the jobs name by path. */
const CONFIG_LOOKUP = new Set(["KEPT_CONFIG", "XDG_CONFIG_HOME"]);

/**
 * The variables set now that the scheduled jobs need and will not have: those the config's `${VAR}`
 * substitutions read, and KEPT_PASSWORD for a destination without a password source.
 */
function missingVariables(
  kit: CommandKit,
  config: Config,
  scheduled: readonly ScheduledPlan[],
  read: ReadonlySet<string>,
  target: Target,
): string[] {
  if (scheduled.length === 0) return [];
  const given = new Set([...JOB_BASICS, ...CONFIG_LOOKUP, ...Object.keys(jobEnvironment(kit, target.user))]);
  const names = new Set([...read].filter((name) => !given.has(name)));
  const destinations = new Set(scheduled.flatMap((plan) => config.plans.get(plan.name)?.destinations ?? []));
  const prompted = [...destinations].some((name) => config.destinations.get(name)?.password === undefined);
  if (prompted && kit.context.env("KEPT_PASSWORD") !== undefined) names.add("KEPT_PASSWORD");
  return [...names].sort();
}

function missingVariablesWarning(names: readonly string[], target: Target): string {
  const where = target.kind === "systemd"
    ? "set them in an EnvironmentFile= (mode 0600) of each kept-PLAN.service (systemctl edit)"
    : target.user
    ? "set them in NAME=value lines of your crontab, above kept's block"
    : "set them in /etc/environment, which cron reads through PAM (it is world-readable: no passwords)";
  return `the scheduled jobs will not have ${names.join(", ")}, which the config uses now ` +
    `(a scheduled job starts with almost no environment): give passwords with password_file or ` +
    `password_command, or ${where}; see docs/scheduling.md`;
}

function resolveTarget(flags: TargetFlags, fallback: "systemd" | undefined): Target {
  if (flags.systemd && flags.cron) throw new UsageError("Cannot combine --systemd and --cron: choose one");
  const kind = flags.systemd ? "systemd" : flags.cron ? "cron" : fallback;
  if (kind === undefined) throw new UsageError("Choose where to install: --systemd or --cron");
  return { kind, user: flags.user ?? false, root: flags.root ?? "/" };
}

function choose(plans: ReturnType<typeof scheduledPlans>, names: readonly string[]): ScheduledPlan[] {
  if (names.length === 0) return plans.scheduled;
  return names.map((name) => {
    const plan = plans.scheduled.find((scheduled) => scheduled.name === name);
    if (plan) return plan;
    if (plans.unscheduled.includes(name)) throw new UserError(`Plan "${name}" has no schedule`);
    throw new UserError(`Unknown plan "${name}"`);
  });
}

/**
 * The kept command the units and lines run: this kept, with the config as an absolute path and the global
 * options `schedule install` was given that change what a job does (`--lock-wait`, `--no-cache`). `-q`
 * and `-v` say how much `install` itself prints (cron lines always get `--quiet`: cron mails output).
 */
function keptCommand(kit: CommandKit): string[] {
  const self = selfCommand(kit.childGlobals());
  return [self.command, ...self.args];
}

/**
 * HOME (and XDG_STATE_HOME) as kept sees them now: a system job has no HOME of its own, and without it the
 * state file would not be the one `kept state` shows. A user's own jobs get the user's HOME already.
 */
function jobEnvironment(kit: CommandKit, user: boolean): Record<string, string> {
  const environment: Record<string, string> = {};
  const home = kit.context.env("HOME");
  if (!user && home) environment.HOME = home;
  const stateHome = kit.context.env("XDG_STATE_HOME");
  if (stateHome) environment.XDG_STATE_HOME = stateHome;
  return environment;
}

function unitFolder(kit: CommandKit, target: Target): string {
  if (!target.user) return join(target.root, SYSTEM_UNITS);
  const configHome = kit.context.env("XDG_CONFIG_HOME") || join(kit.context.env("HOME") ?? "/", ".config");
  return join(target.root, configHome, "systemd", "user");
}

function units(
  kit: CommandKit,
  plans: readonly ScheduledPlan[],
  target: Target,
): GeneratedFile[] {
  return systemdUnits(plans, {
    command: keptCommand(kit),
    config: kit.configPath(),
    environment: jobEnvironment(kit, target.user),
    user: target.user,
  });
}

function showUnits(
  kit: CommandKit,
  plans: readonly ScheduledPlan[],
  target: Target,
): string {
  const folder = unitFolder(kit, target);
  return units(kit, plans, target).map((file) => `# ${join(folder, file.name)}\n${file.content}`)
    .join("\n");
}

async function installUnits(
  kit: CommandKit,
  plans: readonly ScheduledPlan[],
  target: Target,
): Promise<void> {
  const files = units(kit, plans, target);
  const steps = await planUnitsInstall(unitFolder(kit, target), files, { config: kit.configPath() });
  await applyInstall(steps);
  printSteps(kit, steps);
  const systemctl = target.user ? "systemctl --user" : "systemctl";
  // A removed timer's timers.target.wants link names it too: one stop each.
  const removedTimers = [
    ...new Set(
      steps.filter((step) => step.kind === "remove" && /\/kept-[^/]+\.timer$/.test(step.path))
        .map((step) => step.path.slice(step.path.lastIndexOf("/") + 1)),
    ),
  ];
  const timers = files.filter((file) => file.name.endsWith(".timer")).map((file) => file.name);
  const commands = [`${systemctl} daemon-reload`];
  if (removedTimers.length > 0) commands.push(`${systemctl} stop ${removedTimers.join(" ")}`);
  if (timers.length > 0) commands.push(`${systemctl} enable --now ${timers.join(" ")}`);
  kit.output.out(`run: ${commands.join(" && ")}\n`);
}

function cronOptions(kit: CommandKit, target: Target): CronOptions {
  return {
    command: keptCommand(kit),
    config: kit.configPath(),
    system: !target.user,
    environment: jobEnvironment(kit, target.user),
    machineTimeZone: machineTimeZone(),
  };
}

function showCron(
  kit: CommandKit,
  plans: readonly ScheduledPlan[],
  target: Target,
): string {
  const options = cronOptions(kit, target);
  if (!target.user) return `# ${cronPath(target, options.config)}\n${cronFile(plans, options)}`;
  return [BLOCK_BEGIN, ...markerLines(options.config), ...cronLines(plans, options), BLOCK_END, ""].join(
    "\n",
  );
}

async function installCron(
  kit: CommandKit,
  plans: readonly ScheduledPlan[],
  target: Target,
): Promise<void> {
  const options = cronOptions(kit, target);
  if (target.user) {
    const before = await userCrontab.read();
    const after = replaceCronBlock(before, cronLines(plans, options), options.config);
    if (after === before) kit.output.out("unchanged your crontab\n");
    else {
      await userCrontab.write(after);
      kit.output.out(
        `updated your crontab: kept's block runs ${counted(plans.length, "plan")}\n`,
      );
    }
    return;
  }
  const path = cronPath(target, options.config);
  const owner = { config: options.config };
  // With no scheduled plan, the file goes (when kept wrote it for this config).
  const steps = plans.length > 0
    ? [await planFileInstall(path, cronFile(plans, options), owner)]
    : await planStaleRemoval(path, owner);
  // The one file an older kept wrote goes when it ran this config: this config's file replaces it.
  const shared = join(target.root, SHARED_CRON_FILE);
  steps.push(...await planStaleRemoval(shared, owner, (text) => cronRunsConfig(text, owner.config)));
  await applyInstall(steps);
  printSteps(kit, steps);
}

/** The config's own file in /etc/cron.d. */
function cronPath(target: Target, config: string): string {
  return join(target.root, CRON_FOLDER, cronFileName(config));
}

function printSteps(kit: CommandKit, steps: readonly InstallStep[]): void {
  for (const step of steps) {
    const verb = step.kind === "write" ? "wrote" : step.kind === "remove" ? "removed" : "unchanged";
    kit.output.out(`${verb} ${step.path}\n`);
  }
}
