/**
 * The one rule for "this file is unchanged since the parent snapshot", as restic has it: same type,
 * size, modification time, change time, inode and device. Then its content is not read again.
 *
 * @module
 */

import type { TreeNode } from "../repo/mod.ts";
import type { EntryStat } from "./entry_stat.ts";

/**
 * True when the file at `info` can reuse `previous`'s content without being read. `scannedAt` is the
 * time (ms) the parent snapshot's backup started: a file whose recorded change time is not older than
 * that second is "racy" (as git calls it) and always read again, because Deno reports ctime in whole
 * seconds and a rewrite later in that same second would keep every compared field.
 */
export function isUnchanged(previous: TreeNode, info: EntryStat, scannedAt?: number): boolean {
  if (scannedAt !== undefined && (previous.ctime ?? 0) >= Math.floor(scannedAt / 1000) * 1000) return false;
  return previous.type === "file" &&
    info.type === "file" &&
    previous.size === info.size &&
    previous.mtime === info.mtime &&
    previous.ctime === info.ctime &&
    previous.inode === info.ino &&
    previous.device === info.dev;
}

/**
 * True when `info` is a file whose change time says it was written after the parent snapshot's backup
 * started at `scannedAt` (or there is no parent): whatever the parent recorded, it is read again.
 */
export function writtenSince(info: EntryStat, scannedAt: number | undefined): boolean {
  return info.type === "file" &&
    (scannedAt === undefined || info.ctime >= Math.floor(scannedAt / 1000) * 1000);
}
