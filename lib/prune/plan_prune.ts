/**
 * Deciding what `kept prune` does at one repository: which packs it deletes, which it repacks (copying
 * their used blobs to new packs) and which it keeps, with the bytes of each. A value that `--dry-run`
 * prints and {@link applyPrune} carries out. Rules: docs/format.md#prune.
 *
 * @module
 */

import { UserError } from "../errors.ts";
import type { PackEntry, SnapshotEntry } from "../repo/mod.ts";
import { markUsed, type TreeLoader } from "./_mark.ts";
import { compareText } from "../compare_text.ts";

/** Packs per index file prune writes. */
export const PACKS_PER_INDEX = 256;
/**
 * Index files there may be beyond what the kept packs need before prune merges them though nothing else
 * changed: every backup writes at least one, and each is a request on S3 (or a file read) for every
 * command that loads the index.
 */
const SPARE_INDEX_FILES = 16;
/** How long a pack no index names is left alone: it may belong to a backup still writing (a day). */
export const PRUNE_GRACE_MS = 24 * 60 * 60_000;

/** A stored pack as listed: its name, size and the storage's write time (ms since the epoch). */
export interface StoredPack {
  readonly name: string;
  readonly size: number;
  readonly mtime: number;
}

/** What planning reads of a repository (a `Repository` has it all). */
export interface PruneSource extends TreeLoader {
  /** Loads every index file (once); their names are then in `indexFiles`. */
  loadIndex(): Promise<void>;
  readonly indexFiles: readonly string[];
  readonly index: {
    packIds(): Iterable<string>;
    packEntries(pack: string): readonly PackEntry[] | undefined;
  };
  listSnapshots(): Promise<SnapshotEntry[]>;
  readonly packs: { list(): AsyncIterable<StoredPack> };
  /** Whole packs kept in memory while trees are read. */
  cachePacks(packs: number): void;
}

/** Options of {@link planPrune}. */
export interface PlanPruneOptions {
  /**
   * The largest unused share of a pack's blob bytes (0 to 1) that is left as it is; a pack with more is
   * repacked. 0: every pack with an unused blob is repacked; 1: none is.
   */
  readonly maxUnused: number;
  /** The most bytes of packs to repack (largest unused share first); `Infinity` for no limit. */
  readonly maxRepack: number;
  /** The clock, in ms since the epoch: packs no index names are deleted once older than the grace period. */
  readonly now: number;
  /** Default {@link PRUNE_GRACE_MS}. */
  readonly graceMs?: number;
}

/** A number of packs and their stored bytes. */
export interface PackCount {
  readonly packs: number;
  readonly bytes: number;
}

/** A pack to repack: the used blobs to copy out of it. */
export interface RepackPack {
  readonly pack: string;
  /** Stored size of the pack. */
  readonly bytes: number;
  readonly copy: readonly PackEntry[];
}

/** What prune will do at one repository. */
export interface PrunePlan {
  /** Snapshots whose trees were walked. */
  readonly snapshots: number;
  /** Index entries: blobs the snapshots need (one copy each), and entries nothing needs (or extra copies). */
  readonly blobs: { readonly used: number; readonly unused: number };
  /** Indexed packs that hold no used blob: deleted. */
  readonly delete: PackCount & { readonly ids: readonly string[] };
  /** Packs whose unused share is above the limit: their used blobs are copied to new packs, then deleted. */
  readonly repack: PackCount & {
    readonly copyBlobs: number;
    readonly copyBytes: number;
    readonly packList: readonly RepackPack[];
  };
  /** Indexed packs left as they are, with the unused blob bytes they keep holding. */
  readonly keep: PackCount & { readonly unusedBytes: number; readonly ids: readonly string[] };
  /** Stored packs no index names: deleted when older than the grace period, else left alone. */
  readonly unindexed: {
    readonly delete: PackCount & { readonly ids: readonly string[] };
    readonly young: PackCount;
  };
  /** Packs the index names that storage does not have; none of their blobs is needed, so their entries go. */
  readonly missing: readonly string[];
  /**
   * The index files replaced by new ones: all of them when an indexed pack goes, or when there are more
   * than {@linkcode SPARE_INDEX_FILES} beyond what the kept packs need (they are merged); else none.
   */
  readonly indexFiles: readonly string[];
  /** Stored bytes freed: deleted packs, repacked packs less what is copied. */
  readonly freedBytes: number;
}

/**
 * Decides what prune does. Reads, in this order, the index, the snapshots and the stored packs: a backup
 * that finished before the index was read is in all three; one that finished later left packs no loaded
 * index names, which stay (docs/format.md#prune).
 *
 * @throws {IntegrityError} when a folder listing cannot be read; {@linkcode UserError} when blobs the
 * snapshots need are in no stored pack, or an option is out of range. Nothing is deleted either way.
 */
export async function planPrune(source: PruneSource, options: PlanPruneOptions): Promise<PrunePlan> {
  if (!(options.maxUnused >= 0 && options.maxUnused <= 1)) {
    throw new RangeError(`Invalid maxUnused ${options.maxUnused}: must be from 0 to 1`);
  }
  await source.loadIndex();
  const indexFiles = [...source.indexFiles];
  const snapshots = await source.listSnapshots();
  source.cachePacks(4);
  const used = await markUsed(source, snapshots).finally(() => source.cachePacks(0));
  const stored = new Map<string, StoredPack>();
  for await (const entry of source.packs.list()) stored.set(entry.name, entry);
  const packs = choosePacks(source, stored, used);
  const unindexed = unindexedPacks(stored, source, options);
  const decided = decidePacks(packs.usage, options);
  const changed = decided.deleteIds.length + decided.repackList.length + packs.missing.length > 0;
  const needed = Math.ceil((decided.keep.ids.length + decided.repack.packs) / PACKS_PER_INDEX);
  const merge = indexFiles.length > needed + SPARE_INDEX_FILES;
  return {
    snapshots: snapshots.length,
    blobs: { used: used.size, unused: packs.unusedEntries },
    delete: { ...decided.deleted, ids: decided.deleteIds },
    repack: decided.repack,
    keep: decided.keep,
    unindexed,
    missing: packs.missing,
    indexFiles: changed || merge ? indexFiles : [],
    freedBytes: decided.deleted.bytes + decided.repack.bytes - decided.repack.copyBytes +
      unindexed.delete.bytes,
  };
}

/** One stored, indexed pack: its size, and the used blobs chosen to stay in it. */
interface PackUsage {
  pack: string;
  size: number;
  blobBytes: number;
  usedBytes: number;
  copy: PackEntry[];
}

/**
 * Chooses one stored copy of every used blob: in the pack with the largest used share (a pack a killed
 * prune already wrote is wholly used, so it wins over the pack it copies). Packs the index names that
 * storage lacks are `missing`.
 *
 * @throws {UserError} when a used blob is in no stored pack.
 */
function choosePacks(
  source: PruneSource,
  stored: ReadonlyMap<string, StoredPack>,
  used: ReadonlySet<string>,
): { usage: PackUsage[]; missing: string[]; unusedEntries: number } {
  const usage: PackUsage[] = [];
  const missing: string[] = [];
  const share = new Map<string, number>();
  for (const pack of source.index.packIds()) {
    const entries = source.index.packEntries(pack) ?? [];
    const size = stored.get(pack)?.size;
    if (size === undefined) {
      missing.push(pack);
      continue;
    }
    let blobBytes = 0, usedBytes = 0;
    for (const entry of entries) {
      blobBytes += entry.length;
      if (used.has(entry.id)) usedBytes += entry.length;
    }
    usage.push({ pack, size, blobBytes, usedBytes: 0, copy: [] });
    share.set(pack, blobBytes === 0 ? 0 : usedBytes / blobBytes);
  }
  usage.sort((a, b) => share.get(b.pack)! - share.get(a.pack)! || compareText(a.pack, b.pack));
  const placed = new Set<string>();
  let unusedEntries = 0;
  for (const pack of usage) {
    for (const entry of source.index.packEntries(pack.pack) ?? []) {
      if (!used.has(entry.id) || placed.has(entry.id)) {
        unusedEntries++;
        continue;
      }
      placed.add(entry.id);
      pack.usedBytes += entry.length;
      pack.copy.push(entry);
    }
  }
  if (placed.size < used.size) {
    const lost = [...used].find((id) => !placed.has(id))!;
    throw new UserError(
      `Cannot prune: ${used.size - placed.size} blobs the snapshots need are in no stored pack the index ` +
        `names (first: "${lost.slice(0, 12)}"); nothing was deleted`,
      { hint: "run `kept check` to see which snapshots and files are damaged" },
    );
  }
  return { usage, missing: missing.sort(), unusedEntries };
}

/** Stored packs no index names: deleted once older than the grace period (mtime), else left. */
function unindexedPacks(
  stored: ReadonlyMap<string, StoredPack>,
  source: PruneSource,
  options: PlanPruneOptions,
): PrunePlan["unindexed"] {
  const indexed = new Set(source.index.packIds());
  const cutoff = options.now - (options.graceMs ?? PRUNE_GRACE_MS);
  const ids: string[] = [];
  let bytes = 0, youngPacks = 0, youngBytes = 0;
  for (const entry of stored.values()) {
    if (indexed.has(entry.name)) continue;
    if (entry.mtime < cutoff) {
      ids.push(entry.name);
      bytes += entry.size;
    } else {
      youngPacks++;
      youngBytes += entry.size;
    }
  }
  return {
    delete: { packs: ids.length, bytes, ids: ids.sort() },
    young: { packs: youngPacks, bytes: youngBytes },
  };
}

/** Sorts the indexed, stored packs into delete, repack (within `maxRepack`) and keep. */
function decidePacks(usage: readonly PackUsage[], options: PlanPruneOptions) {
  const deleteIds: string[] = [];
  let deletedBytes = 0;
  const candidates: PackUsage[] = [];
  const kept: PackUsage[] = [];
  for (const pack of usage) {
    const unused = pack.blobBytes - pack.usedBytes;
    if (pack.usedBytes === 0) {
      deleteIds.push(pack.pack);
      deletedBytes += pack.size;
    } else if (unused > 0 && unused / pack.blobBytes > options.maxUnused) candidates.push(pack);
    else kept.push(pack);
  }
  const unusedShare = (pack: PackUsage) => (pack.blobBytes - pack.usedBytes) / pack.blobBytes;
  candidates.sort((a, b) => unusedShare(b) - unusedShare(a) || compareText(a.pack, b.pack));
  const repackList: RepackPack[] = [];
  let repackBytes = 0, copyBytes = 0, copyBlobs = 0;
  for (const pack of candidates) {
    if (repackBytes + pack.size > options.maxRepack) {
      kept.push(pack);
      continue;
    }
    repackList.push({ pack: pack.pack, bytes: pack.size, copy: pack.copy });
    repackBytes += pack.size;
    copyBytes += pack.usedBytes;
    copyBlobs += pack.copy.length;
  }
  return {
    deleteIds: deleteIds.sort(),
    deleted: { packs: deleteIds.length, bytes: deletedBytes },
    repackList,
    repack: { packs: repackList.length, bytes: repackBytes, copyBlobs, copyBytes, packList: repackList },
    keep: {
      packs: kept.length,
      bytes: kept.reduce((sum, pack) => sum + pack.size, 0),
      unusedBytes: kept.reduce((sum, pack) => sum + pack.blobBytes - pack.usedBytes, 0),
      ids: kept.map((pack) => pack.pack).sort(),
    },
  };
}
