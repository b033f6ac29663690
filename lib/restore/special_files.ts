/**
 * Recreating FIFOs and device nodes on restore, in a folder handle (never through a symlink put in the
 * way), with their exact mode.
 *
 * @module
 */

import { describePath, type DirHandle } from "../platform/mod.ts";
import type { TreeNode } from "../repo/mod.ts";
import { IoError } from "../workers/mod.ts";

/** Major and minor number of a Linux device number (glibc's gnu_dev_major/gnu_dev_minor). */
export function splitDeviceNumber(rdev: number): { major: number; minor: number } {
  const value = BigInt(rdev);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn);
  const minor = (value & 0xffn) | ((value >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * Creates the FIFO or device node `node` describes as `name` in `dir`, with its mode. Throws an `IoError`
 * with a one-line reason when that is impossible (device nodes need root), and what the file system
 * refused as the platform layer words it.
 */
export function createSpecialFile(node: TreeNode, dir: DirHandle, name: string, isRoot: boolean): void {
  if (node.type === "fifo") return dir.mkfifo(name, node.mode);
  const path = describePath(`${dir.path}/${name}`);
  if (node.type === "chardev" || node.type === "blockdev") {
    if (!isRoot) {
      const kind = node.type === "chardev" ? "character" : "block";
      throw new IoError(`Cannot create device "${path}": ${kind} devices need root`);
    }
    return dir.mknod(name, { type: node.type, mode: node.mode, rdev: node.rdev ?? 0 });
  }
  throw new IoError(`Cannot create "${path}": ${node.type} entries cannot be created`);
}
