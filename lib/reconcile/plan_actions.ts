/**
 * The answer of `kept plan`: list the destinations of some plans, then reconcile. `kept apply` asks the
 * same question, before and after its backups.
 *
 * @module
 */

import type { Plan } from "../plan/mod.ts";
import { type Action, reconcile } from "./reconcile.ts";
import { surveyDestinations, type SurveyOptions } from "./survey.ts";

/** Options of {@link planActions}: how to list the destinations, and the reconcile options. */
export interface PlanActionsOptions extends Omit<SurveyOptions, "now"> {
  /** The time the actions are decided at (`--at`, or the clock). */
  readonly at: Date;
  /** When the snapshot lists were read, for the cache (the real clock). */
  readonly listedAt: Date;
  readonly timeZone: string;
  readonly host: string;
  /** Every plan name of the config, to report orphans; undefined: no orphans (some plans were named). */
  readonly configured: ReadonlySet<string> | undefined;
}

/** The actions due for `plans` at `options.at`, in the order apply runs them. */
export async function planActions(plans: readonly Plan[], options: PlanActionsOptions): Promise<Action[]> {
  const destinations = [...new Set(plans.flatMap((plan) => plan.destinations))].sort();
  const views = await surveyDestinations(destinations, { ...options, now: options.listedAt });
  return reconcile(
    plans,
    { lastSuccesses: options.state.lastSuccesses(), fingerprints: options.state.fingerprints() },
    views,
    options.at,
    { timeZone: options.timeZone, host: options.host, configured: options.configured },
  );
}
