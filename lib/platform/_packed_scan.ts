/**
 * A folder's listing with every entry's lstat, packed into one buffer: written by the thread that makes the
 * system calls (each stat record in place, by the call itself), handed to another thread without a copy,
 * and read there (`Platform.packDir()` / `unpackDir()`). `scanDir()` on one thread goes the same way.
 *
 * Layout, little-endian: u32 state (`PACKED`, or `NOT_PACKED`: the folder could not be read, and the
 * reader reads it itself to get the error as it is), u32 entry count, the folder's stat record; then per
 * entry: u16 name length, u8 entry type (index into `ENTRY_TYPES`), u8 stat ok (1) or failed (0), u32 the
 * failure's errno, the name and a NUL, and when ok the entry's stat record. Records are the C library's
 * (`Libc.statSize` bytes), decoded only where the listing is used.
 *
 * @module
 */

import { nameText } from "./_paths.ts";
import type { EntryType } from "./_types.ts";

const PACKED = 1;
const NOT_PACKED = 0;
const HEADER = 8;
const ENTRY_HEADER = 8;
const ENTRY_TYPES: readonly EntryType[] = [
  "unknown",
  "file",
  "dir",
  "symlink",
  "fifo",
  "socket",
  "chardev",
  "blockdev",
];
const TYPE_CODES = new Map(ENTRY_TYPES.map((type, code) => [type, code]));

/** A buffer that says the folder was not read here (see the module's comment). */
export function notPacked(): Uint8Array<ArrayBuffer> {
  const packed = new Uint8Array(HEADER); // no entries
  packed[0] = NOT_PACKED;
  return packed;
}

/** True unless `packed` is {@link notPacked}. */
export function isPacked(packed: Uint8Array): boolean {
  return packed.length >= HEADER && packed[0] === PACKED;
}

/**
 * Writes one folder's listing. Views it hands out (`folderStat`, `cName`, `statTarget`) stay valid until
 * the next `addEntry()`, which may move the buffer to grow it.
 */
export class PackedScanWriter {
  readonly #statSize: number;
  #bytes: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #length: number;
  #entries = 0;
  /** Where the current entry starts, its name ends (at the NUL) and its stat record starts. */
  #entry = 0;
  #nameEnd = 0;

  /** `buffer` is reused when given (a scan kept on one thread), else one is made to be handed over. */
  constructor(statSize: number, buffer?: Uint8Array<ArrayBuffer>) {
    this.#statSize = statSize;
    this.#bytes = buffer ?? new Uint8Array(Math.max(64 * 1024, HEADER + statSize));
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.#length = HEADER + statSize;
  }

  /** Where the folder's own stat record goes. */
  get folderStat(): Uint8Array {
    return this.#bytes.subarray(HEADER, HEADER + this.#statSize);
  }

  /** Starts an entry named `source[start..end)` (no NUL), with the type the listing gave. */
  addEntry(source: Uint8Array, start: number, end: number, type: EntryType): void {
    const nameLength = end - start;
    this.#reserve(ENTRY_HEADER + nameLength + 1 + this.#statSize);
    const at = this.#length;
    this.#view.setUint16(at, nameLength, true);
    this.#bytes[at + 2] = TYPE_CODES.get(type) ?? 0;
    this.#bytes[at + 3] = 1;
    this.#view.setUint32(at + 4, 0, true);
    this.#bytes.set(source.subarray(start, end), at + ENTRY_HEADER);
    this.#nameEnd = at + ENTRY_HEADER + nameLength;
    this.#bytes[this.#nameEnd] = 0;
    this.#entry = at;
    this.#length = this.#nameEnd + 1 + this.#statSize;
    this.#entries++;
  }

  /** The current entry's name as a C string (with its NUL). */
  get cName(): Uint8Array {
    return this.#bytes.subarray(this.#entry + ENTRY_HEADER, this.#nameEnd + 1);
  }

  /** Where the current entry's stat record goes. */
  get statTarget(): Uint8Array {
    return this.#bytes.subarray(this.#nameEnd + 1, this.#nameEnd + 1 + this.#statSize);
  }

  /** The current entry's stat failed with `errno`: it has no record. */
  statFailed(errno: number): void {
    this.#bytes[this.#entry + 3] = 0;
    this.#view.setUint32(this.#entry + 4, errno, true);
    this.#length = this.#nameEnd + 1;
  }

  /** The listing, as a view onto its buffer (the buffer is what a thread hands over). */
  finish(): Uint8Array<ArrayBuffer> {
    this.#view.setUint32(0, PACKED, true);
    this.#view.setUint32(4, this.#entries, true);
    return this.#bytes.subarray(0, this.#length);
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < this.#length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** One entry as {@link readPackedScan} gives it: `stat` is a view of its record, undefined if it failed. */
export interface PackedEntry {
  name: string;
  type: EntryType;
  stat: DataView | undefined;
  errno: number;
}

/** The folder's stat record of a packed listing. */
export function packedFolderStat(packed: Uint8Array, statSize: number): DataView {
  return new DataView(packed.buffer, packed.byteOffset + HEADER, statSize);
}

/** The entries of a packed listing (see {@link isPacked} first), in the order they were listed. */
export function* readPackedScan(packed: Uint8Array, statSize: number): Generator<PackedEntry> {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const count = view.getUint32(4, true);
  let at = HEADER + statSize;
  for (let i = 0; i < count; i++) {
    const nameLength = view.getUint16(at, true);
    const type = ENTRY_TYPES[packed[at + 2]!] ?? "unknown";
    const ok = packed[at + 3] === 1;
    const errno = view.getUint32(at + 4, true);
    const nameStart = at + ENTRY_HEADER;
    const name = nameOf(packed, nameStart, nameStart + nameLength);
    at = nameStart + nameLength + 1;
    if (ok) {
      yield { name, type, stat: new DataView(packed.buffer, packed.byteOffset + at, statSize), errno };
      at += statSize;
    } else {
      yield { name, type, stat: undefined, errno };
    }
  }
}

/**
 * The name at `bytes[start..end)` as `nameText()` gives it. An ASCII name (most) is made from its char
 * codes: one flat string, no decoder (appending char by char would make a rope of them past 12 characters,
 * kept as long as the name is).
 */
function nameOf(bytes: Uint8Array, start: number, end: number): string {
  let i = start;
  while (i < end && bytes[i]! < 0x80) i++;
  if (i === end) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  return nameText(bytes.subarray(start, end));
}
