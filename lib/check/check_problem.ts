/**
 * What `check` finds, as data: each problem names its kind, how bad it is, and the packs, blobs, snapshots,
 * paths or bytes it concerns. Wording them is the caller's (the CLI's) job.
 *
 * @module
 */

/**
 * An error loses data (or will, when it is needed); a warning loses nothing; information is not a problem
 * at all (space prune would free).
 */
export type Severity = "error" | "warning" | "info";

/** A path in a snapshot whose data is damaged or missing: a file's content, or a folder's listing. */
export interface DamagedPath {
  /** The path inside the snapshot ("/" for its root). */
  path: string;
  what: "file" | "folder-listing";
}

/** A pack the index names but storage does not have: every blob in it is lost. */
export interface PackMissing {
  kind: "pack-missing";
  severity: "error";
  pack: string;
}

/**
 * A stored pack no index names. Usually left by a writer or a prune that was killed: it takes space, loses
 * nothing, and prune removes it once it is older than its grace period (information, not a problem). But
 * when snapshots miss data, or an index file was left out, it may hold that data: then it is a warning,
 * `indexMayFix` is true, and `kept repair index` (which describes it from its header) comes first.
 */
export interface PackUnindexed {
  kind: "pack-unindexed";
  severity: "info" | "warning";
  pack: string;
  /** Snapshots miss data or an index file was left out: indexing this pack may mend it. */
  indexMayFix: boolean;
}

/** A pack whose bytes were read and found wrong; only the blobs named are lost. */
export interface PackDamaged {
  kind: "pack-damaged";
  severity: "error";
  pack: string;
  /** Blobs that do not open or lie outside the pack, in pack order. */
  damagedBlobs: string[];
  /** Its SHA-256 is not its name. */
  hashMismatch: boolean;
  /** Its header is damaged (the index can no longer be rebuilt from it). */
  headerDamaged: boolean;
}

/**
 * A stored pack whose size is not the one its index entries imply (restic: "unexpected size"): it was
 * truncated or added to. The blobs that lie beyond its end are lost.
 */
export interface PackSize {
  kind: "pack-size";
  severity: "error";
  pack: string;
  /** Bytes in storage. */
  size: number;
  /** Bytes its index entries imply. */
  expected: number;
}

/**
 * A snapshot, index or key file left out because it is damaged, malformed or too large. A snapshot file
 * is lost; an index file's blobs count as missing (the snapshots needing them are reported); a key file
 * only loses the password it held.
 */
export interface FileDamaged {
  kind: "file-damaged";
  severity: "error" | "warning";
  file: "snapshots" | "index" | "keys";
  name: string;
  reason: string;
}

/** A pack that could not be read at all: every blob in it counts as lost. */
export interface PackUnreadable {
  kind: "pack-unreadable";
  severity: "error";
  pack: string;
  /** Whether storage failed to give its bytes (`io`) or said they are damaged or missing (`integrity`). */
  cause: "io" | "integrity";
  /** Why, in one line. */
  reason: string;
}

/** The snapshots could not be listed or read, so none of them was checked. */
export interface SnapshotsUnreadable {
  kind: "snapshots-unreadable";
  severity: "error";
  reason: string;
}

/** A folder listing holds a name restore refuses ("..", one with a slash): the entry cannot be restored. */
export interface UnsafeName {
  kind: "unsafe-name";
  severity: "error";
  /** The folder listing (tree blob). */
  tree: string;
  /** The folder's path ("/" for the root). */
  path: string;
  name: string;
}

/** A folder listing names one entry twice. */
export interface DuplicateName {
  kind: "duplicate-name";
  severity: "error";
  tree: string;
  path: string;
  name: string;
}

/** A folder listing that is indexed but could not be loaded (damaged, or its pack unreadable). */
export interface TreeUnreadable {
  kind: "tree-unreadable";
  severity: "error";
  tree: string;
  path: string;
  reason: string;
}

/** A snapshot that names damaged or missing data: these paths cannot be restored from it. */
export interface SnapshotDamaged {
  kind: "snapshot-damaged";
  severity: "error";
  snapshot: string;
  paths: DamagedPath[];
}

/**
 * Temporary files of interrupted writes (or of a backup running right now: check cannot tell them apart).
 * They lose nothing; a backup removes them once they are a day old.
 */
export interface Leftovers {
  kind: "leftovers";
  severity: "warning";
  /** Repository-relative paths. */
  files: string[];
  bytes: number;
}

/**
 * Index entries no snapshot needs (their blobs, or a second copy of one), with the stored packs that hold
 * only such entries: the space `kept prune` frees. Reported only when every snapshot could be walked.
 */
export interface UnusedData {
  kind: "unused-data";
  severity: "info";
  /** Index entries no snapshot needs. */
  blobs: number;
  /** Their stored (sealed) bytes. */
  bytes: number;
  /** Stored packs that hold no blob a snapshot needs, sorted. */
  packs: string[];
}

/** Looking for temporary files failed. */
export interface LeftoversUnreadable {
  kind: "leftovers-unreadable";
  severity: "error";
  reason: string;
}

/** One problem `check` found. */
export type CheckProblem =
  | PackMissing
  | PackUnindexed
  | PackDamaged
  | PackUnreadable
  | PackSize
  | FileDamaged
  | SnapshotsUnreadable
  | UnsafeName
  | DuplicateName
  | TreeUnreadable
  | SnapshotDamaged
  | Leftovers
  | LeftoversUnreadable
  | UnusedData;
