/**
 * Restore: a snapshot, or a path in it, written below a target folder with its metadata, every blob
 * verified as it is written. Decide, then do: {@linkcode planRestore} yields what will happen to each
 * entry (a stream a dry run prints), {@linkcode applyRestore} carries it out, {@linkcode restore} does both.
 * docs/restore.md describes the actions and the choices behind them.
 *
 * @module
 */

export {
  type ExportPlanOptions,
  planExport,
  type PlanOptions,
  planRestore,
  type RestorePlan,
  type TreeSource,
} from "./plan_restore.ts";
export { type ExportSource, exportZip, type ZipOptions, type ZipResult } from "./zip_export.ts";
export { type ApplyOptions, applyRestore, type RestoreSource } from "./apply_restore.ts";
export { fallbackMetadataWarning, fallbackRestoreWarning, restore, type RestoreOptions } from "./restore.ts";
export { type IncludeProblem, includeProblem } from "./include_problem.ts";
export { PlanTally } from "./plan_tally.ts";
export { partialNames } from "./partial_names.ts";
export { folderProblem } from "./_target_fs.ts";
export { linkGroup } from "./link_group.ts";
export type {
  EntryError,
  RefusalReason,
  RestoreAction,
  RestoreCounts,
  RestoreEntry,
  RestoreProblem,
  RestoreResult,
  RestoreWarning,
} from "./types.ts";
export { createSpecialFile, splitDeviceNumber } from "./special_files.ts";
