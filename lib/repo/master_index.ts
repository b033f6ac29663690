/**
 * The in-memory index: which pack holds each blob, built from all index files (docs/format.md#index).
 *
 * Kept in typed arrays rather than one object per blob: a Map of location objects keyed by hex strings
 * cost ~270 bytes a blob in V8 (a repository of a million blobs held 270 MiB before it read a byte).
 * Here every entry of every pack is a row of columns (32-byte id, type, offset, lengths, pack: 49 bytes) in
 * segments of 65,536 rows, a pack's entries are consecutive rows, and an open-addressing table of row numbers
 * finds a blob by its id: 60-80 bytes a blob in all (docs/performance.md#the-index-at-scale).
 *
 * @module
 */

import { hexInto, toHex, tryHexInto } from "../crypto/mod.ts";
import { BLOB_TYPE_CODES, BLOB_TYPES, type BlobType } from "./blob.ts";
import type { PackEntry } from "./pack.ts";
import type { PackId } from "./types.ts";

/** Where one blob is stored. */
export interface BlobLocation {
  pack: PackId;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
}

/** The content of one index file. */
export interface IndexFile {
  version: 1;
  packs: { id: string; blobs: [number, string, number, number, number][] }[];
}

const ID_BYTES = 32;
/** A free slot of the lookup table. */
const FREE = 0xffffffff;
const isUint32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
/** Writes the id spelled by `hex` to `out[at..at+32)`; false (and `out` partly written) when it is not an id. */
function decodeId(hex: string, out: Uint8Array, at: number): boolean {
  return typeof hex === "string" && hex.length === ID_BYTES * 2 && tryHexInto(hex, out, at, true);
}

/** Rows per segment of the columns, as a power of two: see {@link Segment}. */
const SEGMENT_BITS = 16;
const SEGMENT_ROWS = 1 << SEGMENT_BITS;
const SEGMENT_MASK = SEGMENT_ROWS - 1;

/**
 * The columns of up to {@link SEGMENT_ROWS} consecutive rows (3.2 MiB when full). The index grows a
 * segment at a time and never copies one, except the first while it is small: a single set of columns that
 * doubled held up to twice the rows it needed (99 bytes a blob at 10^7 blobs) and, while it grew, the old
 * columns and the new at once (docs/performance.md#the-index-at-scale).
 */
interface Segment {
  ids: Uint8Array;
  types: Uint8Array;
  offsets: Uint32Array;
  lengths: Uint32Array;
  rawLengths: Uint32Array;
  packOf: Uint32Array;
}

function newSegment(rows: number): Segment {
  return {
    ids: new Uint8Array(rows * ID_BYTES),
    types: new Uint8Array(rows),
    offsets: new Uint32Array(rows),
    lengths: new Uint32Array(rows),
    rawLengths: new Uint32Array(rows),
    packOf: new Uint32Array(rows),
  };
}

/** Blob id → location, for every blob in every indexed pack. */
export class MasterIndex {
  /** Rows: one per entry of every indexed pack. Row r is entry `r & SEGMENT_MASK` of segment `r >>> SEGMENT_BITS`. */
  #rows = 0;
  #segments: Segment[] = [];
  /** Rows the segments have room for. */
  #capacity = 0;
  /** Packs by number: name and rows [first, end). */
  #packNames: PackId[] = [];
  #packRows: { first: number; end: number }[] = [];
  #packNumbers = new Map<PackId, number>();
  /** Lookup table: the row of each blob's first location, by id; FREE where empty. */
  #slots = new Uint32Array(0);
  #count = 0;
  /** For lookups by hex id without allocating. */
  #scratch = new Uint8Array(ID_BYTES);

  /** Number of indexed blobs. */
  get size(): number {
    return this.#count;
  }

  /** Records the blobs of one pack. A blob already indexed elsewhere keeps its first location. */
  addPack(pack: PackId, entries: readonly PackEntry[]): void {
    const number = this.#startPack(pack, entries.length);
    for (const entry of entries) {
      const row = this.#rows;
      hexInto(entry.id, this.#segments[row >>> SEGMENT_BITS]!.ids, (row & SEGMENT_MASK) * ID_BYTES);
      this.#addRow(number, BLOB_TYPE_CODES[entry.type], entry.offset, entry.length, entry.rawLength);
    }
  }

  /**
   * Adds everything an index file lists. Entries that no writer of format v1 makes (an id that is not 64
   * lower-case hex digits, a number beyond 32 bits) are left out rather than stored wrong: their blobs
   * then count as missing, which `kept check` reports. Rows are written straight from the file's arrays:
   * an object and a regex per blob made this a microsecond a blob, most of a backup's index load.
   */
  addIndexFile(file: IndexFile): void {
    for (const pack of file.packs) {
      const blobs = pack.blobs;
      const number = this.#startPack(pack.id as PackId, blobs.length);
      for (let i = 0; i < blobs.length; i++) {
        // Indexed, not destructured: this runs once, mostly before V8 optimizes it, where iterators are slow.
        const blob = blobs[i]!;
        const type = blob[0], id = blob[1], offset = blob[2], length = blob[3], rawLength = blob[4];
        if (!isUint32(offset) || !isUint32(length) || !isUint32(rawLength)) continue;
        const row = this.#rows;
        const ids = this.#segments[row >>> SEGMENT_BITS]!.ids;
        if (!decodeId(id, ids, (row & SEGMENT_MASK) * ID_BYTES)) continue;
        this.#addRow(number, BLOB_TYPES[type] === undefined ? 0 : type, offset, length, rawLength);
      }
    }
  }

  /** Makes room for `count` more rows of `pack` and returns its number; a pack listed again keeps its last list. */
  #startPack(pack: PackId, count: number): number {
    this.#growRows(this.#rows + count);
    this.#growSlots(this.#count + count);
    let number = this.#packNumbers.get(pack);
    if (number === undefined) {
      number = this.#packNames.length;
      this.#packNames.push(pack);
      this.#packNumbers.set(pack, number);
    }
    this.#packRows[number] = { first: this.#rows, end: this.#rows };
    return number;
  }

  /** Completes the next row, whose id is already in place, as a blob of pack `number`. */
  #addRow(number: number, type: number, offset: number, length: number, rawLength: number): void {
    const row = this.#rows++;
    const segment = this.#segments[row >>> SEGMENT_BITS]!;
    const at = row & SEGMENT_MASK;
    segment.types[at] = type;
    segment.offsets[at] = offset;
    segment.lengths[at] = length;
    segment.rawLengths[at] = rawLength;
    segment.packOf[at] = number;
    this.#packRows[number]!.end = this.#rows;
    const slot = this.#find(segment.ids, at * ID_BYTES);
    if (this.#slots[slot] === FREE) {
      this.#slots[slot] = row;
      this.#count++;
    }
  }

  /** Where a blob is, or undefined. */
  lookup(id: string): BlobLocation | undefined {
    const row = this.#rowOf(id);
    if (row === undefined) return undefined;
    const segment = this.#segments[row >>> SEGMENT_BITS]!;
    const at = row & SEGMENT_MASK;
    return {
      pack: this.#packNames[segment.packOf[at]!]!,
      type: BLOB_TYPES[segment.types[at]!] ?? "data",
      offset: segment.offsets[at]!,
      length: segment.lengths[at]!,
      rawLength: segment.rawLengths[at]!,
    };
  }

  /** True when the blob is indexed. */
  has(id: string): boolean {
    return this.#rowOf(id) !== undefined;
  }

  /** True when the blob whose id is the 32 bytes `id` is indexed: {@link has} without the hex. */
  hasIdBytes(id: Uint8Array): boolean {
    if (this.#count === 0 || id.length !== ID_BYTES) return false;
    return this.#slots[this.#find(id, 0)] !== FREE;
  }

  /** Ids of every indexed pack. */
  packIds(): IterableIterator<PackId> {
    return this.#packNumbers.keys();
  }

  /** The entries of one pack, as indexed. */
  packEntries(pack: PackId): readonly PackEntry[] | undefined {
    const number = this.#packNumbers.get(pack);
    if (number === undefined) return undefined;
    const { first, end } = this.#packRows[number]!;
    const entries: PackEntry[] = [];
    for (let row = first; row < end; row++) {
      const segment = this.#segments[row >>> SEGMENT_BITS]!;
      const at = row & SEGMENT_MASK;
      entries.push({
        type: BLOB_TYPES[segment.types[at]!] ?? "data",
        id: toHex(segment.ids.subarray(at * ID_BYTES, (at + 1) * ID_BYTES)),
        offset: segment.offsets[at]!,
        length: segment.lengths[at]!,
        rawLength: segment.rawLengths[at]!,
      });
    }
    return entries;
  }

  /**
   * Calls `visit` for every blob with its id as the 32 bytes at `ids[at..at+32)`: a view of the index's
   * own column, to copy from and not to keep. No hex strings: a backup copies every id into the table its
   * workers share, and a string per id cost a microsecond each (a second for a million blobs).
   */
  forEachId(visit: (ids: Uint8Array, at: number) => void): void {
    const segments = this.#segments;
    for (const row of this.#slots) {
      if (row !== FREE) visit(segments[row >>> SEGMENT_BITS]!.ids, (row & SEGMENT_MASK) * ID_BYTES);
    }
  }

  #rowOf(id: string): number | undefined {
    // Decoded here rather than by a regex and hexInto (twice as slow): lookups run once per chunk of
    // every file a backup reuses.
    if (this.#count === 0 || !decodeId(id, this.#scratch, 0)) return undefined;
    const row = this.#slots[this.#find(this.#scratch, 0)]!;
    return row === FREE ? undefined : row;
  }

  /** The slot holding the id at `ids[at..at+32)`, or the free slot where it would go. */
  #find(ids: Uint8Array, at: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    // Ids are keyed hashes: their first bytes are as good as any hash of them.
    let slot = (ids[at]! | (ids[at + 1]! << 8) | (ids[at + 2]! << 16) | (ids[at + 3]! << 24)) & mask;
    for (;;) {
      const row = slots[slot]!;
      if (row === FREE || this.#sameId(row, ids, at)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #sameId(row: number, ids: Uint8Array, at: number): boolean {
    const own = this.#segments[row >>> SEGMENT_BITS]!.ids;
    const base = (row & SEGMENT_MASK) * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (own[base + i] !== ids[at + i]) return false;
    return true;
  }

  /**
   * Makes room for `rows` rows: the first segment doubles from 1,024 rows up to {@link SEGMENT_ROWS} (so a
   * small index stays small), then whole segments are added.
   */
  #growRows(rows: number): void {
    if (rows <= this.#capacity) return;
    if (this.#capacity < SEGMENT_ROWS) {
      let next = Math.max(1024, this.#capacity);
      while (next < rows && next < SEGMENT_ROWS) next *= 2;
      const old = this.#segments[0];
      const first = newSegment(next);
      if (old) {
        first.ids.set(old.ids);
        first.types.set(old.types);
        first.offsets.set(old.offsets);
        first.lengths.set(old.lengths);
        first.rawLengths.set(old.rawLengths);
        first.packOf.set(old.packOf);
      }
      this.#segments[0] = first;
      this.#capacity = next;
    }
    while (this.#capacity < rows) {
      this.#segments.push(newSegment(SEGMENT_ROWS));
      this.#capacity += SEGMENT_ROWS;
    }
  }

  /** Keeps the lookup table at most half full for `count` blobs, rebuilding it when it grows. */
  #growSlots(count: number): void {
    if (count * 2 <= this.#slots.length) return;
    let size = Math.max(1024, this.#slots.length);
    while (count * 2 > size) size *= 2;
    const old = this.#slots;
    this.#slots = new Uint32Array(size).fill(FREE);
    const segments = this.#segments;
    for (const row of old) {
      if (row === FREE) continue;
      this.#slots[this.#find(segments[row >>> SEGMENT_BITS]!.ids, (row & SEGMENT_MASK) * ID_BYTES)] = row;
    }
  }
}

/** Serializes packs and their entries as an index file. */
export function toIndexFile(packs: Iterable<{ id: string; entries: readonly PackEntry[] }>): IndexFile {
  const file: IndexFile = { version: 1, packs: [] };
  for (const pack of packs) {
    file.packs.push({
      id: pack.id,
      blobs: pack.entries.map((e) => [BLOB_TYPE_CODES[e.type], e.id, e.offset, e.length, e.rawLength]),
    });
  }
  return file;
}
