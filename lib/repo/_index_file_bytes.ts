/**
 * Reads an index file's JSON text (docs/format.md#index) straight from its bytes into columns, without
 * `JSON.parse`: parsing made a string and an array per blob (~300 bytes a blob in the heap while a file
 * waited to be added), half of the time to load a large index, and the peak of it (docs/performance.md#the-index-at-scale).
 *
 * Only the exact form kept writes (`JSON.stringify` of the document: no spaces, keys in order, ids in lower
 * case, whole numbers below 2^32) is read here; anything else answers false, and the caller parses the file
 * as JSON, which also leaves out entries no writer makes. So both ways give the same index.
 *
 * @module
 */

import { tryHexBytesInto } from "../crypto/mod.ts";

const ID_BYTES = 32;
const HEX_DIGITS = ID_BYTES * 2;

/** The rows of one index file, in file order, and its packs with how many rows each has. */
export class IndexFileColumns {
  ids = new Uint8Array(0);
  types = new Uint8Array(0);
  offsets = new Uint32Array(0);
  lengths = new Uint32Array(0);
  rawLengths = new Uint32Array(0);
  rows = 0;
  packs: { id: string; rows: number }[] = [];

  /** Empties the columns, keeping their memory for the next file. */
  clear(): void {
    this.rows = 0;
    this.packs = [];
  }

  /** Makes room for one more row. */
  grow(): void {
    if (this.rows < this.types.length) return;
    const size = Math.max(1024, this.types.length * 2);
    const ids = new Uint8Array(size * ID_BYTES);
    ids.set(this.ids);
    this.ids = ids;
    this.types = copyInto(new Uint8Array(size), this.types);
    this.offsets = copyInto(new Uint32Array(size), this.offsets);
    this.lengths = copyInto(new Uint32Array(size), this.lengths);
    this.rawLengths = copyInto(new Uint32Array(size), this.rawLengths);
  }
}

function copyInto<T extends Uint8Array | Uint32Array>(to: T, from: T): T {
  to.set(from);
  return to;
}

const encode = (text: string) => new TextEncoder().encode(text);
const FILE_START = encode('{"version":1,"packs":[');
const PACK_START = encode('{"id":"');
const BLOBS_START = encode('","blobs":[');
const QUOTE = 0x22, COMMA = 0x2c, OPEN = 0x5b, CLOSE = 0x5d, BRACE_CLOSE = 0x7d;

/**
 * Reads `bytes` into `into` (cleared first). False when the text is not in the form kept writes: then
 * `into` holds nothing usable and the caller parses the file as JSON instead.
 */
export function readIndexFileBytes(bytes: Uint8Array, into: IndexFileColumns): boolean {
  into.clear();
  const reader = new Reader(bytes, into);
  try {
    return reader.file();
  } catch (error) {
    if (error === NOT_CANONICAL) return false;
    throw error;
  }
}

/** Thrown inside the reader at the first byte out of form; never leaves it. */
const NOT_CANONICAL = new Error("not in the form kept writes");

class Reader {
  #bytes: Uint8Array;
  #at = 0;
  #into: IndexFileColumns;
  /** Where a pack's id is checked (its string is what the index keeps). */
  #packId = new Uint8Array(ID_BYTES);

  constructor(bytes: Uint8Array, into: IndexFileColumns) {
    this.#bytes = bytes;
    this.#into = into;
  }

  file(): boolean {
    this.#expect(FILE_START);
    if (!this.#skip(CLOSE)) {
      do this.#pack(); while (this.#skip(COMMA));
      this.#byte(CLOSE);
    }
    this.#byte(BRACE_CLOSE);
    return this.#at === this.#bytes.length;
  }

  #pack(): void {
    const into = this.#into;
    this.#expect(PACK_START);
    const idStart = this.#at;
    if (!tryHexBytesInto(this.#bytes, idStart, ID_BYTES, this.#packId, 0)) throw NOT_CANONICAL;
    this.#at += HEX_DIGITS;
    const id = String.fromCharCode(...this.#bytes.subarray(idStart, this.#at));
    this.#expect(BLOBS_START);
    const first = into.rows;
    if (!this.#skip(CLOSE)) {
      do this.#blob(); while (this.#skip(COMMA));
      this.#byte(CLOSE);
    }
    this.#byte(BRACE_CLOSE);
    into.packs.push({ id, rows: into.rows - first });
  }

  /** `[type,"<id>",offset,length,rawLength]` as the next row. */
  #blob(): void {
    const into = this.#into;
    into.grow();
    const row = into.rows;
    this.#byte(OPEN);
    const type = this.#number();
    if (type > 0xff) throw NOT_CANONICAL;
    into.types[row] = type;
    this.#byte(COMMA);
    this.#byte(QUOTE);
    if (!tryHexBytesInto(this.#bytes, this.#at, ID_BYTES, into.ids, row * ID_BYTES)) throw NOT_CANONICAL;
    this.#at += HEX_DIGITS;
    this.#byte(QUOTE);
    this.#byte(COMMA);
    into.offsets[row] = this.#number();
    this.#byte(COMMA);
    into.lengths[row] = this.#number();
    this.#byte(COMMA);
    into.rawLengths[row] = this.#number();
    this.#byte(CLOSE);
    into.rows = row + 1;
  }

  /** A whole number below 2^32, as JSON writes it (no sign, fraction, exponent or leading zero). */
  #number(): number {
    const bytes = this.#bytes;
    const start = this.#at;
    let value = 0;
    let at = start;
    for (; at < bytes.length; at++) {
      const digit = bytes[at]! - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    const digits = at - start;
    if (digits === 0 || digits > 10 || value > 0xffffffff || (digits > 1 && bytes[start] === 0x30)) {
      throw NOT_CANONICAL;
    }
    this.#at = at;
    return value;
  }

  #byte(expected: number): void {
    if (this.#bytes[this.#at] !== expected) throw NOT_CANONICAL;
    this.#at++;
  }

  #skip(byte: number): boolean {
    if (this.#bytes[this.#at] !== byte) return false;
    this.#at++;
    return true;
  }

  #expect(text: Uint8Array): void {
    const bytes = this.#bytes;
    for (let i = 0; i < text.length; i++) if (bytes[this.#at + i] !== text[i]) throw NOT_CANONICAL;
    this.#at += text.length;
  }
}
