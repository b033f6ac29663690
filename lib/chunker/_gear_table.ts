import { createHmac } from "node:crypto";

/** Length in bytes of the secret key a gear table is derived from. */
export const GEAR_KEY_LENGTH = 32;

/** Domain-separation label mixed into every HMAC block, so the key can be shared with other derivations. */
const LABEL = new TextEncoder().encode("kept chunker gear table v1");

/**
 * Derives the 256-entry gear table from a 32-byte secret key.
 *
 * Entry `i` is the big-endian uint32 at byte offset `4 * (i % 8)` of
 * `HMAC-SHA256(key, "kept chunker gear table v1" || uint32be(floor(i / 8)))`:
 * 32 HMAC blocks of 8 values each. The same key always gives the same table.
 *
 * @throws {TypeError} If `key` is not a `Uint8Array`.
 * @throws {RangeError} If `key` is not exactly 32 bytes long.
 */
export function gearTable(key: Uint8Array): Uint32Array {
  if (!(key instanceof Uint8Array)) {
    throw new TypeError("Cannot derive gear table: key is not a Uint8Array");
  }
  if (key.length !== GEAR_KEY_LENGTH) {
    throw new RangeError(
      `Cannot derive gear table: key must be ${GEAR_KEY_LENGTH} bytes, got ${key.length}`,
    );
  }
  const table = new Uint32Array(256);
  const message = new Uint8Array(LABEL.length + 4);
  message.set(LABEL, 0);
  const counter = new DataView(message.buffer, LABEL.length, 4);
  for (let block = 0; block < 32; block++) {
    counter.setUint32(0, block, false);
    const digest = createHmac("sha256", key).update(message).digest();
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    for (let j = 0; j < 8; j++) {
      table[block * 8 + j] = view.getUint32(j * 4, false);
    }
  }
  return table;
}
