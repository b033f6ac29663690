// Hard-link groups of a snapshot: files linked to each other when they were backed up.

import type { TreeNode } from "../repo/mod.ts";

/**
 * The hard-link group of a file linked elsewhere in the snapshot (`device:inode` as backed up), or
 * undefined for one with a single name: a restore writes a group's first file and links the others to it.
 */
export function linkGroup(node: TreeNode): string | undefined {
  return node.links !== undefined && node.links > 1 ? `${node.device}:${node.inode}` : undefined;
}
