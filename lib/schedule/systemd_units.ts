/**
 * A systemd service and timer per scheduled plan: the timer fires on the plan's schedule and starts the
 * service, which runs `kept apply PLAN` once (docs/scheduling.md#systemd).
 *
 * @module
 */

import { onCalendar } from "./on_calendar.ts";
import { expressing, type ScheduledPlan } from "./scheduled_plan.ts";
import { systemdWord } from "./_quote.ts";
import { markerLines } from "./marker.ts";

/** A file to write: its name in the target folder and its content. */
export interface GeneratedFile {
  readonly name: string;
  readonly content: string;
}

/** How the units run kept. */
export interface UnitOptions {
  /** The kept command up to the subcommand, `--config` included (program first). */
  readonly command: readonly string[];
  /** The config the units run (an absolute path), recorded under the marker. */
  readonly config: string;
  /** Variables the service sets (HOME, so that the state file is the one `kept state` shows). */
  readonly environment: Readonly<Record<string, string>>;
  /** User units (`systemctl --user`): no network-online.target, which a user manager cannot see. */
  readonly user: boolean;
}

/**
 * `kept-PLAN.service` and `kept-PLAN.timer` for each plan, in plan order. Throws a UserError naming the plan
 * file and key when a schedule has no systemd calendar.
 */
export function systemdUnits(plans: readonly ScheduledPlan[], options: UnitOptions): GeneratedFile[] {
  return plans.flatMap((plan) => {
    const calendars = expressing(plan, "a systemd OnCalendar", () => onCalendar(plan.cron, plan.timeZone));
    return [
      { name: `kept-${plan.name}.service`, content: service(plan, options) },
      { name: `kept-${plan.name}.timer`, content: timer(plan, calendars, options) },
    ];
  });
}

function service(plan: ScheduledPlan, options: UnitOptions): string {
  const network = options.user ? [] : ["Wants=network-online.target", "After=network-online.target"];
  const environment = Object.entries(options.environment)
    .map(([name, value]) => `Environment=${systemdWord(`${name}=${value}`)}`);
  return [
    ...markerLines(options.config),
    "[Unit]",
    `Description=kept: apply plan ${plan.name}`,
    ...network,
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${[...options.command, "apply", plan.name].map(systemdWord).join(" ")}`,
    ...environment,
    // A backup is background work: it yields the CPU and the disk to everything else.
    "Nice=10",
    "IOSchedulingClass=best-effort",
    "IOSchedulingPriority=7",
    // SIGTERM to kept alone, which stops its hooks and records the run as interrupted.
    "KillMode=mixed",
    "",
  ].join("\n");
}

function timer(plan: ScheduledPlan, calendars: readonly string[], options: UnitOptions): string {
  const zone = plan.timeZone ?? "the machine's time zone";
  return [
    ...markerLines(options.config),
    "[Unit]",
    `Description=kept: schedule of plan ${plan.name} (${plan.cron}, ${zone})`,
    "",
    "[Timer]",
    ...calendars.map((calendar) => `OnCalendar=${calendar}`),
    // A run missed while the machine was off starts once at boot; apply decides whether it is still due.
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
