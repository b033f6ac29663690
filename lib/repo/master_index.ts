/**
 * The in-memory index: which pack holds each blob, built from all index files (docs/format.md#index).
 *
 * Kept in typed arrays rather than one object per blob: a Map of location objects keyed by hex strings
 * cost ~270 bytes a blob in V8 (a repository of a million blobs held 270 MiB before it read a byte).
 * Here every entry of every pack is a row of columns (32-byte id, type, offset, lengths, pack), a pack's
 * entries are consecutive rows, and an open-addressing table of row numbers finds a blob by its id:
 * about 75 bytes a blob.
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

/** Blob id → location, for every blob in every indexed pack. */
export class MasterIndex {
  /** Rows: one per entry of every indexed pack. */
  #rows = 0;
  #ids = new Uint8Array(0);
  #types = new Uint8Array(0);
  #offsets = new Uint32Array(0);
  #lengths = new Uint32Array(0);
  #rawLengths = new Uint32Array(0);
  #packOf = new Uint32Array(0);
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
      hexInto(entry.id, this.#ids, this.#rows * ID_BYTES);
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
        if (!decodeId(id, this.#ids, this.#rows * ID_BYTES)) continue;
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
    this.#types[row] = type;
    this.#offsets[row] = offset;
    this.#lengths[row] = length;
    this.#rawLengths[row] = rawLength;
    this.#packOf[row] = number;
    this.#packRows[number]!.end = this.#rows;
    const slot = this.#find(this.#ids, row * ID_BYTES);
    if (this.#slots[slot] === FREE) {
      this.#slots[slot] = row;
      this.#count++;
    }
  }

  /** Where a blob is, or undefined. */
  lookup(id: string): BlobLocation | undefined {
    const row = this.#rowOf(id);
    if (row === undefined) return undefined;
    return {
      pack: this.#packNames[this.#packOf[row]!]!,
      type: BLOB_TYPES[this.#types[row]!] ?? "data",
      offset: this.#offsets[row]!,
      length: this.#lengths[row]!,
      rawLength: this.#rawLengths[row]!,
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
      entries.push({
        type: BLOB_TYPES[this.#types[row]!] ?? "data",
        id: toHex(this.#ids.subarray(row * ID_BYTES, (row + 1) * ID_BYTES)),
        offset: this.#offsets[row]!,
        length: this.#lengths[row]!,
        rawLength: this.#rawLengths[row]!,
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
    const ids = this.#ids;
    for (const row of this.#slots) if (row !== FREE) visit(ids, row * ID_BYTES);
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
    const base = row * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) if (this.#ids[base + i] !== ids[at + i]) return false;
    return true;
  }

  /** Makes room for `rows` rows, doubling. */
  #growRows(rows: number): void {
    const capacity = this.#types.length;
    if (rows <= capacity) return;
    let next = Math.max(1024, capacity);
    while (next < rows) next *= 2;
    const grow = <T extends Uint8Array | Uint32Array>(old: T, make: (n: number) => T, width = 1): T => {
      const grown = make(next * width);
      grown.set(old);
      return grown;
    };
    this.#ids = grow(this.#ids, (n) => new Uint8Array(n), ID_BYTES);
    this.#types = grow(this.#types, (n) => new Uint8Array(n));
    this.#offsets = grow(this.#offsets, (n) => new Uint32Array(n));
    this.#lengths = grow(this.#lengths, (n) => new Uint32Array(n));
    this.#rawLengths = grow(this.#rawLengths, (n) => new Uint32Array(n));
    this.#packOf = grow(this.#packOf, (n) => new Uint32Array(n));
  }

  /** Keeps the lookup table at most half full for `count` blobs, rebuilding it when it grows. */
  #growSlots(count: number): void {
    if (count * 2 <= this.#slots.length) return;
    let size = Math.max(1024, this.#slots.length);
    while (count * 2 > size) size *= 2;
    const old = this.#slots;
    this.#slots = new Uint32Array(size).fill(FREE);
    for (const row of old) if (row !== FREE) this.#slots[this.#find(this.#ids, row * ID_BYTES)] = row;
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
