/**
 * Cryptographic primitives of the repository format (docs/format.md#encryption): ChaCha20-Poly1305
 * sealing, keyed blob ids (HMAC-SHA256), SHA-256 file ids and the scrypt key derivation. It imports
 * nothing else of kept's but lib/memory.ts.
 *
 * @module
 */

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  type DecipherChaCha20Poly1305,
  type Hash,
  randomBytes as nodeRandomBytes,
  scrypt,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { discard } from "../memory.ts";

/** Bytes of a ChaCha20-Poly1305 nonce. */
export const NONCE_BYTES = 12;
/** Bytes of a Poly1305 tag. */
export const TAG_BYTES = 16;
/** Bytes added to every sealed message. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * Bytes handed to one cipher call at most. node:crypto returns a new buffer for every call, and a buffer of
 * a megabyte or more gets pages of its own from the system (`mapLargeAllocations` in main.ts), faulted in
 * afresh each time: a restore of the 1 GiB corpus cost ~5 % more CPU with megabyte pieces. Half a megabyte
 * comes from the allocator's heap, where the next piece reuses it.
 */
export const CIPHER_PIECE_BYTES = 512 * 1024;

/** Cryptographically secure random bytes. */
export function randomBytes(length: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(length));
}

/**
 * Encrypts and authenticates `plaintext` with a fresh random nonce: `nonce ‖ ciphertext ‖ tag`.
 * `parts` are concatenated as the plaintext, so callers can prepend a header without copying.
 */
export function seal(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  let length = SEAL_OVERHEAD;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  sealInto(key, out, parts);
  return out;
}

/**
 * Random bytes for nonces, drawn from the system's generator 4 KiB at a time and each used once: a
 * `randomBytes` call per sealed blob cost ~1 µs (a Node buffer and a call into Rust), against 0.1 µs here,
 * and a million small files seal a million blobs.
 */
const noncePool = new Uint8Array(NONCE_BYTES * 341);
let nonceUsed = noncePool.length;

/** A fresh random nonce, valid until the next call (it is copied into the sealed message at once). */
function nextNonce(): Uint8Array {
  if (nonceUsed === noncePool.length) {
    crypto.getRandomValues(noncePool);
    nonceUsed = 0;
  }
  return noncePool.subarray(nonceUsed, nonceUsed += NONCE_BYTES);
}

/** {@link seal} into `out`, which must be exactly SEAL_OVERHEAD bytes longer than the parts together. */
export function sealInto(key: Uint8Array, out: Uint8Array, parts: readonly Uint8Array[]): void {
  const nonce = nextNonce();
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  out.set(nonce, 0);
  let offset = NONCE_BYTES;
  for (const part of parts) {
    for (let at = 0; at < part.length; at += CIPHER_PIECE_BYTES) {
      const encrypted = cipher.update(part.subarray(at, at + CIPHER_PIECE_BYTES));
      out.set(encrypted, offset);
      offset += encrypted.length;
      discard(encrypted);
    }
  }
  const final = cipher.final();
  out.set(final, offset);
  offset += final.length;
  if (offset + TAG_BYTES !== out.length) throw new RangeError("sealInto: output length does not match");
  out.set(cipher.getAuthTag(), offset);
}

/** Decrypts a sealed message; returns undefined when it was tampered with or the key is wrong. */
export function open(key: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  if (sealed.length < SEAL_OVERHEAD) return undefined;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  const body = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
  try {
    const final = decipher.final();
    if (final.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
    const out = new Uint8Array(body.length + final.length);
    out.set(body, 0);
    out.set(final, body.length);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * {@link open} of a message that arrives in pieces, for messages too large to hold twice: give it the
 * nonce, then the ciphertext piece by piece, then the tag. What {@link update} returns is not yet
 * authenticated: act on it only once {@link final} returns true.
 */
export class OpenStream {
  readonly #decipher: DecipherChaCha20Poly1305;

  constructor(key: Uint8Array, nonce: Uint8Array) {
    this.#decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  }

  /** The plaintext of the next piece of ciphertext, in a buffer of its own. */
  update(ciphertext: Uint8Array): Uint8Array {
    const plain = this.#decipher.update(ciphertext);
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
  }

  /** True when the whole message, ended by `tag`, is authentic. */
  final(tag: Uint8Array): boolean {
    try {
      this.#decipher.setAuthTag(tag);
      return this.#decipher.final().length === 0;
    } catch {
      return false;
    }
  }
}

/** {@link blobIdBytes} of a plaintext that arrives in pieces, as hex. */
export class BlobIdStream {
  readonly #pads: PadStates;
  readonly #inner: Hash;

  constructor(idKey: Uint8Array) {
    this.#pads = padStatesOf(idKey);
    this.#inner = this.#pads.inner.copy();
  }

  update(data: Uint8Array): void {
    this.#inner.update(data);
  }

  hex(): string {
    return this.#pads.outer.copy().update(this.#inner.digest()).digest("hex");
  }
}

/** The keyed id of a blob's plaintext: HMAC-SHA256 under the repository's id key, as raw bytes. */
export function blobIdBytes(idKey: Uint8Array, data: Uint8Array): Uint8Array {
  const pads = padStatesOf(idKey);
  const inner = pads.inner.copy().update(data).digest();
  return new Uint8Array(pads.outer.copy().update(inner).digest());
}

/**
 * SHA-256 states that have absorbed an HMAC key's inner and outer pads (RFC 2104), by key. An id is
 * H(outer pad ‖ H(inner pad ‖ data)): copying the two states costs half of what an HMAC object does, which
 * builds its pads with fresh buffers for every blob (5 µs of 11 for an 800-byte blob; a million small files
 * make a million ids).
 */
const hmacPads = new WeakMap<Uint8Array, PadStates>();

interface PadStates {
  inner: Hash;
  outer: Hash;
}

/** The pad states of `key`, made once per key and only ever copied. */
function padStatesOf(key: Uint8Array): PadStates {
  let pads = hmacPads.get(key);
  if (!pads) {
    const block = new Uint8Array(SHA256_BLOCK);
    block.set(key.length > SHA256_BLOCK ? createHash("sha256").update(key).digest() : key);
    pads = {
      inner: createHash("sha256").update(block.map((byte) => byte ^ 0x36)),
      outer: createHash("sha256").update(block.map((byte) => byte ^ 0x5c)),
    };
    hmacPads.set(key, pads);
  }
  return pads;
}

const SHA256_BLOCK = 64;

/** SHA-256 of `data` as lower-case hex: the name of packs, index, snapshot and key files. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** scrypt cost parameters, stored in each key file. */
export interface KdfParams {
  N: number;
  r: number;
  p: number;
}

/**
 * Production KDF cost: about 0.2 s here, in 32 MiB. Two passes (p = 2) over 32 MiB cost the same time
 * as one over 64 MiB, and every command's peak memory is 32 MiB lower, since the derivation runs while
 * kept's runtime is already loaded; restic bounds its own at 60 MiB, which gives the same 32.
 */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 15, r: 8, p: 2 };

/** Derives a 32-byte key-encryption key from a password with scrypt. */
export function deriveKey(password: string, salt: Uint8Array, params: KdfParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFC"),
      salt,
      32,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 },
      (error, key) => error ? reject(error) : resolve(new Uint8Array(key)),
    );
  });
}

/**
 * Lower-case hex of bytes, as one flat string. Not built by `+=`: V8 makes each concatenation past 12
 * characters a node pointing at both halves, so a blob id held that way costs ~870 bytes of heap against
 * ~90 (the entries of an index file being written held 45 MiB of them), and it is twice as slow.
 */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Value of each hex digit by character code; -1 for everything else. */
/** Value of each hex digit by character code, -1 for other ASCII: either case, or lower case only. */
const HEX_VALUES = hexTable(true);
const LOWER_HEX_VALUES = hexTable(false);

function hexTable(upperCase: boolean): Int8Array {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < 16; i++) {
    values["0123456789abcdef".charCodeAt(i)] = i;
    if (upperCase) values["0123456789ABCDEF".charCodeAt(i)] = i;
  }
  return values;
}

/** Bytes of lower-case or upper-case hex; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new TypeError(`Invalid hex "${hex}"`);
  const out = new Uint8Array(hex.length / 2);
  hexInto(hex, out, 0);
  return out;
}

/**
 * Decodes hex into `out` at `offset` (by table: the index's ids are decoded by the ten thousand).
 * Throws on non-hex characters; `hex` must have an even length that fits.
 */
export function hexInto(hex: string, out: Uint8Array, offset: number): void {
  if (!tryHexInto(hex, out, offset)) throw new TypeError(`Invalid hex "${hex}"`);
}

/**
 * {@linkcode hexInto} that answers false instead of throwing (`out` may then be partly written): for the
 * index's lookups, which run once per chunk. `lowerCaseOnly`: ids are spelled in lower case, and another
 * spelling names no id.
 */
export function tryHexInto(hex: string, out: Uint8Array, offset: number, lowerCaseOnly = false): boolean {
  const table = lowerCaseOnly ? LOWER_HEX_VALUES : HEX_VALUES;
  for (let i = 0; i < hex.length; i += 2) {
    const high = table[hex.charCodeAt(i)] ?? -1;
    const low = table[hex.charCodeAt(i + 1)] ?? -1;
    if ((high | low) < 0) return false;
    out[offset + (i >> 1)] = (high << 4) | low;
  }
  return true;
}

/**
 * {@linkcode tryHexInto} for lower-case hex that is still bytes of ASCII text (`text[at..at+2*count)`), not a
 * string: `count` bytes go to `out[offset..]`. False for any other byte, or where `text` ends first.
 */
export function tryHexBytesInto(
  text: Uint8Array,
  at: number,
  count: number,
  out: Uint8Array,
  offset: number,
): boolean {
  for (let i = 0; i < count; i++, at += 2) {
    const high = LOWER_HEX_VALUES[text[at]!] ?? -1;
    const low = LOWER_HEX_VALUES[text[at + 1]!] ?? -1;
    if ((high | low) < 0) return false;
    out[offset + i] = (high << 4) | low;
  }
  return true;
}
