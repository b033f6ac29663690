/**
 * `kept daemon`: runs `kept apply PLAN` as a child process each time a plan's schedule fires, one run per
 * plan at a time, reloading on request and stopping cleanly (docs/scheduling.md#daemon).
 *
 * @module
 */

export {
  Daemon,
  type DaemonClock,
  type DaemonOptions,
  type DaemonPlans,
  type RunHandle,
  type Runner,
} from "./daemon.ts";
export {
  type DaemonEvent,
  formatEvent,
  type PlanSchedule,
  type RunResult,
  runResult,
} from "./daemon_event.ts";
export { daemonPlans } from "./daemon_plans.ts";
export { applyRunner } from "./apply_runner.ts";
export { systemClock } from "./system_clock.ts";
export { type ProcessInfo, type SelfCommand, selfCommand } from "./self_command.ts";
