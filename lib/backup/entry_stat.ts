/**
 * The part of an entry's lstat that a backup records or compares. A `Deno.FileInfo` is about 800 bytes
 * (four Dates among them), and a folder's entries stay in memory until the walk and the workers are done
 * with them: long enough for V8 to move them to its old space. In this form a backup of the bench corpus
 * (25,000 files) moves ~16 MiB less there.
 *
 * @module
 */

import type { NodeType } from "../repo/mod.ts";

/** An entry's type, size, times (ms since the epoch), permissions, owner and identity. */
export interface EntryStat {
  /** "other" for a type this platform's lstat does not name. */
  type: NodeType | "other";
  size: number;
  mtime: number;
  ctime: number;
  /** st_mode with the type bits. */
  mode: number;
  uid: number;
  gid: number;
  ino: number;
  dev: number;
  nlink: number;
  rdev: number;
}

/** lstat of `path`, in compact form. Throws as `Deno.lstatSync` does. */
export function lstatEntry(path: string): EntryStat {
  const info = Deno.lstatSync(path);
  return {
    type: entryType(info),
    size: info.size,
    mtime: info.mtime?.getTime() ?? 0,
    ctime: info.ctime?.getTime() ?? 0,
    mode: info.mode ?? 0,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    ino: info.ino ?? 0,
    dev: info.dev,
    nlink: info.nlink ?? 1,
    rdev: info.rdev ?? 0,
  };
}

function entryType(info: Deno.FileInfo): EntryStat["type"] {
  if (info.isFile) return "file";
  if (info.isDirectory) return "dir";
  if (info.isSymlink) return "symlink";
  if (info.isFifo) return "fifo";
  if (info.isSocket) return "socket";
  if (info.isCharDevice) return "chardev";
  if (info.isBlockDevice) return "blockdev";
  return "other";
}
