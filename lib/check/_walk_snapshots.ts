// Walks every snapshot's trees: each folder listing and file content must be indexed and not damaged, and
// each name one that restore accepts. Finds which paths of which snapshots damage reaches.

import { describeError } from "../errors.ts";
import { type BlobId, isSafeName, type Repository, type SnapshotEntry } from "../repo/mod.ts";
import type { CheckProblem, DamagedPath } from "./check_problem.ts";

/** What the walk shares across snapshots. */
interface Walk {
  repository: Repository;
  /** Blobs known to be damaged or lost (from missing, damaged or unreadable packs). */
  badBlobs: ReadonlySet<string>;
  /** Verdicts of trees walked already (true: clean), so that shared subtrees are walked once. */
  seen: Map<string, boolean>;
  problems: CheckProblem[];
  /** Every tree and data blob the snapshots name. */
  used: Set<string>;
  /** False once a listing could not be read: what it names is unknown, so `used` is not all. */
  complete: boolean;
}

/** What the walk found besides problems. */
export interface WalkResult {
  /** Snapshots walked. */
  snapshots: number;
  /** Every tree and data blob the snapshots name. */
  used: Set<string>;
  /** Whether `used` is complete (every snapshot and folder listing could be read). */
  complete: boolean;
}

/**
 * Checks `snapshots` against the index and `badBlobs`; adds a problem for each damaged listing or name,
 * then one per snapshot that names damaged data. Returns the number of snapshots and the blobs they use.
 * Undefined `snapshots` (they could not be listed) walks nothing, and what is used is then unknown.
 */
export async function walkSnapshots(
  repository: Repository,
  snapshots: readonly SnapshotEntry[] | undefined,
  badBlobs: ReadonlySet<string>,
  problems: CheckProblem[],
): Promise<WalkResult> {
  if (snapshots === undefined) return { snapshots: 0, used: new Set(), complete: false };
  // A damaged snapshot file may have used anything: what the others use is not all that is needed.
  const listedAll = !repository.damagedFiles.some((file) => file.kind === "snapshots");
  const walk: Walk = { repository, badBlobs, seen: new Map(), problems, used: new Set(), complete: true };
  const damaged: CheckProblem[] = [];
  for (const { id, snapshot } of snapshots) {
    const paths: DamagedPath[] = [];
    await walkTree(walk, snapshot.tree, "", paths);
    if (paths.length > 0) damaged.push({ kind: "snapshot-damaged", severity: "error", snapshot: id, paths });
  }
  problems.push(...damaged);
  return { snapshots: snapshots.length, used: walk.used, complete: walk.complete && listedAll };
}

/**
 * Walks a tree: every subtree and data blob must be indexed and not damaged. Collects the paths of affected
 * files in `damaged`; returns whether the tree is clean.
 */
async function walkTree(walk: Walk, treeId: BlobId, path: string, damaged: DamagedPath[]): Promise<boolean> {
  const { repository, badBlobs, seen, problems, used } = walk;
  if (seen.get(treeId) === true) return true;
  used.add(treeId);
  const folder = path || "/";
  if (!repository.index.has(treeId) || badBlobs.has(treeId)) {
    damaged.push({ path: folder, what: "folder-listing" });
    seen.set(treeId, false);
    walk.complete = false;
    return false;
  }
  let clean = true;
  try {
    const tree = await repository.loadTree(treeId);
    const names = new Set<string>();
    for (const node of tree.nodes) {
      const nodePath = `${path}/${node.name}`;
      // Restore refuses these; check says so before anyone needs the snapshot.
      if (!isSafeName(node.name)) {
        problems.push({
          kind: "unsafe-name",
          severity: "error",
          tree: treeId,
          path: folder,
          name: node.name,
        });
        clean = false;
        continue;
      }
      if (names.has(node.name)) {
        problems.push({
          kind: "duplicate-name",
          severity: "error",
          tree: treeId,
          path: folder,
          name: node.name,
        });
        clean = false;
      }
      names.add(node.name);
      if (node.type === "dir" && node.subtree) {
        if (!(await walkTree(walk, node.subtree, nodePath, damaged))) clean = false;
      } else if (node.type === "file") {
        for (const id of node.content ?? []) used.add(id);
        if ((node.content ?? []).some((id) => !repository.index.has(id) || badBlobs.has(id))) {
          damaged.push({ path: nodePath, what: "file" });
          clean = false;
        }
      }
    }
  } catch (error) {
    // Also a listing that authenticates but is malformed (hand-made): a problem of the repository's.
    problems.push({
      kind: "tree-unreadable",
      severity: "error",
      tree: treeId,
      path: folder,
      reason: describeError(error),
    });
    clean = false;
    walk.complete = false;
  }
  seen.set(treeId, clean);
  return clean;
}
