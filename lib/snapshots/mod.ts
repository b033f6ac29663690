/**
 * Browsing snapshots: list a tree's entries, compare two trees.
 *
 * @module
 */

export {
  type Change,
  diffTrees,
  type ListedEntry,
  listTree,
  type TreeLoader,
  UnreadableFolderError,
} from "./browse.ts";
export { listSnapshotsAt } from "./list_snapshots.ts";
