/**
 * The index's lookup table of blob ids, as both the index and the chunk workers read it. The index keeps
 * its ids and its table in `SharedArrayBuffer`s, so a worker asks the index's own memory whether the
 * repository has a chunk: copying every id into a table of the workers' own cost 64-128 bytes a blob (1 GiB
 * at ten million blobs, beside the index). This module imports nothing, for the workers' start-up.
 *
 * The table is open addressing with linear probing, at most three quarters full. A slot holds a row number
 * (28 bits) and 4 bits of the id it names: a probe that passes another id's slot then reads that id's 32
 * bytes (a cache miss, somewhere in hundreds of megabytes) once in 16 times, so the table can be fuller
 * than half (4-11 bytes a blob instead of 8-16) at about the same cost per lookup.
 *
 * @module
 */

export const ID_BYTES = 32;
/** A free slot of the lookup table. */
export const FREE = 0xffffffff;
/** Bits of a slot that hold the row; the rest hold bits of the id. */
export const ROW_BITS = 28;
export const ROW_MASK = (1 << ROW_BITS) - 1;
/** Rows the index can hold: one less than a full row field, whose value with every id bit set is FREE. */
export const MAX_ROWS = ROW_MASK;
/** Rows per segment of the index's columns, as a power of two. */
export const SEGMENT_BITS = 16;
export const SEGMENT_ROWS = 1 << SEGMENT_BITS;
export const SEGMENT_MASK = SEGMENT_ROWS - 1;

/**
 * What a worker needs to look ids up: the table, each segment's ids, and how many rows there were when it
 * was taken. Rows added later (the index grows while a backup runs) are not the worker's to see: a worker
 * takes them for unknown ids and the main thread, which checks every chunk again before storing it, drops
 * the duplicate.
 */
export interface SharedIds {
  slots: Uint32Array;
  segments: Uint8Array[];
  rows: number;
}

/** The slot where the search for the id at `ids[at..at+32)` starts: ids are keyed hashes, as good as any hash. */
export function homeSlot(ids: Uint8Array, at: number, mask: number): number {
  return (ids[at]! | (ids[at + 1]! << 8) | (ids[at + 2]! << 16) | (ids[at + 3]! << 24)) & mask;
}

/** The slot's value for row `row` holding the id at `ids[at..at+32)`. */
export function slotValue(row: number, ids: Uint8Array, at: number): number {
  return (row | ((ids[at + 4]! & 0xf) << ROW_BITS)) >>> 0;
}

/**
 * The slot of the id at `ids[at..at+32)` in `slots`; when it is not there, `-1 - slot` of the free slot
 * where it would go (one answer from one read: the main thread may fill that slot a moment later). Rows
 * from `rows` on are passed over as if another id's.
 */
export function findSlot(
  slots: Uint32Array,
  segments: readonly Uint8Array[],
  ids: Uint8Array,
  at: number,
  rows: number,
): number {
  const mask = slots.length - 1;
  const tag = ids[at + 4]! & 0xf;
  for (let slot = homeSlot(ids, at, mask);; slot = (slot + 1) & mask) {
    const value = slots[slot]!;
    if (value === FREE) return -1 - slot;
    const row = value & ROW_MASK;
    if (value >>> ROW_BITS === tag && row < rows && rowHasId(segments, row, ids, at)) return slot;
  }
}

/** True when row `row` holds the id at `ids[at..at+32)`. */
function rowHasId(segments: readonly Uint8Array[], row: number, ids: Uint8Array, at: number): boolean {
  const own = segments[row >>> SEGMENT_BITS]!;
  const base = (row & SEGMENT_MASK) * ID_BYTES;
  for (let i = 0; i < ID_BYTES; i++) if (own[base + i] !== ids[at + i]) return false;
  return true;
}

/** Looks 32-byte ids up in the index's shared table, as it was when {@link SharedIds} was taken. */
export class SharedIdSet {
  #shared: SharedIds;

  constructor(shared: SharedIds) {
    this.#shared = shared;
  }

  /** True when the 32-byte id was indexed. */
  has(id: Uint8Array): boolean {
    const { slots, segments, rows } = this.#shared;
    // The main thread may fill free slots meanwhile (aligned 32-bit reads of shared memory do not tear):
    // their rows are beyond `rows`.
    return slots.length > 0 && findSlot(slots, segments, id, 0, rows) >= 0;
  }
}
