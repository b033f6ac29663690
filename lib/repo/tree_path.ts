/**
 * Finds a path inside a snapshot's trees: the one walk that `ls`, restore's `--path` and later `find` share.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import type { BlobId, Tree, TreeNode } from "./types.ts";

/** What a path inside a snapshot names. */
export interface TreePath {
  /** The path's parts: `/etc/ssh/` is ["etc", "ssh"]; empty for the root. */
  parts: string[];
  /** The entry at the path; undefined for the root, which is a tree without an entry of its own. */
  node: TreeNode | undefined;
}

/**
 * Walks from the snapshot's root tree along `path` ("/" or "" is the root; "." parts are skipped). Throws a
 * `UserError` when the path is not in the snapshot or passes through an entry that is not a folder.
 */
export async function resolveTreePath(
  loadTree: (id: BlobId) => Promise<Tree>,
  root: BlobId,
  path: string,
): Promise<TreePath> {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  let treeId = root;
  let node: TreeNode | undefined;
  for (const [i, part] of parts.entries()) {
    if (node && (node.type !== "dir" || !node.subtree)) {
      throw new UserError(`Path "/${parts.slice(0, i).join("/")}" is not a folder`);
    }
    if (node) treeId = node.subtree!;
    node = (await loadTree(treeId)).nodes.find((entry) => entry.name === part);
    if (!node) throw new UserError(`Path "${path}" is not in the snapshot`);
  }
  return { parts, node };
}
