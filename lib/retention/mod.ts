/**
 * Retention: which snapshots a plan's `retention` keeps, with every reason, and which it forgets.
 * A leaf module and a pure function: the caller passes the snapshots, the parsed policy and the time
 * zone. Rules, reason wording and the differences from restic: docs/retention.md.
 *
 * @module
 */

export {
  applyRetention,
  DATED_AHEAD_REASON,
  type KeptSnapshot,
  NEVER_EMPTY_REASON,
  type RetentionGroup,
  type RetentionOptions,
  type RetentionResult,
} from "./_apply_retention.ts";
export {
  groupSnapshots,
  newestFirst,
  type RetentionSnapshot,
  type SnapshotGroup,
} from "./_group_snapshots.ts";
export { type RetentionAge, type RetentionPolicy, UNLIMITED } from "./_policy.ts";
