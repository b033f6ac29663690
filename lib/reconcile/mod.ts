/**
 * Reconcile: plans + state file + the snapshots at each destination + the clock → the actions due, each
 * with its reason (a value `kept plan` prints and `kept apply` carries out). docs/reconcile.md.
 *
 * @module
 */

export {
  type Action,
  type BackupReason,
  type Basis,
  datedAheadAfter,
  type DestinationView,
  isDatedAhead,
  type NextDue,
  nextDue,
  nextRun,
  previousRun,
  reconcile,
  type ReconcileOptions,
  type ReconcileSnapshot,
  type ReconcileState,
  type Schedule,
} from "./reconcile.ts";
export { effectiveSettings, type SettingChange, settingChanges, settingsFingerprint } from "./_settings.ts";
export { surveyDestinations, type SurveyOptions } from "./survey.ts";
export { planActions, type PlanActionsOptions } from "./plan_actions.ts";
export {
  type AppliedAction,
  type ApplyAction,
  type ApplyOptions,
  applyPlans,
  type ApplyReport,
  type ApplySteps,
  type BackupDone,
  type ForgetDone,
  type RunOutcome,
} from "./apply.ts";
export { initRefusal } from "./init_guard.ts";
