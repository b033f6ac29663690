/**
 * Schedules outside kept: a plan's cron schedule as systemd timers and services, or as crontab lines,
 * and installing them so that a later install replaces exactly what an earlier one wrote
 * (docs/scheduling.md).
 *
 * @module
 */

export { expressing, type ScheduledPlan, scheduledPlans } from "./scheduled_plan.ts";
export { onCalendar } from "./on_calendar.ts";
export { crontabFields } from "./crontab_fields.ts";
export { type GeneratedFile, systemdUnits, type UnitOptions } from "./systemd_units.ts";
export { CONFIG_PREFIX, installedFor, MARKER, MARKER_PREFIX, markerLines } from "./marker.ts";
export {
  BLOCK_BEGIN,
  BLOCK_END,
  cronFile,
  cronFileName,
  cronLines,
  type CronOptions,
  cronRunsConfig,
  replaceCronBlock,
} from "./cron_table.ts";
export {
  applyInstall,
  type InstallOwner,
  type InstallStep,
  planFileInstall,
  planStaleRemoval,
  planUnitsInstall,
} from "./install.ts";
export { type CrontabStore, userCrontab } from "./user_crontab.ts";
export { Unexpressible } from "./_cron_fields.ts";
