// Sealing hands the cipher at most CIPHER_PIECE_BYTES a call (docs/performance.md#the-c-allocator): what it
// seals in pieces must be the very message one call makes, and open and the piecewise check must read it.

import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import {
  blobIdBytes,
  CIPHER_PIECE_BYTES,
  NONCE_BYTES,
  open,
  seal,
  TAG_BYTES,
  toHex,
} from "../../lib/crypto/mod.ts";
import { BlobCheckStream, encodeBlob } from "../../lib/repo/blob.ts";
import { randomBytes } from "../_support/random_bytes.ts";

const KEY = randomBytes(32, 1);

Deno.test("a message sealed in pieces is the one a single cipher call makes, parts of any size", () => {
  const parts = [
    randomBytes(1, 2),
    randomBytes(CIPHER_PIECE_BYTES * 2 + 17, 3),
    randomBytes(CIPHER_PIECE_BYTES - 1, 4),
    randomBytes(0, 5),
  ];
  const sealed = seal(KEY, ...parts);
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const cipher = createCipheriv("chacha20-poly1305", KEY, nonce, { authTagLength: TAG_BYTES });
  const expected = new Uint8Array([
    ...nonce,
    ...cipher.update(whole),
    ...cipher.final(),
    ...cipher.getAuthTag(),
  ]);
  assert.deepEqual(sealed, expected);
  assert.deepEqual(open(KEY, sealed), whole);
});

Deno.test("a blob checked in pieces larger than a cipher piece is read whole and found authentic", () => {
  const idKey = randomBytes(32, 6);
  const plain = randomBytes(3 * CIPHER_PIECE_BYTES + 5, 7); // random: stored raw, not compressed
  const sealed = encodeBlob(KEY, plain, 0);
  const id = toHex(blobIdBytes(idKey, plain));
  const received: Uint8Array[] = [];
  const check = new BlobCheckStream({ encrypt: KEY, id: idKey }, id, plain.length, sealed.length, (piece) => {
    received.push(piece.slice());
  });
  check.write(sealed.subarray(0, 2 * CIPHER_PIECE_BYTES + 3));
  check.write(sealed.subarray(2 * CIPHER_PIECE_BYTES + 3));
  assert.equal(check.finish(), true);
  assert.deepEqual(new Uint8Array(received.flatMap((piece) => [...piece])), plain);
});

Deno.test("every sealed message gets a nonce of its own, across refills of the nonce pool", () => {
  const nonces = new Set<string>();
  const message = new Uint8Array(8);
  for (let i = 0; i < 2000; i++) nonces.add(toHex(seal(KEY, message).subarray(0, NONCE_BYTES)));
  assert.equal(nonces.size, 2000);
  // The pool is not handed out twice: a nonce kept from an earlier seal is not overwritten in place.
  const first = seal(KEY, message);
  const firstNonce = first.slice(0, NONCE_BYTES);
  for (let i = 0; i < 400; i++) seal(KEY, message);
  assert.deepEqual(first.subarray(0, NONCE_BYTES), firstNonce);
  assert.deepEqual(open(KEY, first), message);
});
