// Verifies one pack file: its name (SHA-256), its header, and every blob the index places in it.
// Synchronous, so that check can run it on every core.

import { createHash } from "node:crypto";
import { BlobOpener } from "../repo/mod.ts";
import { type PackEntry, readPackHeader } from "../repo/mod.ts";

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

/** Bytes read at a time where no blob is to be checked (gaps, the header). */
const PIECE = 1024 * 1024;

/**
 * Checks a pack file on this machine against its name and the index's entries for it. Reads it once from
 * start to end, a blob (or a piece of a gap) at a time, into `scratch` (grown as needed and returned for
 * the next call), instead of holding the whole pack.
 */
export function verifyPackFile(
  keys: VerifyKeys,
  pack: string,
  file: Deno.FsFile,
  entries: readonly Pick<PackEntry, "id" | "offset" | "length" | "rawLength">[],
  scratch: Uint8Array,
  opener = new BlobOpener(keys),
): { verdict: PackVerdict; scratch: Uint8Array } {
  const problems: string[] = [];
  const badBlobs: string[] = [];
  const size = file.statSync().size;
  const hash = createHash("sha256");
  let position = 0;
  /** The next `length` bytes, hashed; fewer where the file ends. */
  const next = (length: number): Uint8Array => {
    if (scratch.length < length) scratch = new Uint8Array(length);
    const bytes = readFull(file, scratch.subarray(0, length));
    hash.update(bytes);
    position += bytes.length;
    return bytes;
  };
  const skipTo = (offset: number) => {
    while (position < offset && next(Math.min(PIECE, offset - position)).length > 0);
  };
  const damaged = (id: string) => {
    badBlobs.push(id);
    problems.push(`blob ${id.slice(0, 12)} is damaged`);
  };
  for (const entry of [...entries].sort((a, b) => a.offset - b.offset)) {
    if (entry.offset < position) {
      damaged(entry.id); // overlaps the blob before it: the index is wrong about this pack
      continue;
    }
    skipTo(entry.offset);
    const sealed = next(entry.length);
    const plain = sealed.length === entry.length ? opener.open(entry.id, entry.rawLength, sealed) : undefined;
    if (!plain) damaged(entry.id);
  }
  skipTo(size); // the header and trailer (and any blobs the index does not name), for the hash
  if (hash.digest("hex") !== pack) problems.push("content does not match its name (SHA-256)");
  if (!readPackHeader(keys.encrypt, readTail(file, size), size)) problems.push("header is damaged");
  return { verdict: { problems, badBlobs }, scratch };
}

/** The pack's header and trailer, as the trailer gives the header's length (empty when unreadable). */
function readTail(file: Deno.FsFile, size: number): Uint8Array {
  const trailer = readAt(file, size - 4, 4);
  if (trailer.length < 4) return trailer;
  const headerLength = new DataView(trailer.buffer).getUint32(0, true);
  return headerLength + 4 > size ? trailer : readAt(file, size - 4 - headerLength, headerLength + 4);
}

function readAt(file: Deno.FsFile, offset: number, length: number): Uint8Array {
  if (offset < 0) return new Uint8Array(0);
  file.seekSync(offset, Deno.SeekMode.Start);
  return readFull(file, new Uint8Array(length));
}

/** Reads from the file's position until `into` is full or the file ends; returns the part filled. */
function readFull(file: Deno.FsFile, into: Uint8Array): Uint8Array {
  let filled = 0;
  while (filled < into.length) {
    const read = file.readSync(into.subarray(filled));
    if (read === null || read === 0) break;
    filled += read;
  }
  return into.subarray(0, filled);
}
