/**
 * Pack files: many sealed blobs followed by a sealed header that lists them, so that the index can
 * always be rebuilt from the packs alone (docs/format.md#packs).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { FileWriter } from "../backends/mod.ts";
import { open, seal, SEAL_OVERHEAD, sha256Hex, toHex } from "../crypto/mod.ts";
import type { PackId } from "./types.ts";
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
  id: PackId;
  bytes: Uint8Array;
  entries: PackEntry[];
}

/**
 * Collects sealed blobs into one pack file. Blobs are copied into one growing buffer as they come, so
 * the caller's copy can be freed at once and finishing needs no second copy of the whole pack.
 */
export class PackBuilder {
  #buffer: Uint8Array;
  #entries: PackedBlob[] = [];
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
    const tail = packTail(key, this.#entries);
    this.#reserve(tail.length);
    this.#buffer.set(tail, this.#size);
    const bytes = this.#buffer.subarray(0, this.#size + tail.length);
    return { id: sha256Hex(bytes) as PackId, bytes, entries: indexEntries(this.#entries) };
  }
}

/** A blob as a pack lists it: its sealed length and id; offsets follow from the order. */
interface PackedBlob {
  type: BlobType;
  id: Uint8Array;
  length: number;
  rawLength: number;
}

/** The end of a pack file: the sealed header listing `blobs`, then the header's length (4 bytes, LE). */
function packTail(key: Uint8Array, blobs: readonly PackedBlob[]): Uint8Array {
  const header = new Uint8Array(blobs.length * ENTRY_BYTES);
  const view = new DataView(header.buffer);
  blobs.forEach((blob, i) => {
    const at = i * ENTRY_BYTES;
    header[at] = BLOB_TYPE_CODES[blob.type];
    header.set(blob.id, at + 1);
    view.setUint32(at + 33, blob.length, true);
    view.setUint32(at + 37, blob.rawLength, true);
  });
  const sealedHeader = seal(key, header);
  const tail = new Uint8Array(sealedHeader.length + TRAILER_BYTES);
  tail.set(sealedHeader);
  new DataView(tail.buffer).setUint32(sealedHeader.length, sealedHeader.length, true);
  return tail;
}

/** The index's entries for blobs packed in this order from offset 0. */
function indexEntries(blobs: readonly PackedBlob[]): PackEntry[] {
  let offset = 0;
  return blobs.map((blob) => {
    const entry = {
      type: blob.type,
      id: toHex(blob.id),
      offset,
      length: blob.length,
      rawLength: blob.rawLength,
    };
    offset += blob.length;
    return entry;
  });
}

/** A pack whose bytes went to a {@link FileWriter}: its id and entries; commit the writer as `id`. */
export interface WrittenPack {
  id: PackId;
  entries: PackEntry[];
}

/**
 * Writes one pack file through to a {@link FileWriter} as blobs come, by way of a small staging buffer,
 * hashing it on the way: the same bytes as {@link PackBuilder}, without holding the whole pack.
 */
export class PackWriter {
  #writer: FileWriter;
  #hash = createHash("sha256");
  #staging: Uint8Array;
  #staged = 0;
  #blobs: PackedBlob[] = [];
  #size = 0;

  /** `staging`: the buffer blobs are gathered in before they are written (reused between packs). */
  constructor(writer: FileWriter, staging: Uint8Array) {
    this.#writer = writer;
    this.#staging = staging;
  }

  /** Bytes of blob data written so far. */
  get size(): number {
    return this.#size;
  }

  /** Number of blobs written so far. */
  get count(): number {
    return this.#blobs.length;
  }

  /** Adds (copies) a sealed blob with its 32-byte id; the caller may reuse `sealed` at once. */
  add(type: BlobType, id: Uint8Array, sealed: Uint8Array, rawLength: number): void {
    this.#append(sealed);
    this.#blobs.push({ type, id, length: sealed.length, rawLength });
    this.#size += sealed.length;
  }

  /** Writes the header and trailer; the staging buffer is free again. Then {@link commit} as the id. */
  finish(key: Uint8Array): WrittenPack {
    this.#append(packTail(key, this.#blobs));
    this.#writeStaged();
    return { id: this.#hash.digest("hex") as PackId, entries: indexEntries(this.#blobs) };
  }

  /** Stores the finished pack under its id. */
  commit(id: PackId): Promise<void> {
    return this.#writer.commit(id);
  }

  /** Drops the pack. */
  abort(): Promise<void> {
    return this.#writer.abort();
  }

  #append(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length;) {
      if (this.#staged === this.#staging.length) this.#writeStaged();
      const take = Math.min(bytes.length - done, this.#staging.length - this.#staged);
      this.#staging.set(bytes.subarray(done, done + take), this.#staged);
      this.#staged += take;
      done += take;
    }
  }

  #writeStaged(): void {
    const staged = this.#staging.subarray(0, this.#staged);
    this.#hash.update(staged);
    this.#writer.write(staged);
    this.#staged = 0;
  }
}

/**
 * The size of a pack holding exactly `entries` (as the index lists them, in pack order): its blobs, the
 * sealed header of 41 bytes an entry, and the 4-byte trailer (docs/format.md#packs).
 */
export function packSizeOf(entries: readonly PackEntry[]): number {
  let end = 0;
  for (const entry of entries) end = Math.max(end, entry.offset + entry.length);
  return packSizeFrom(end, entries.length);
}

/** {@link packSizeOf} from where its last blob ends and how many entries it has. */
export function packSizeFrom(blobsEnd: number, entries: number): number {
  return blobsEnd + SEAL_OVERHEAD + entries * ENTRY_BYTES + TRAILER_BYTES;
}

/**
 * The length of the sealed header that a pack's last bytes give in their trailer (the last 4 bytes,
 * little-endian: docs/format.md#packs). `tail` must hold at least the trailer.
 */
export function headerLengthOf(tail: Uint8Array): number {
  return new DataView(tail.buffer, tail.byteOffset, tail.length).getUint32(tail.length - TRAILER_BYTES, true);
}

/**
 * Reads the header of a pack file from its bytes, or from its last bytes (at least the header and the
 * trailer) and its size. Returns undefined when the trailer or header is damaged or does not authenticate.
 */
export function readPackHeader(
  key: Uint8Array,
  bytes: Uint8Array,
  packSize = bytes.length,
): PackEntry[] | undefined {
  if (bytes.length < TRAILER_BYTES) return undefined;
  const headerLength = headerLengthOf(bytes);
  if (bytes.length - TRAILER_BYTES - headerLength < 0) return undefined;
  const headerStart = packSize - TRAILER_BYTES - headerLength;
  const header = open(
    key,
    bytes.subarray(bytes.length - TRAILER_BYTES - headerLength, bytes.length - TRAILER_BYTES),
  );
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
