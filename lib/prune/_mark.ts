// Marking: every blob the snapshots need, found by walking each snapshot's trees (folder listings and file
// contents). Shared subtrees are walked once.

import { IntegrityError } from "../errors.ts";
import type { BlobId, SnapshotEntry, Tree } from "../repo/mod.ts";

/** What marking reads: folder listings by id. */
export interface TreeLoader {
  loadTree(id: BlobId): Promise<Tree>;
}

/**
 * The ids of every tree and data blob `snapshots` reach.
 *
 * @throws {IntegrityError} naming the snapshot and tree when a folder listing cannot be read: what it
 * reaches is unknown, so nothing may be called unused.
 */
export async function markUsed(
  loader: TreeLoader,
  snapshots: readonly SnapshotEntry[],
): Promise<Set<string>> {
  const used = new Set<string>();
  for (const { id, snapshot } of snapshots) {
    const stack = [snapshot.tree];
    for (let tree = stack.pop(); tree !== undefined; tree = stack.pop()) {
      if (used.has(tree)) continue;
      used.add(tree);
      let listing: Tree;
      try {
        listing = await loader.loadTree(tree);
      } catch (error) {
        throw new IntegrityError(
          `Cannot read tree "${tree.slice(0, 12)}" of snapshot "${id.slice(0, 12)}": ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
      for (const node of listing.nodes) {
        if (node.subtree !== undefined) stack.push(node.subtree);
        for (const blob of node.content ?? []) used.add(blob);
      }
    }
  }
  return used;
}
