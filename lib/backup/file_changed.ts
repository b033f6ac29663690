/**
 * The one rule for "this file is unchanged since the parent snapshot", as restic has it: same type,
 * size, modification time, change time, inode and device. Then its content is not read again.
 *
 * @module
 */

import type { TreeNode } from "../repo/mod.ts";
import type { EntryStat } from "./entry_stat.ts";

/** What {@link isUnchanged} needs to know besides the two entries. */
export interface ChangeCheck {
  /** When the parent snapshot's backup started (ms): files changed around then are "racy" (see below). */
  scannedAt?: number | undefined;
  /** True when `info`'s times are exact to the nanosecond (the FFI platform); otherwise milliseconds. */
  exactTimes?: boolean;
  /**
   * True when `previous`'s times are known to be exact (its snapshot says so): a ctime on a whole second,
   * as file systems that store seconds and trees unpacked from archives or container images have, is then
   * compared to the nanosecond too, instead of being taken for a time cut to the second.
   */
  exactPrevious?: boolean;
}

/**
 * The kernel stamps a change with a clock that ticks every few milliseconds (1-10 ms with HZ 100-1000): a
 * rewrite within the same tick as the parent's scan keeps the ctime that scan recorded.
 */
export const RACY_WINDOW_MS = 20;

/**
 * True when the file at `info` can reuse `previous`'s content without being read.
 *
 * Times compare to the nanosecond when both sides have them: `previous` does when it records a
 * nanosecond part or a ctime that is not whole seconds (Deno's API, before the platform layer, gave ctime
 * in seconds), `info` when `exactTimes`. Otherwise they compare at the coarser side's precision, so that a
 * snapshot made without nanoseconds does not make the next backup read everything again.
 *
 * A file whose recorded change time is not older than the parent's scan (`scannedAt`) is "racy" (as git
 * calls it) and always read again: a rewrite right after the scan may have kept every compared field.
 * With ctime in whole seconds that is the scan's whole second; with exact ctimes, {@link RACY_WINDOW_MS}.
 */
export function isUnchanged(previous: TreeNode, info: EntryStat, check: ChangeCheck = {}): boolean {
  if (previous.type !== "file" || info.type !== "file") return false;
  const previousCtime = previous.ctime ?? 0;
  const exactPrevious = check.exactPrevious === true || hasExactTimes(previous);
  const { scannedAt } = check;
  if (scannedAt !== undefined) {
    const racyFrom = exactPrevious ? scannedAt - RACY_WINDOW_MS : wholeSecond(scannedAt);
    if (previousCtime >= racyFrom) return false;
  }
  if (
    previous.size !== info.size || previous.mtime !== info.mtime || previous.inode !== info.ino ||
    previous.device !== info.dev
  ) {
    return false;
  }
  if (exactPrevious && check.exactTimes) {
    return previousCtime === info.ctime && (previous.mtimeNs ?? 0) === info.mtimeNs &&
      (previous.ctimeNs ?? 0) === info.ctimeNs;
  }
  // Whole seconds on one side: compare both to the second.
  return wholeSecond(previousCtime) === wholeSecond(info.ctime);
}

/**
 * True when `node` was recorded with nanosecond times (by the FFI platform): it has a nanosecond part, or
 * a ctime that is not whole seconds (Deno's API, and the fallback platform, give ctime in seconds). A file
 * whose ctime fell on a whole second exactly reads as not exact: compared in seconds, which is safe.
 */
export function hasExactTimes(node: TreeNode): boolean {
  return node.mtimeNs !== undefined || node.ctimeNs !== undefined || (node.ctime ?? 0) % 1000 !== 0;
}

/**
 * True when `info` is a file whose change time says it was written after the parent snapshot's backup
 * started at `scannedAt` (or there is no parent): whatever the parent recorded, it is read again. Whole
 * seconds, whatever the precision: it only decides whether to start the workers early.
 */
export function writtenSince(info: EntryStat, scannedAt: number | undefined): boolean {
  return info.type === "file" &&
    (scannedAt === undefined || info.ctime >= wholeSecond(scannedAt));
}

/** `ms` floored to its whole second. */
function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
