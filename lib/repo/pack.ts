/**
 * Pack files: many sealed blobs followed by a sealed header that lists them, so that the index can
 * always be rebuilt from the packs alone (docs/format.md#packs).
 *
 * @module
 */

import { open, seal, sha256Hex, toHex } from "../crypto/mod.ts";
import { BLOB_TYPE_CODES, BLOB_TYPES, type BlobType } from "./blob.ts";

/** One blob inside a pack. `length` is the sealed size; `rawLength` the plaintext size. */
export interface PackEntry {
  type: BlobType;
  id: string;
  offset: number;
  length: number;
  rawLength: number;
}

const ENTRY_BYTES = 1 + 32 + 4 + 4;
const TRAILER_BYTES = 4;

/** A finished pack: its bytes, its id (SHA-256 of the bytes) and what it holds. */
export interface FinishedPack {
  id: string;
  bytes: Uint8Array;
  entries: PackEntry[];
}

/**
 * Collects sealed blobs into one pack file. Blobs are copied into one growing buffer as they come, so
 * the caller's copy can be freed at once and finishing needs no second copy of the whole pack.
 */
export class PackBuilder {
  #buffer: Uint8Array;
  #entries: { type: BlobType; id: Uint8Array; length: number; rawLength: number }[] = [];
  #size = 0;

  /** `buffer`: where to build the pack (reused between packs: fresh memory is slow to touch). */
  constructor(buffer: Uint8Array = new Uint8Array(1024 * 1024)) {
    this.#buffer = buffer;
  }

  /** Bytes of blob data collected so far. */
  get size(): number {
    return this.#size;
  }

  /** Number of blobs collected so far. */
  get count(): number {
    return this.#entries.length;
  }

  /** Adds (copies) a sealed blob with its 32-byte id. */
  add(type: BlobType, id: Uint8Array, sealed: Uint8Array, rawLength: number): void {
    this.#reserve(sealed.length);
    this.#buffer.set(sealed, this.#size);
    this.#entries.push({ type, id, length: sealed.length, rawLength });
    this.#size += sealed.length;
  }

  #reserve(extra: number): void {
    if (this.#size + extra <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#size + extra, this.#buffer.length * 2));
    grown.set(this.#buffer.subarray(0, this.#size));
    this.#buffer = grown;
  }

  /** Builds the pack file: blobs, sealed header, header length. The builder must not be used after. */
  finish(key: Uint8Array): FinishedPack {
    const header = new Uint8Array(this.#entries.length * ENTRY_BYTES);
    const view = new DataView(header.buffer);
    const entries: PackEntry[] = [];
    let offset = 0;
    this.#entries.forEach((entry, i) => {
      const at = i * ENTRY_BYTES;
      header[at] = BLOB_TYPE_CODES[entry.type];
      header.set(entry.id, at + 1);
      view.setUint32(at + 33, entry.length, true);
      view.setUint32(at + 37, entry.rawLength, true);
      entries.push({
        type: entry.type,
        id: toHex(entry.id),
        offset,
        length: entry.length,
        rawLength: entry.rawLength,
      });
      offset += entry.length;
    });
    const sealedHeader = seal(key, header);
    this.#reserve(sealedHeader.length + TRAILER_BYTES);
    const buffer = this.#buffer;
    buffer.set(sealedHeader, offset);
    const end = offset + sealedHeader.length + TRAILER_BYTES;
    new DataView(buffer.buffer).setUint32(end - TRAILER_BYTES, sealedHeader.length, true);
    const bytes = buffer.subarray(0, end);
    return { id: sha256Hex(bytes), bytes, entries };
  }
}

/**
 * Reads the header of a whole pack file. Returns undefined when the trailer or header is damaged or
 * does not authenticate.
 */
export function readPackHeader(key: Uint8Array, bytes: Uint8Array): PackEntry[] | undefined {
  if (bytes.length < TRAILER_BYTES) return undefined;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(
    bytes.length - TRAILER_BYTES,
    true,
  );
  const headerStart = bytes.length - TRAILER_BYTES - headerLength;
  if (headerStart < 0) return undefined;
  const header = open(key, bytes.subarray(headerStart, bytes.length - TRAILER_BYTES));
  if (!header || header.length % ENTRY_BYTES !== 0) return undefined;
  const view = new DataView(header.buffer, header.byteOffset, header.length);
  const entries: PackEntry[] = [];
  let offset = 0;
  for (let at = 0; at < header.length; at += ENTRY_BYTES) {
    const type = BLOB_TYPES[header[at]!];
    if (!type) return undefined;
    const length = view.getUint32(at + 33, true);
    entries.push({
      type,
      id: toHex(header.subarray(at + 1, at + 33)),
      offset,
      length,
      rawLength: view.getUint32(at + 37, true),
    });
    offset += length;
  }
  return offset === headerStart ? entries : undefined;
}
