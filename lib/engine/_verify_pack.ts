// Verifies one whole pack file: its name (SHA-256), its header, and every blob the index places in it.
// Pure and synchronous, so that check can run it on every core.

import { sha256Hex } from "../crypto/mod.ts";
import { openBlob } from "../repo/blob.ts";
import { discard } from "../memory.ts";
import { type PackEntry, readPackHeader } from "../repo/pack.ts";

/** The keys verification needs. */
export interface VerifyKeys {
  encrypt: Uint8Array;
  id: Uint8Array;
}

/** What is wrong with a pack: one line per problem, and the ids of the blobs that failed. */
export interface PackVerdict {
  problems: string[];
  badBlobs: string[];
}

/** Checks a pack's bytes against its name and the index's entries for it. */
export function verifyPackBytes(
  keys: VerifyKeys,
  pack: string,
  bytes: Uint8Array,
  entries: readonly Pick<PackEntry, "id" | "offset" | "length" | "rawLength">[],
): PackVerdict {
  const problems: string[] = [];
  const badBlobs: string[] = [];
  if (sha256Hex(bytes) !== pack) problems.push("content does not match its name (SHA-256)");
  if (!readPackHeader(keys.encrypt, bytes)) problems.push("header is damaged");
  for (const entry of entries) {
    const sealed = bytes.subarray(entry.offset, entry.offset + entry.length);
    const plain = sealed.length === entry.length
      ? openBlob(keys, entry.id, entry.rawLength, sealed)
      : undefined;
    if (!plain) {
      badBlobs.push(entry.id);
      problems.push(`blob ${entry.id.slice(0, 12)} is damaged`);
    } else {
      discard(new Uint8Array(plain.buffer as ArrayBuffer)); // its own buffer (decipher or zstd output)
    }
  }
  return { problems, badBlobs };
}
