/**
 * Check: a repository's structure (index, snapshots, trees) and, on request, every blob of its packs. The
 * result is data (typed problems); the CLI words it.
 *
 * @module
 */

export { check, type CheckOptions, type CheckResult } from "./check.ts";
export type { ReadProgress } from "./_read_packs.ts";
export type {
  CheckProblem,
  DamagedPath,
  DuplicateName,
  FileDamaged,
  Leftovers,
  LeftoversUnreadable,
  PackDamaged,
  PackMissing,
  PackSize,
  PackUnindexed,
  PackUnreadable,
  Severity,
  SnapshotDamaged,
  SnapshotsUnreadable,
  TreeUnreadable,
  UnsafeName,
  UnusedData,
} from "./check_problem.ts";
