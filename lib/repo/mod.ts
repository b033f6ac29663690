/**
 * The repository (docs/format.md): config, keys, index, sealed blobs in packs, snapshots and trees over a
 * backend; and the blobs → packs → index write path that backup (and later prune's repack) store through.
 *
 * @module
 */

export {
  type DamagedFile,
  type DamagedFilePolicy,
  type EarlyUnlock,
  type InitOptions,
  mapLimit,
  matchesFilter,
  META_MAX_BYTES,
  type OpenOptions,
  Repository,
  type SnapshotEntry,
  type SnapshotFilter,
  unlockEarly,
} from "./repository.ts";
export {
  CHUNKER_BOUNDS,
  CHUNKER_V1,
  CONFIG_MAX_BYTES,
  NoRepositoryError,
  readConfig,
  type RepositoryConfig,
} from "./config.ts";
export {
  BlobOpener,
  blobReadError,
  type BlobType,
  decodeBlob,
  DEFAULT_COMPRESSION_LEVEL,
  encodeBlob,
  encodeBlobParts,
  openBlob,
} from "./blob.ts";
export {
  addKey,
  KDF_BOUNDS,
  KEY_FILE_MAX_BYTES,
  type KeyFile,
  type KeyMeta,
  type ListedKey,
  listKeys,
  type MasterKeys,
  WrongPasswordError,
} from "./keys.ts";
export { type BlobLocation, type IndexFile, MasterIndex, toIndexFile } from "./master_index.ts";
export type { SharedIds } from "./_id_table.ts";
export { headerLengthOf, type PackEntry, packSizeOf, readPackHeader } from "./pack.ts";
export { PACK_SIZE, PackSink, type PackStore, type Release } from "./pack_sink.ts";
export { PackReader } from "./pack_reader.ts";
export { resolveTreePath, type TreePath } from "./tree_path.ts";
export {
  asBlobId,
  asPackId,
  asSnapshotId,
  type BlobId,
  emptySnapshotStats,
  isSafeName,
  type NodeType,
  type NodeXattr,
  type PackId,
  type Snapshot,
  type SnapshotId,
  type SnapshotStats,
  type Tree,
  type TreeNode,
} from "./types.ts";
export {
  acquireLock,
  type AcquireOptions,
  conflicts,
  type ListedLock,
  LISTING_LAG_MS,
  listLocks,
  LOCK_REFRESH_MS,
  LOCK_STALE_MS,
  LockConflictError,
  type LockFile,
  type LockKind,
  LockLostError,
  type LockOwner,
  type LockStore,
  LockUnreadableError,
  removeLocks,
  RepositoryLock,
  type StaleReason,
  staleReason,
} from "./lock.ts";
