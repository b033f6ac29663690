/**
 * The one rule for "this file is unchanged since the parent snapshot", as restic has it: same type,
 * size, modification time, change time, inode and device. Then its content is not read again.
 *
 * @module
 */

import type { TreeNode } from "../repo/types.ts";

/** True when the file at `info` can reuse `previous`'s content without being read. */
export function isUnchanged(previous: TreeNode, info: Deno.FileInfo): boolean {
  return previous.type === "file" &&
    info.isFile &&
    previous.size === info.size &&
    previous.mtime === (info.mtime?.getTime() ?? 0) &&
    previous.ctime === (info.ctime?.getTime() ?? 0) &&
    previous.inode === (info.ino ?? 0) &&
    previous.device === info.dev;
}
