/**
 * `kept repair index`: rebuilds the index from the packs that are really stored. Every pack describes its
 * own blobs in its header (docs/format.md#packs), so the index can always be made again: a pack the index
 * describes at the size it has keeps its entries; any other pack (not indexed, indexed at another size, or
 * all of them with `readAllPacks`) is described from its header; entries of packs that are gone are
 * dropped, so that the next backup stores their blobs again instead of pointing at nothing.
 *
 * A pack whose header cannot be read but which the old index describes (truncated, say) keeps the old
 * entries that lie within it: those blobs may well be intact, and `kept repair packs` needs them indexed to
 * salvage them. Only entries past its end, whose bytes are gone, are dropped. Nothing that may be intact
 * leaves the index.
 *
 * Deciding (planIndexRepair) is apart from writing (applyIndexRepair), so that `--dry-run` shows the plan.
 * The new index files are written before the old ones are removed: a crash in between leaves entries twice,
 * which readers accept (docs/format.md#index), never none.
 *
 * @module
 */

import {
  asPackId,
  headerLengthOf,
  type IndexFile,
  mapLimit,
  type PackEntry,
  type PackId,
  type PackReader,
  packSizeOf,
  readPackHeader,
  toIndexFile,
} from "../repo/mod.ts";
import { compareText } from "../compare_text.ts";

/** What planning a repair reads: the index as loaded, the stored packs, the key that opens pack headers. */
export interface IndexRepairSource {
  readonly index: {
    packIds(): Iterable<PackId>;
    packEntries(pack: PackId): readonly PackEntry[] | undefined;
  };
  readonly packs: Pick<PackReader, "list" | "read">;
  /** Every index file stored now, readable or damaged: the repair replaces them all. */
  readonly indexFiles: readonly string[];
  /** The key pack headers are sealed with. */
  headerKey(): Uint8Array;
}

/** A stored pack and the blobs the new index gives it. */
export interface RepairedPack {
  id: PackId;
  entries: readonly PackEntry[];
  /** Where its entries come from. */
  from: "index" | "header";
}

/**
 * A stored pack whose header cannot be read, described by the old index at another size than it has: it
 * keeps the old entries that lie within it (their blobs may be intact, `kept repair packs` finds out).
 */
export interface UnreadablePackKept {
  pack: PackId;
  /** Bytes in storage. */
  size: number;
  /** Why its header cannot be read. */
  reason: string;
  /** Old entries kept: they lie within the pack. */
  kept: number;
  /** Old entries dropped: they lie (partly) past its end. */
  dropped: number;
}

/** What a repair will do. */
export interface IndexRepairPlan {
  /** Every stored pack whose blobs are known, in name order. */
  packs: RepairedPack[];
  /**
   * Stored packs whose header cannot be read and that the old index does not describe: left out of the
   * index (prune removes them after a day).
   */
  unreadable: { pack: PackId; size: number; reason: string }[];
  /**
   * Stored packs whose header cannot be read but that the old index describes: in `packs` with the old
   * entries that lie within them (`from: "index"`); `kept repair packs` salvages their intact blobs.
   */
  damaged: UnreadablePackKept[];
  /** Packs the index names that are not stored: their entries are dropped. */
  missing: { pack: PackId; blobs: number }[];
  /** The index files replaced. */
  oldIndexFiles: readonly string[];
}

/** What a repair did. */
export interface IndexRepairResult {
  indexFilesWritten: number;
  indexFilesRemoved: number;
}

/** How many blob entries go into one new index file at most (a few MiB of JSON). */
export const BLOBS_PER_INDEX_FILE = 50_000;
/** Pack tails read at once from remote storage. */
const READS_IN_FLIGHT = 8;
/** The tail read first: most headers fit, so one read per pack suffices. */
const TAIL_BYTES = 64 * 1024;

/** Works out the new index; reads nothing but pack listings and, where needed, pack tails. */
export async function planIndexRepair(
  source: IndexRepairSource,
  options: { readAllPacks?: boolean } = {},
): Promise<IndexRepairPlan> {
  const stored = new Map<PackId, { size: number }>();
  for await (const entry of source.packs.list()) stored.set(asPackId(entry.name), entry);
  const missing = [...source.index.packIds()]
    .filter((pack) => !stored.has(pack))
    .map((pack) => ({ pack, blobs: source.index.packEntries(pack)?.length ?? 0 }))
    .sort((a, b) => compareText(a.pack, b.pack));
  const names = [...stored.keys()].sort();
  const described = await mapLimit(names, READS_IN_FLIGHT, (pack) => {
    const indexed = source.index.packEntries(pack);
    if (!options.readAllPacks && indexed && packSizeOf(indexed) === stored.get(pack)!.size) {
      return Promise.resolve<Described>({ entries: indexed, from: "index" });
    }
    return describeFromHeader(source, pack, stored.get(pack)!.size);
  });
  const plan: IndexRepairPlan = {
    packs: [],
    unreadable: [],
    damaged: [],
    missing,
    oldIndexFiles: source.indexFiles,
  };
  described.forEach((result, i) => {
    const pack = names[i]!;
    if (!("reason" in result)) {
      plan.packs.push({ id: pack, ...result });
      return;
    }
    const size = stored.get(pack)!.size;
    const indexed = source.index.packEntries(pack) ?? [];
    const within = indexed.filter((entry) => entry.offset + entry.length <= size);
    if (within.length === 0) {
      plan.unreadable.push({ pack, size, reason: result.reason });
      return;
    }
    plan.packs.push({ id: pack, entries: within, from: "index" });
    plan.damaged.push({
      pack,
      size,
      reason: result.reason,
      kept: within.length,
      dropped: indexed.length - within.length,
    });
  });
  return plan;
}

type Described = { entries: readonly PackEntry[]; from: "index" | "header" } | { reason: string };

/** A pack's blobs from its own header, or why they cannot be had. */
async function describeFromHeader(source: IndexRepairSource, pack: PackId, size: number): Promise<Described> {
  if (size < 4) return { reason: `it holds ${size} bytes, too few for a pack` };
  try {
    let tail = await source.packs.read(pack, {
      offset: size - Math.min(size, TAIL_BYTES),
      length: Math.min(size, TAIL_BYTES),
    });
    const headerLength = headerLengthOf(tail);
    if (headerLength + 4 > size) return { reason: "its header length points before its start" };
    if (headerLength + 4 > tail.length) {
      tail = await source.packs.read(pack, { offset: size - headerLength - 4, length: headerLength + 4 });
    }
    const entries = readPackHeader(source.headerKey(), tail, size);
    if (entries === undefined) {
      return { reason: "its header is damaged or was not written with this repository's key" };
    }
    if (packSizeOf(entries) !== size) {
      return { reason: `its header describes ${packSizeOf(entries)} bytes, it holds ${size}` };
    }
    return { entries, from: "header" };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Where the new index files are written and the old ones removed. */
export interface IndexRepairTarget {
  writeMeta(kind: "index", value: IndexFile): Promise<string>;
  removeIndexFile(name: string): Promise<void>;
}

/** Writes the new index files of `plan.packs`, then removes `plan.oldIndexFiles`. */
export async function applyIndexRepair(
  target: IndexRepairTarget,
  plan: Pick<IndexRepairPlan, "packs" | "oldIndexFiles">,
): Promise<IndexRepairResult> {
  let written = 0;
  for (const file of indexFilesOf(plan.packs)) {
    await target.writeMeta("index", file);
    written++;
  }
  for (const name of plan.oldIndexFiles) await target.removeIndexFile(name);
  return { indexFilesWritten: written, indexFilesRemoved: plan.oldIndexFiles.length };
}

/** The packs in index files of at most {@linkcode BLOBS_PER_INDEX_FILE} blobs each (a pack is never split). */
export function* indexFilesOf(packs: readonly RepairedPack[]): Generator<IndexFile> {
  let batch: RepairedPack[] = [];
  let blobs = 0;
  for (const pack of packs) {
    if (batch.length > 0 && blobs + pack.entries.length > BLOBS_PER_INDEX_FILE) {
      yield toIndexFile(batch);
      batch = [];
      blobs = 0;
    }
    batch.push(pack);
    blobs += pack.entries.length;
  }
  if (batch.length > 0) yield toIndexFile(batch);
}
