/**
 * Prune: frees the space of data no snapshot needs. {@linkcode planPrune} marks every blob the snapshots
 * reach and decides which packs are deleted, repacked and kept (a plan value that `--dry-run` prints);
 * {@linkcode applyPrune} carries it out in a crash-safe order (docs/format.md#prune). Run it under an
 * exclusive lock.
 *
 * @module
 */

export {
  type PackCount,
  planPrune,
  type PlanPruneOptions,
  PRUNE_GRACE_MS,
  type PrunePlan,
  type PruneSource,
  type RepackPack,
  type StoredPack,
} from "./plan_prune.ts";
export {
  applyPrune,
  type ApplyPruneOptions,
  type PruneResult,
  type PruneStep,
  type PruneTarget,
} from "./apply_prune.ts";
