/**
 * The documents stored in a repository: snapshots and trees (docs/format.md#snapshots, #trees).
 *
 * @module
 */

/** What a backup did, recorded in its snapshot. */
export interface SnapshotStats {
  files: number;
  dirs: number;
  /** Sum of the sizes of all files in the snapshot. */
  bytes: number;
  newFiles: number;
  changedFiles: number;
  unchangedFiles: number;
  /** Folders whose entries all match the parent snapshot's: their listing is reused, not stored again. */
  unchangedDirs: number;
  /** Blobs and sealed bytes this backup added to the repository. */
  addedBlobs: number;
  addedBytes: number;
  /** Files or folders that could not be read and were left out. */
  skipped: number;
  durationMs: number;
}

/** Stats with every count at zero, for a backup to fill in. */
export function emptySnapshotStats(): SnapshotStats {
  return {
    files: 0,
    dirs: 0,
    bytes: 0,
    newFiles: 0,
    changedFiles: 0,
    unchangedFiles: 0,
    unchangedDirs: 0,
    addedBlobs: 0,
    addedBytes: 0,
    skipped: 0,
    durationMs: 0,
  };
}

/**
 * The id of a blob (file content or tree): the hex of its keyed hash (docs/format.md#blobs). Ids of different
 * kinds, and paths, are all strings; their types keep them apart (`asBlobId` and its kin mark a string read
 * from a trusted place).
 */
export type BlobId = string & { readonly __brand: "BlobId" };
/** The id of a pack file: the hex SHA-256 of its bytes, also its name in storage. */
export type PackId = string & { readonly __brand: "PackId" };
/** The id of a snapshot: the hex SHA-256 of its stored file, also its name. */
export type SnapshotId = string & { readonly __brand: "SnapshotId" };

/** Marks a string as a blob id (read from a tree, the index or a caller that knows). */
export const asBlobId = (id: string): BlobId => id as BlobId;
/** Marks a string as a pack id. */
export const asPackId = (id: string): PackId => id as PackId;
/** Marks a string as a snapshot id. */
export const asSnapshotId = (id: string): SnapshotId => id as SnapshotId;

/** A snapshot document. Written last: it only ever names data that is already stored. */
export interface Snapshot {
  version: 1;
  time: string;
  /**
   * When the backup really started, where `--time` recorded it under another `time`: the next backup's
   * change detection compares with it. Absent otherwise (and in snapshots of older kept): then `time`.
   */
  started?: string;
  host: string;
  username: string;
  plan: string;
  destination: string;
  tags: string[];
  paths: string[];
  tree: BlobId;
  parent?: SnapshotId;
  /** The damaged snapshot this one was written in place of (`kept repair snapshots`, tag "repaired"). */
  repairedFrom?: SnapshotId;
  /**
   * Every file's times were read to the nanosecond (the C library platform): a time on a whole second is a
   * whole second, not a time cut to it. Absent in snapshots from the fallback platform and older kept.
   */
  exactTimes?: true;
  program: string;
  stats: SnapshotStats;
}

/** File types a tree records. */
export type NodeType = "file" | "dir" | "symlink" | "fifo" | "socket" | "chardev" | "blockdev";

/** One entry of a folder. */
export interface TreeNode {
  /**
   * One path component. Bytes that are not valid UTF-8 are carried as lone surrogates U+DC80-U+DCFF (one
   * per byte: `nameText()` and `pathBytes()` of the platform layer convert); docs/format.md#names.
   */
  name: string;
  type: NodeType;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  /** Modification time in milliseconds since the epoch (may be negative): the whole milliseconds, floored. */
  mtime: number;
  /** Nanoseconds past `mtime`'s millisecond, 1 to 999,999; absent when 0 (and in snapshots before it was kept). */
  mtimeNs?: number;
  /** Change time, as `mtime` (files only: the next backup's change detection). */
  ctime?: number;
  ctimeNs?: number;
  uid: number;
  gid: number;
  /** Owner and group names where the system has them (restore sets the numeric ids, as tar and restic do). */
  user?: string;
  group?: string;
  size?: number;
  inode?: number;
  device?: number;
  /** Hard-link count when above 1: restore links entries with the same device and inode. */
  links?: number;
  /** Data blob ids, in order (files). */
  content?: BlobId[];
  /** Tree blob id (folders). */
  subtree?: BlobId;
  /** Link target (symlinks), with bytes that are not UTF-8 carried as `name` carries them. */
  target?: string;
  /** Device number (character and block devices). */
  rdev?: number;
  /** Extended attributes, sorted by name; absent when there are none. */
  xattrs?: NodeXattr[];
}

/** An extended attribute of a node: its name (escaped as `TreeNode.name` is) and its value in base64. */
export interface NodeXattr {
  name: string;
  value: string;
}

/** A folder: its entries sorted by name. */
export interface Tree {
  nodes: TreeNode[];
}

/**
 * A name that is one path component: no separators, not `.`/`..`, not empty, no NUL. Anything else in a
 * tree is damage or an attack (docs/format.md#restore-safety).
 */
export function isSafeName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\0");
}

/**
 * True for the name of a file the repository stores (a pack, index, snapshot, key or lock): the 64
 * lower-case hex digits of its SHA-256 (docs/format.md). Anything else in its folders is not its own.
 */
export function isStoredFileName(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name);
}
