/**
 * Repairs of damaged repositories: `kept repair index` rebuilds the index from the packs' own headers;
 * `kept repair packs` salvages the intact blobs of damaged packs; `kept repair snapshots` writes snapshots
 * without what can no longer be read.
 *
 * @module
 */

export {
  applyIndexRepair,
  BLOBS_PER_INDEX_FILE,
  indexFilesOf,
  type IndexRepairPlan,
  type IndexRepairResult,
  type IndexRepairSource,
  type IndexRepairTarget,
  planIndexRepair,
  type RepairedPack,
  type UnreadablePackKept,
} from "./repair_index.ts";
export {
  findPacks,
  type PackRepairResult,
  type PackRepairTarget,
  repairPacks,
  type SalvagedPack,
} from "./repair_packs.ts";
export {
  type Loss,
  REPAIRED_TAG,
  repairSnapshots,
  type SnapshotRepair,
  type SnapshotRepairSource,
  type SnapshotRepairTarget,
  storeRepairs,
  type TreeSaver,
} from "./repair_snapshots.ts";
export { sinkTreeSaver, type TreeStore } from "./tree_saver.ts";
