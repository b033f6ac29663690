/**
 * Backup: walk a plan's sources (with excludes), reuse unchanged files from the parent snapshot, chunk and
 * store changed files on all cores, then trees, index and the snapshot.
 *
 * @module
 */

export { backupToDestinations, type BackupToDestinationsOptions } from "./backup_to_destinations.ts";
export {
  backup,
  type BackupOptions,
  type BackupProgress,
  type BackupResult,
  type FileChange,
  LEFTOVER_AGE_MS,
} from "./backup.ts";
export type { BackupSpec } from "./backup_spec.ts";
export { type EntryStat, entryStat, lstatEntry } from "./entry_stat.ts";
export { ExcludeMatcher, type ExcludeRules } from "./excludes.ts";
export {
  type ChangeCheck,
  hasExactTimes,
  isUnchanged,
  RACY_WINDOW_MS,
  writtenSince,
} from "./file_changed.ts";
export { type FolderScan, FolderScans, scanFolder, type ScannedEntry } from "./folder_scan.ts";
