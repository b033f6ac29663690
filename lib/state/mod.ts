/**
 * The state file: runs, last successes, settings fingerprints and each destination's snapshot list, in
 * SQLite. A cache and a journal, never the only copy of anything (docs/reconcile.md#the-state-file).
 *
 * @module
 */

export {
  type CachedSnapshot,
  type LastSuccess,
  type OpenStateOptions,
  type RunEnd,
  type RunRecord,
  type RunResult,
  type SettingsFingerprint,
  type SnapshotCache,
  StateFile,
  StateFileError,
} from "./state_file.ts";
export { SCHEMA_VERSION } from "./_schema.ts";
export { lockStateFile, type StateLock, type StateLockOptions } from "./apply_lock.ts";
