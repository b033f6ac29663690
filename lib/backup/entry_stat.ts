/**
 * The part of an entry's lstat that a backup records or compares. A `FileStat` holds four `bigint`s
 * (three times and the inode), and a folder's entries stay in memory until the walk and the workers are
 * done with them: long enough for V8 to move them to its old space. Here every field is a small number:
 * times as whole milliseconds plus the nanoseconds past them, as a tree records them
 * (docs/format.md#trees).
 *
 * @module
 */

import { type FileStat, platform } from "../platform/mod.ts";
import type { NodeType } from "../repo/mod.ts";

/** An entry's type, size, times, permissions, owner and identity. */
export interface EntryStat {
  /** "other" for a type this platform's lstat does not name. */
  type: NodeType | "other";
  size: number;
  /** Modification time: milliseconds since the epoch, floored (also before 1970). */
  mtime: number;
  /** Nanoseconds past `mtime`'s millisecond, 0 to 999,999 (always 0 on the fallback platform). */
  mtimeNs: number;
  ctime: number;
  ctimeNs: number;
  /** st_mode with the type bits. */
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  dev: number;
  nlink: number;
  rdev: number;
}

/**
 * lstat of `path` (a string may carry escaped bytes: see `nameText()`), in compact form. Throws what
 * `platform().lstat()` throws.
 */
export function lstatEntry(path: string): EntryStat {
  return entryStat(platform().lstat(path));
}

/** A platform lstat in compact form. */
export function entryStat(stat: FileStat): EntryStat {
  const mtime = floorMs(stat.mtimeNs);
  const ctime = floorMs(stat.ctimeNs);
  return {
    type: stat.type === "unknown" ? "other" : stat.type,
    size: stat.size,
    mtime: Number(mtime),
    mtimeNs: Number(stat.mtimeNs - mtime * MS),
    ctime: Number(ctime),
    ctimeNs: Number(stat.ctimeNs - ctime * MS),
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    ino: Number(stat.ino),
    dev: stat.dev,
    nlink: stat.nlink,
    rdev: stat.rdev,
  };
}

const MS = 1_000_000n;

/** Whole milliseconds of a time in nanoseconds, floored (bigint division truncates toward zero). */
function floorMs(ns: bigint): bigint {
  const ms = ns / MS;
  return ns < 0n && ms * MS !== ns ? ms - 1n : ms;
}
