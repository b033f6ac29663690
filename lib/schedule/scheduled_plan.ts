/**
 * The plans a scheduler runs: those with a `schedule`, and where the error about one points to.
 *
 * @module
 */

import type { Config } from "../plan/mod.ts";
import { UserError } from "../errors.ts";
import { Unexpressible } from "./_cron_fields.ts";

/** A plan with a schedule, as the generated units and crontab lines need it. */
export interface ScheduledPlan {
  readonly name: string;
  /** The plan file that defines it, for errors. */
  readonly definedIn: string;
  readonly cron: string;
  /** The plan's `timezone`; undefined: the machine's. */
  readonly timeZone: string | undefined;
}

/** The plans of `config` with a schedule (in config order), and the names of those without one. */
export function scheduledPlans(config: Config): { scheduled: ScheduledPlan[]; unscheduled: string[] } {
  const scheduled: ScheduledPlan[] = [];
  const unscheduled: string[] = [];
  for (const plan of config.plans.values()) {
    if (plan.schedule === undefined) unscheduled.push(plan.name);
    else {
      scheduled.push({
        name: plan.name,
        definedIn: plan.definedIn,
        cron: plan.schedule,
        timeZone: plan.timezone,
      });
    }
  }
  return { scheduled, unscheduled };
}

/** Runs `convert`, turning a schedule it cannot express into one line naming the file, plan and key. */
export function expressing<T>(plan: ScheduledPlan, target: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (!(error instanceof Unexpressible)) throw error;
    throw new UserError(
      `${plan.definedIn}: plans.${plan.name}.schedule "${plan.cron}" cannot be written as ${target}: ` +
        error.message,
    );
  }
}
