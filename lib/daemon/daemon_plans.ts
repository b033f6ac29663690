/**
 * Which plans of a config the daemon runs, each schedule in its plan's zone or the machine's.
 *
 * @module
 */

import type { Config } from "../plan/mod.ts";
import { scheduledPlans } from "../schedule/mod.ts";
import type { DaemonPlans } from "./daemon.ts";

/** The plans of `config` with a schedule (the zone resolved to `machineTimeZone` where unset), and the others. */
export function daemonPlans(config: Config, machineTimeZone: string): DaemonPlans {
  const { scheduled, unscheduled } = scheduledPlans(config);
  return {
    scheduled: scheduled.map((plan) => ({
      name: plan.name,
      schedule: { cron: plan.cron, timeZone: plan.timeZone ?? machineTimeZone },
    })),
    unscheduled,
  };
}
