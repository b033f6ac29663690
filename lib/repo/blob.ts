/**
 * Blobs: the unit of deduplication. A blob is sealed as `seal(encoding byte ‖ body)`, where the body is
 * the plaintext or its zstd compression (docs/format.md#blobs).
 *
 * @module
 */

import { zstdDecompressSync } from "node:zlib";
import {
  blobIdBytes,
  BlobIdStream,
  CIPHER_PIECE_BYTES,
  NONCE_BYTES,
  open,
  OpenStream,
  seal,
  SEAL_OVERHEAD,
  TAG_BYTES,
  toHex,
} from "../crypto/mod.ts";
import { IntegrityError } from "../errors.ts";
import { discard } from "../memory.ts";
import { ZstdCompressor, ZstdDecompressor, ZstdPieceDecompressor } from "./zstd.ts";
import { parametersForSize } from "./_zstd_levels.ts";

/** What a blob holds: file content or a serialized tree. */
export type BlobType = "data" | "tree";

/** Numeric codes of blob types in pack headers. */
export const BLOB_TYPE_CODES: Record<BlobType, number> = { data: 0, tree: 1 };
/** Blob types by their numeric code. */
export const BLOB_TYPES: readonly BlobType[] = ["data", "tree"];

const RAW = 0;
const ZSTD = 1;

/**
 * zstd level for data and trees. Level 1 rather than zstd's default 3: on the bench corpus an initial
 * backup takes 9 % less CPU than at level 2 (and a fifth less than at 3) for a repository 1 % larger
 * (2 %), see docs/performance.md. It still compresses far better than lz4, borg's default.
 */
export const DEFAULT_COMPRESSION_LEVEL = 1;

/** Data that does not shrink to this fraction is stored raw: decompressing it would cost for nothing. */
const WORTH_COMPRESSING = 0.97;

/** Compressors of this thread by level and parameters: encodeBlob seals each result before it compresses the next. */
const compressors = new Map<string, ZstdCompressor>();

/**
 * The compressor for `size` bytes at `level`. A reused zstd context is not told how large its next
 * input is; inputs up to 256 KiB get the parameters zstd picks when it knows the size (window and tables
 * sized to the input): small files compress faster, into about the same size.
 */
function compressor(level: number, size: number): ZstdCompressor {
  const parameters = parametersForSize(level, size);
  const key = parameters ? `${level}/${Object.values(parameters).join(",")}` : `${level}`;
  let found = compressors.get(key);
  if (!found) compressors.set(key, found = new ZstdCompressor(level, parameters));
  return found;
}

/** Chunks above this size are probed before zstd sees all of them. */
const PROBE_ABOVE = 256 * 1024;
const PROBE_BYTES = 64 * 1024;

/**
 * False when a sample of a large chunk does not compress (already compressed or encrypted data):
 * compressing a whole megabyte only to throw the result away costs CPU and garbage.
 */
function looksCompressible(plaintext: Uint8Array): boolean {
  if (plaintext.length <= PROBE_ABOVE) return true;
  const sample = plaintext.subarray(0, PROBE_BYTES);
  return compressor(1, sample.length).compress(sample, Math.floor(PROBE_BYTES * WORTH_COMPRESSING)) !==
    undefined;
}

/**
 * The plaintext of a sealed blob as parts: the encoding byte and the body, compressed when that saves
 * space. `level` 0 disables compression. The body may be a view of a reused buffer: seal it before the
 * next call.
 */
export function encodeBlobParts(plaintext: Uint8Array, level = DEFAULT_COMPRESSION_LEVEL): Uint8Array[] {
  if (level > 0 && plaintext.length >= 64 && looksCompressible(plaintext)) {
    const compressed = compressor(level, plaintext.length).compress(
      plaintext,
      Math.floor(plaintext.length * WORTH_COMPRESSING),
    );
    if (compressed) return [Uint8Array.of(ZSTD), compressed];
  }
  return [Uint8Array.of(RAW), plaintext];
}

/** Seals a blob, compressing it when that saves space. `level` 0 disables compression. */
export function encodeBlob(
  key: Uint8Array,
  plaintext: Uint8Array,
  level = DEFAULT_COMPRESSION_LEVEL,
): Uint8Array {
  return seal(key, ...encodeBlobParts(plaintext, level));
}

let decompressor: ZstdDecompressor | undefined;

/**
 * Opens a sealed blob; returns undefined when authentication fails or the encoding is unknown.
 * `rawLength`, when known (from a pack header or the index), lets zstd write straight into a buffer
 * of the right size; a blob of another size is then damaged.
 */
export function decodeBlob(
  key: Uint8Array,
  sealed: Uint8Array,
  rawLength?: number,
  /** Where a compressed body of `rawLength` bytes may be decompressed to (else a new buffer). */
  into?: Uint8Array,
): Uint8Array | undefined {
  const opened = open(key, sealed);
  if (!opened || opened.length === 0) return undefined;
  const body = opened.subarray(1);
  if (opened[0] === RAW) return rawLength === undefined || body.length === rawLength ? body : undefined;
  if (opened[0] !== ZSTD) return undefined;
  try {
    if (rawLength !== undefined) {
      return (decompressor ??= new ZstdDecompressor()).decompress(body, rawLength, into);
    }
    // Metadata (index and snapshot files, whose frames do not state their size): in 1 MiB pieces, not
    // 64 KiB ones, fewer to allocate and join.
    const out = zstdDecompressSync(body, { chunkSize: 1 << 20 });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch {
    return undefined;
  } finally {
    discard(opened);
  }
}

/**
 * Opens a sealed blob and checks it is the one asked for: the right plaintext length and keyed id.
 * Returns undefined for a damaged blob.
 */
export function openBlob(
  keys: { encrypt: Uint8Array; id: Uint8Array },
  id: string,
  rawLength: number,
  sealed: Uint8Array,
): Uint8Array | undefined {
  const plain = decodeBlob(keys.encrypt, sealed, rawLength);
  if (!plain || toHex(blobIdBytes(keys.id, plain)) !== id) return undefined;
  return plain;
}

/**
 * Opens blobs one after another (restore, check) with {@link openBlob}'s checks, into reused memory: each
 * result is valid until the next call, which frees it or writes over it. Decompressed blobs go to one
 * buffer that grows to the largest; a fresh buffer per blob (allocated, zeroed, freed) cost check a
 * twentieth of its time.
 */
export class BlobOpener {
  readonly #keys: { encrypt: Uint8Array; id: Uint8Array };
  #buffer = new Uint8Array(0);
  /** The last result's own buffer (a raw blob's decrypted bytes), freed at the next call. */
  #owned: Uint8Array | undefined;

  constructor(keys: { encrypt: Uint8Array; id: Uint8Array }) {
    this.#keys = keys;
  }

  /** The plaintext of the sealed blob `id` of `rawLength` bytes, or undefined when it is damaged. */
  open(id: string, rawLength: number, sealed: Uint8Array): Uint8Array | undefined {
    if (this.#owned) discard(this.#owned);
    this.#owned = undefined;
    if (this.#buffer.length < rawLength) this.#buffer = new Uint8Array(rawLength);
    const plain = decodeBlob(this.#keys.encrypt, sealed, rawLength, this.#buffer);
    if (!plain) return undefined;
    if (plain.buffer !== this.#buffer.buffer) this.#owned = new Uint8Array(plain.buffer as ArrayBuffer);
    return toHex(blobIdBytes(this.#keys.id, plain)) === id ? plain : undefined;
  }
}

/**
 * Blobs whose sealed bytes or plaintext are larger than this are read and checked a piece of this size at
 * a time ({@link BlobCheckStream}).
 */
export const BLOB_PIECE_BYTES = 1024 * 1024;

/**
 * True for a blob to read with {@link BlobCheckStream}: over {@link BLOB_PIECE_BYTES} sealed, or once
 * open (8 MiB of a log or of zeros compress to kilobytes).
 */
export function isLargeBlob(blob: { length: number; rawLength: number }): boolean {
  return blob.length > BLOB_PIECE_BYTES || blob.rawLength > BLOB_PIECE_BYTES;
}

/** This thread's decompressor of blobs that arrive in pieces: one blob at a time. */
let pieceDecompressor: ZstdPieceDecompressor | undefined;

/**
 * Checks a sealed blob that arrives in pieces, in order, as check --read-data and restore read large ones:
 * each piece is decrypted as it comes, decompressed when the blob is compressed, and its plaintext hashed on
 * the way (and handed to `onPiece`), so that neither the sealed blob nor its plaintext is ever held whole
 * (up to the largest chunk each, per worker: 8 MiB by default, 64 MiB at most).
 */
export class BlobCheckStream {
  readonly #keys: { encrypt: Uint8Array; id: Uint8Array };
  readonly #id: string;
  readonly #rawLength: number;
  /** Bytes of the sealed blob: nonce, ciphertext (encoding byte and body), tag. */
  readonly #length: number;
  readonly #onPiece: ((plain: Uint8Array, offset: number) => void) | undefined;
  #received = 0;
  readonly #nonce = new Uint8Array(NONCE_BYTES);
  readonly #tag = new Uint8Array(TAG_BYTES);
  #decrypt: OpenStream | undefined;
  #encoding: number | undefined;
  #plainId: BlobIdStream | undefined;
  /** Bytes of plaintext so far. */
  #plainLength = 0;
  /** The plaintext is longer than `rawLength`, or the compressed body is not a zstd frame. */
  #damaged = false;

  /**
   * `onPiece` gets each piece of the plaintext and its offset, as soon as it is decrypted (and
   * decompressed): not yet authenticated, so whatever it does must be undone when {@link finish} returns
   * false. The piece is valid during the call only.
   */
  constructor(
    keys: { encrypt: Uint8Array; id: Uint8Array },
    id: string,
    rawLength: number,
    sealedLength: number,
    onPiece?: (plain: Uint8Array, offset: number) => void,
  ) {
    this.#keys = keys;
    this.#id = id;
    this.#rawLength = rawLength;
    this.#length = sealedLength;
    this.#onPiece = onPiece;
  }

  /** The next piece of the sealed blob (bytes past its length are ignored). */
  write(piece: Uint8Array): void {
    for (let at = 0; at < piece.length; at += CIPHER_PIECE_BYTES) {
      this.#writePiece(piece.subarray(at, at + CIPHER_PIECE_BYTES));
    }
  }

  #writePiece(piece: Uint8Array): void {
    const start = this.#received;
    const end = Math.min(start + piece.length, this.#length);
    this.#received = end;
    const cipherEnd = this.#length - TAG_BYTES;
    if (start < NONCE_BYTES) this.#nonce.set(piece.subarray(0, Math.min(end, NONCE_BYTES) - start), start);
    const from = Math.max(start, NONCE_BYTES);
    const to = Math.min(end, cipherEnd);
    if (to > from) this.#decryptPiece(piece.subarray(from - start, to - start));
    const tagFrom = Math.max(start, cipherEnd);
    if (end > tagFrom) this.#tag.set(piece.subarray(tagFrom - start, end - start), tagFrom - cipherEnd);
  }

  /**
   * Reads the rest of the blob a piece of at most {@link BLOB_PIECE_BYTES} at a time, `read(offset, length)`
   * giving the bytes at `offset` in the blob, and writes each; false when a read comes back short (the
   * pack ends inside the blob).
   */
  readRest(read: (offset: number, length: number) => Uint8Array): boolean {
    while (this.#received < this.#length) {
      const length = Math.min(BLOB_PIECE_BYTES, this.#length - this.#received);
      const piece = read(this.#received, length);
      if (piece.length < length) return false;
      this.write(piece);
    }
    return true;
  }

  /** True when the whole blob came, is authentic, and its plaintext is `rawLength` bytes with the id asked for. */
  finish(): boolean {
    if (this.#received !== this.#length || !this.#decrypt?.final(this.#tag)) return false;
    if (this.#encoding === ZSTD && !pieceDecompressor!.end((plain) => this.#plain(plain))) return false;
    if (this.#encoding !== RAW && this.#encoding !== ZSTD) return false;
    return !this.#damaged && this.#plainLength === this.#rawLength && this.#plainId!.hex() === this.#id;
  }

  #decryptPiece(ciphertext: Uint8Array): void {
    if (this.#length < SEAL_OVERHEAD + 1) return; // too short to be a blob: finish() says so
    this.#decrypt ??= new OpenStream(this.#keys.encrypt, this.#nonce);
    const plain = this.#decrypt.update(ciphertext);
    let body = plain;
    if (this.#encoding === undefined && plain.length > 0) {
      this.#encoding = plain[0]!;
      body = plain.subarray(1);
      this.#plainId = new BlobIdStream(this.#keys.id);
      // A blob left unfinished (its pack cut short) may have left a frame open: this one starts afresh.
      if (this.#encoding === ZSTD) {
        (pieceDecompressor ??= new ZstdPieceDecompressor(BLOB_PIECE_BYTES)).begin();
      }
    }
    if (this.#encoding === RAW) this.#plain(body);
    else if (this.#encoding === ZSTD && !this.#damaged) {
      if (!pieceDecompressor!.push(body, (piece) => this.#plain(piece))) this.#damaged = true;
    }
    discard(plain);
  }

  #plain(piece: Uint8Array): void {
    if (this.#damaged || this.#plainLength + piece.length > this.#rawLength) {
      this.#damaged = true;
      return;
    }
    this.#plainId!.update(piece);
    this.#onPiece?.(piece, this.#plainLength);
    this.#plainLength += piece.length;
  }
}

/** Why a blob could not be read: the same words wherever it is read (main thread or restore worker). */
export const blobReadError = {
  damaged: (id: string, pack: string) =>
    new IntegrityError(`Blob ${id.slice(0, 12)} in pack ${pack.slice(0, 12)} is damaged`),
  missingPack: (id: string, pack: string) =>
    new IntegrityError(`Pack ${pack.slice(0, 12)} holding blob ${id.slice(0, 12)} is missing`),
  truncatedPack: (pack: string) => new IntegrityError(`Pack ${pack.slice(0, 12)} is truncated`),
  notIndexed: (id: string) =>
    new IntegrityError(
      `Blob ${id.slice(0, 12)} is not in the index: it is lost, or was listed only in a damaged index file`,
    ),
};
