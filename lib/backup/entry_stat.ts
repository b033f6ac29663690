/**
 * The part of an entry's lstat that a backup records or compares. A `FileStat` holds four `bigint`s
 * (three times and the inode), and a folder's entries stay in memory until the walk and the workers are
 * done with them: long enough for V8 to move them to its old space. Here every field is a small number:
 * times as whole milliseconds plus the nanoseconds past them, as a tree records them
 * (docs/format.md#trees).
 *
 * @module
 */

import { type CompactStat, compactStat, type FileStat, platform } from "../platform/mod.ts";

/**
 * An entry's type, size, times, permissions, owner and identity: the platform's `CompactStat`. A type the
 * platform's lstat does not name is `unknown` (recorded with its metadata, as restic does).
 */
export type EntryStat = CompactStat;

/**
 * lstat of `path` (a string may carry escaped bytes: see `nameText()`), in compact form. Throws what
 * `platform().lstat()` throws.
 */
export function lstatEntry(path: string): EntryStat {
  return compactStat(platform().lstat(path));
}

/** A platform lstat in compact form. */
export function entryStat(stat: FileStat): EntryStat {
  return compactStat(stat);
}
