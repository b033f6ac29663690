/**
 * The in-memory index: which pack holds each blob, built from all index files (docs/format.md#index).
 *
 * Kept in typed arrays rather than one object per blob: a Map of location objects keyed by hex strings
 * cost ~270 bytes a blob in V8 (a repository of a million blobs held 270 MiB before it read a byte).
 * Every entry of every pack is a row, in segments of 65,536 rows: its 32-byte id, its offset and two lengths
 * in 24 bits each (the rare larger value aside), and one bit for its type; a pack's entries are consecutive
 * rows, so a row's pack is found from where each pack's rows start. A table of row numbers finds a blob by
 * its id (`_id_table.ts`). About 50 bytes a blob in all (docs/performance.md#the-index-at-scale).
 *
 * @module
 */

import { hexInto, toHex, tryHexInto } from "../crypto/mod.ts";
import { BLOB_TYPE_CODES, type BlobType } from "./blob.ts";
import { type PackEntry, packSizeFrom } from "./pack.ts";
import type { PackId } from "./types.ts";
import { IndexFileColumns, readIndexFileBytes } from "./_index_file_bytes.ts";
import {
  findSlot,
  FREE,
  ID_BYTES,
  MAX_ROWS,
  ROW_MASK,
  SEGMENT_BITS,
  SEGMENT_MASK,
  SEGMENT_ROWS,
  type SharedIds,
  slotValue,
} from "./_id_table.ts";
import { PackTable } from "./_pack_table.ts";
import { UserError } from "../errors.ts";

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

const isUint32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
/** Writes the id spelled by `hex` to `out[at..at+32)`; false (and `out` partly written) when it is not an id. */
function decodeId(hex: string, out: Uint8Array, at: number): boolean {
  return typeof hex === "string" && hex.length === ID_BYTES * 2 && tryHexInto(hex, out, at, true);
}

const TREE = BLOB_TYPE_CODES.tree;
/** Bytes of a row's place in its pack: offset, length and raw length, 24 bits each. */
const PLACE_BYTES = 9;
/** A 24-bit field's value that says the row's place is in {@link MasterIndex}'s overflow map. */
const LARGE = 0xffffff;

/**
 * The columns of up to {@link SEGMENT_ROWS} consecutive rows (2.6 MiB when full). The index grows a
 * segment at a time and never copies one, except the first while it is small: a single set of columns that
 * doubled held up to twice the rows it needed and, while it grew, the old columns and the new at once
 * (docs/performance.md#the-index-at-scale).
 */
interface Segment {
  /** Shared, as the lookup table is: chunk workers read both (`SharedIds`). */
  ids: Uint8Array;
  places: Uint8Array;
  /** One bit a row: set for a tree blob. */
  trees: Uint8Array;
}

function newSegment(rows: number): Segment {
  return {
    ids: new Uint8Array(new SharedArrayBuffer(rows * ID_BYTES)),
    places: new Uint8Array(rows * PLACE_BYTES),
    trees: new Uint8Array(rows >>> 3),
  };
}

/** Blob id → location, for every blob in every indexed pack. */
export class MasterIndex {
  /** Rows: one per entry of every indexed pack. Row r is entry `r & SEGMENT_MASK` of segment `r >>> SEGMENT_BITS`. */
  #rows = 0;
  #segments: Segment[] = [];
  /** Each segment's ids column, for lookups (`_id_table.ts`). */
  #idSegments: Uint8Array[] = [];
  /** Rows the segments have room for. */
  #capacity = 0;
  /** Places with a value of 2^24 - 1 or more, by row (a tree blob or a pack beyond 16 MiB). */
  #largePlaces = new Map<number, [offset: number, length: number, rawLength: number]>();
  #packs = new PackTable();
  /**
   * Runs of rows, each of one pack, in row order: run i starts at row `#runStarts[i]`. A pack listed again
   * gets a run of new rows; its old rows keep their pack.
   */
  #runStarts = new Uint32Array(64);
  #runPacks = new Uint32Array(64);
  #runs = 0;
  /** Lookup table (`_id_table.ts`): the row of each blob's first location, by id. */
  #slots: Uint32Array = new Uint32Array(0);
  #count = 0;
  /** For lookups by hex id without allocating. */
  #scratch = new Uint8Array(ID_BYTES);

  /** Number of indexed blobs. */
  get size(): number {
    return this.#count;
  }

  /** Bytes of shared memory the index holds: not in V8's heap statistics (`Deno.memoryUsage`). */
  get sharedBytes(): number {
    return this.#idSegments.reduce((sum, ids) => sum + ids.byteLength, 0) + this.#slots.byteLength;
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
   * Adds an index file from its JSON text, read without `JSON.parse` when it is in the form kept writes
   * (`_index_file_bytes.ts`). False, with nothing added, when it is not: then parse it and use
   * {@link addIndexFile}, which gives the same rows. `file` is where the text is read to first: pass one
   * for all the files of a load (it grows to a file's rows, ~2.5 MiB for 50,000), not to keep it.
   */
  addIndexFileBytes(text: Uint8Array, file = new IndexFileColumns()): boolean {
    if (!readIndexFileBytes(text, file)) return false;
    let from = 0;
    for (const pack of file.packs) {
      const number = this.#startPack(pack.id as PackId, pack.rows);
      for (const end = from + pack.rows; from < end; from++) {
        const row = this.#rows;
        const ids = this.#segments[row >>> SEGMENT_BITS]!.ids;
        const at = (row & SEGMENT_MASK) * ID_BYTES, fromAt = from * ID_BYTES;
        for (let i = 0; i < ID_BYTES; i++) ids[at + i] = file.ids[fromAt + i]!;
        this.#addRow(
          number,
          file.types[from]!,
          file.offsets[from]!,
          file.lengths[from]!,
          file.rawLengths[from]!,
        );
      }
    }
    file.clear();
    return true;
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
        this.#addRow(number, type, offset, length, rawLength);
      }
    }
  }

  /** Makes room for `count` more rows of `pack` and returns its number; a pack listed again keeps its last list. */
  #startPack(pack: PackId, count: number): number {
    this.#growRows(this.#rows + count);
    this.#growSlots(this.#count + count);
    const number = this.#packs.add(pack);
    this.#packs.setRows(number, this.#rows, this.#rows);
    if (this.#runs === this.#runStarts.length) {
      this.#runStarts = grown(this.#runStarts);
      this.#runPacks = grown(this.#runPacks);
    }
    this.#runStarts[this.#runs] = this.#rows;
    this.#runPacks[this.#runs++] = number;
    return number;
  }

  /** Completes the next row, whose id is already in place, as a blob of pack `number`. */
  #addRow(number: number, type: number, offset: number, length: number, rawLength: number): void {
    const row = this.#rows++;
    const segment = this.#segments[row >>> SEGMENT_BITS]!;
    const at = row & SEGMENT_MASK;
    if (type === TREE) segment.trees[at >>> 3]! |= 1 << (at & 7);
    const places = segment.places, placeAt = at * PLACE_BYTES;
    if (offset < LARGE && length < LARGE && rawLength < LARGE) {
      put24(places, placeAt, offset);
      put24(places, placeAt + 3, length);
      put24(places, placeAt + 6, rawLength);
    } else {
      put24(places, placeAt, LARGE);
      this.#largePlaces.set(row, [offset, length, rawLength]);
    }
    this.#packs.setRows(number, this.#packs.first(number), this.#rows);
    const ids = segment.ids, idAt = at * ID_BYTES;
    const slot = findSlot(this.#slots, this.#idSegments, ids, idAt, row);
    if (slot < 0) {
      this.#slots[-1 - slot] = slotValue(row, ids, idAt);
      this.#count++;
    }
  }

  /** Where a blob is, or undefined. */
  lookup(id: string): BlobLocation | undefined {
    const row = this.#rowOf(id);
    return row === undefined ? undefined : this.#location(row, this.#packs.idOf(this.#packOf(row)));
  }

  /** Row `row`'s location, in pack `pack`. */
  #location(row: number, pack: PackId): BlobLocation {
    const segment = this.#segments[row >>> SEGMENT_BITS]!;
    const at = row & SEGMENT_MASK;
    const type = this.#typeOf(row);
    const places = segment.places, placeAt = at * PLACE_BYTES;
    const offset = get24(places, placeAt);
    if (offset === LARGE) {
      const [offset, length, rawLength] = this.#largePlaces.get(row)!;
      return { pack, type, offset, length, rawLength };
    }
    return { pack, type, offset, length: get24(places, placeAt + 3), rawLength: get24(places, placeAt + 6) };
  }

  /** The number of the pack whose run holds `row`: the last run that starts at or before it. */
  #packOf(row: number): number {
    const starts = this.#runStarts;
    let low = 0, high = this.#runs; // the run is in [low, high)
    while (high - low > 1) {
      const middle = (low + high) >>> 1;
      if (starts[middle]! <= row) low = middle;
      else high = middle;
    }
    return this.#runPacks[low]!;
  }

  /** True when the blob is indexed. */
  has(id: string): boolean {
    return this.#rowOf(id) !== undefined;
  }

  /** True when the blob whose id is the 32 bytes `id` is indexed: {@link has} without the hex. */
  hasIdBytes(id: Uint8Array): boolean {
    if (this.#count === 0 || id.length !== ID_BYTES) return false;
    return findSlot(this.#slots, this.#idSegments, id, 0, this.#rows) >= 0;
  }

  /** Ids of every indexed pack. */
  *packIds(): IterableIterator<PackId> {
    for (let number = 0; number < this.#packs.count; number++) yield this.#packs.idOf(number);
  }

  /** The entries of one pack, as indexed. */
  packEntries(pack: PackId): readonly PackEntry[] | undefined {
    const number = this.#packs.numberOf(pack);
    if (number === undefined) return undefined;
    const entries: PackEntry[] = [];
    for (let row = this.#packs.first(number), end = this.#packs.end(number); row < end; row++) {
      const { type, offset, length, rawLength } = this.#location(row, pack);
      const at = row & SEGMENT_MASK;
      const id = toHex(this.#idSegments[row >>> SEGMENT_BITS]!.subarray(at * ID_BYTES, (at + 1) * ID_BYTES));
      entries.push({ type, id, offset, length, rawLength });
    }
    return entries;
  }

  /** The type of a pack's first entry (packs hold one type), or undefined for a pack not indexed or empty. */
  packType(pack: PackId): BlobType | undefined {
    const number = this.#packs.numberOf(pack);
    if (number === undefined || this.#packs.end(number) === this.#packs.first(number)) return undefined;
    return this.#typeOf(this.#packs.first(number));
  }

  #typeOf(row: number): BlobType {
    const at = row & SEGMENT_MASK;
    return (this.#segments[row >>> SEGMENT_BITS]!.trees[at >>> 3]! >>> (at & 7)) & 1 ? "tree" : "data";
  }

  /**
   * The size of a pack's file as its entries give it (`packSizeOf`), or undefined for a pack not indexed:
   * without an object per entry, for a progress total over every pack.
   */
  packSize(pack: PackId): number | undefined {
    const number = this.#packs.numberOf(pack);
    if (number === undefined) return undefined;
    const first = this.#packs.first(number), end = this.#packs.end(number);
    let blobsEnd = 0;
    for (let row = first; row < end; row++) {
      const places = this.#segments[row >>> SEGMENT_BITS]!.places, at = (row & SEGMENT_MASK) * PLACE_BYTES;
      const offset = get24(places, at);
      const [start, length] = offset === LARGE
        ? this.#largePlaces.get(row)!
        : [offset, get24(places, at + 3)];
      blobsEnd = Math.max(blobsEnd, start + length);
    }
    return packSizeFrom(blobsEnd, end - first);
  }

  /**
   * The ids indexed now, for chunk workers to look up in this index's own shared memory (`_id_table.ts`):
   * what they see does not change when blobs are added later.
   */
  sharedIds(): SharedIds {
    return { slots: this.#slots, segments: [...this.#idSegments], rows: this.#rows };
  }

  #rowOf(id: string): number | undefined {
    // Decoded here rather than by a regex and hexInto (twice as slow): lookups run once per chunk of
    // every file a backup reuses.
    if (this.#count === 0 || !decodeId(id, this.#scratch, 0)) return undefined;
    const slot = findSlot(this.#slots, this.#idSegments, this.#scratch, 0, this.#rows);
    return slot < 0 ? undefined : this.#slots[slot]! & ROW_MASK;
  }

  /**
   * Makes room for `rows` rows: the first segment doubles from 1,024 rows up to {@link SEGMENT_ROWS} (so a
   * small index stays small), then whole segments are added.
   */
  #growRows(rows: number): void {
    if (rows <= this.#capacity) return;
    if (rows > MAX_ROWS) {
      throw new UserError(
        `Cannot load the index: kept holds at most ${MAX_ROWS.toLocaleString("en")} blob entries`,
      );
    }
    if (this.#capacity < SEGMENT_ROWS) {
      let next = Math.max(1024, this.#capacity);
      while (next < rows && next < SEGMENT_ROWS) next *= 2;
      const old = this.#segments[0];
      const first = newSegment(next);
      if (old) {
        first.ids.set(old.ids);
        first.places.set(old.places);
        first.trees.set(old.trees);
      }
      this.#segments[0] = first;
      this.#idSegments[0] = first.ids;
      this.#capacity = next;
    }
    while (this.#capacity < rows) {
      const segment = newSegment(SEGMENT_ROWS);
      this.#segments.push(segment);
      this.#idSegments.push(segment.ids);
      this.#capacity += SEGMENT_ROWS;
    }
  }

  /** Keeps the lookup table at most three quarters full for `count` blobs, rebuilding it when it grows. */
  #growSlots(count: number): void {
    if (count * 4 <= this.#slots.length * 3) return;
    let size = Math.max(1024, this.#slots.length);
    while (count * 4 > size * 3) size *= 2;
    const slots = new Uint32Array(new SharedArrayBuffer(size * Uint32Array.BYTES_PER_ELEMENT)).fill(FREE);
    // Rows again in order, so the ids are read one after another (from the old table, each was a cache
    // miss); the first row of each id wins, as when they were added.
    const segments = this.#idSegments;
    for (let row = 0; row < this.#rows; row++) {
      const ids = segments[row >>> SEGMENT_BITS]!, at = (row & SEGMENT_MASK) * ID_BYTES;
      const slot = findSlot(slots, segments, ids, at, row);
      if (slot < 0) slots[-1 - slot] = slotValue(row, ids, at);
    }
    this.#slots = slots;
  }
}

function put24(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
}

function get24(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
}

/** `array` copied into one twice as long. */
function grown(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const larger = new Uint32Array(array.length * 2);
  larger.set(array);
  return larger;
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
