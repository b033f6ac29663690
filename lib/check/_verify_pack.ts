// Verifies one pack file: its name (SHA-256), its header, and every blob the index places in it.
// Synchronous, so that check can run it on every core: in the verify workers, and on the main thread.

import { createHash } from "node:crypto";
// Loaded by the verify workers: it imports only the files it runs (see layering_test.ts).
import { BlobCheckStream, BlobOpener, isLargeBlob } from "../repo/blob.ts";
import { headerLengthOf, type PackEntry, readPackHeader } from "../repo/pack.ts";
import { readFullSync } from "../read_full.ts";
import { encodeWorkerError, IoError, type WorkerError } from "../workers/worker_error.ts";

/** The keys verification needs. */
export interface VerifyKeys {
  encrypt: Uint8Array;
  id: Uint8Array;
}

/** What is wrong with a pack that could be read: nothing when all three are empty or false. */
export interface PackVerdict {
  /** Ids of the blobs that are damaged (do not open, or lie outside the pack), in pack order. */
  damagedBlobs: string[];
  /** The pack's SHA-256 is not its name. */
  hashMismatch: boolean;
  /** The header is damaged or does not authenticate. */
  headerDamaged: boolean;
}

/** Where a pack's bytes come from: a file on this machine, or the bytes themselves. */
export type PackSourceJob = { path: string } | { bytes: Uint8Array };

/**
 * How one pack went: what is wrong with it, or why it could not be verified: `io` (it could not be read),
 * `integrity`, or `bug` (a programming error, never to be reported as an unreadable pack).
 */
export type PackOutcome = { verdict: PackVerdict } | { error: WorkerError };

/**
 * Checks packs one after another, with one read buffer (grown to the largest blob read whole, at most a
 * megabyte) and one blob opener: a verify worker's, or the main thread's.
 */
export class PackChecker {
  readonly #keys: VerifyKeys;
  readonly #opener: BlobOpener;
  #scratch: Uint8Array = new Uint8Array(0);

  constructor(keys: VerifyKeys) {
    this.#keys = keys;
    this.#opener = new BlobOpener(keys);
  }

  /** The pack's verdict, or the error that kept it from one, as data: the same wherever it runs. */
  check(pack: string, source: PackSourceJob, entries: readonly VerifyEntry[]): PackOutcome {
    try {
      if ("bytes" in source) {
        return { verdict: verifyPackBytes(this.#keys, pack, source.bytes, entries, this.#opener) };
      }
      const file = openPack(source.path);
      try {
        const result = verifyPackFile(this.#keys, pack, file, entries, this.#scratch, this.#opener);
        this.#scratch = result.scratch;
        return { verdict: result.verdict };
      } finally {
        file.close();
      }
    } catch (error) {
      return { error: encodeWorkerError(error) };
    }
  }
}

/** Opens a pack file; a missing one is said in words, not with the system's message and path. */
function openPack(path: string): Deno.FsFile {
  try {
    // A FIFO in its place would block this thread for good: only a regular file is opened.
    if (!Deno.statSync(path).isFile) throw new IoError("it is not a regular file", { code: "EINVAL" });
    return Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new IoError("it does not exist", { code: "ENOENT", cause: error });
    }
    throw error;
  }
}

/** The index's entry for a blob, as far as verification needs it. */
export type VerifyEntry = Pick<PackEntry, "id" | "offset" | "length" | "rawLength">;

/** A pack's bytes, read front to back and then at its end. */
interface PackSource {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer where the pack ends); valid until the next call. */
  readAt(offset: number, length: number): Uint8Array;
}

/** Bytes read at a time where no blob is to be checked (gaps, the header). */
const PIECE = 1024 * 1024;

/**
 * Checks a pack file on this machine against its name and the index's entries for it. Reads it once from
 * start to end, a blob (or a megabyte of a larger blob or of a gap) at a time, into `scratch` (grown as
 * needed and returned for the next call), instead of holding the whole pack.
 */
export function verifyPackFile(
  keys: VerifyKeys,
  pack: string,
  file: Deno.FsFile,
  entries: readonly VerifyEntry[],
  scratch: Uint8Array,
  opener = new BlobOpener(keys),
): { verdict: PackVerdict; scratch: Uint8Array } {
  let position = 0;
  const source: PackSource = {
    size: file.statSync().size,
    readAt(offset, length) {
      if (scratch.length < length) scratch = new Uint8Array(length);
      if (offset !== position) file.seekSync(offset, Deno.SeekMode.Start);
      const bytes = readFull(file, scratch.subarray(0, length));
      position = offset + bytes.length;
      return bytes;
    },
  };
  const verdict = verifyPackSource(keys, pack, source, entries, opener);
  return { verdict, scratch };
}

/** Checks a whole pack held in memory (read from storage that is not a local folder), as {@link verifyPackFile}. */
export function verifyPackBytes(
  keys: VerifyKeys,
  pack: string,
  bytes: Uint8Array,
  entries: readonly VerifyEntry[],
  opener = new BlobOpener(keys),
): PackVerdict {
  const source: PackSource = {
    size: bytes.length,
    readAt: (offset, length) => bytes.subarray(Math.min(offset, bytes.length), offset + length),
  };
  return verifyPackSource(keys, pack, source, entries, opener);
}

/** Reads the pack once from start to end, checking each blob on the way, then its hash and header. */
function verifyPackSource(
  keys: VerifyKeys,
  pack: string,
  source: PackSource,
  entries: readonly VerifyEntry[],
  opener: BlobOpener,
): PackVerdict {
  const damagedBlobs: string[] = [];
  const hash = createHash("sha256");
  let position = 0;
  /** The next `length` bytes, hashed; fewer where the pack ends. */
  const next = (length: number): Uint8Array => {
    const bytes = source.readAt(position, length);
    hash.update(bytes);
    position += bytes.length;
    return bytes;
  };
  const skipTo = (offset: number) => {
    while (position < offset && next(Math.min(PIECE, offset - position)).length > 0);
  };
  /** Reads the blob at `position` whole and opens it. */
  const blobIsIntact = (entry: VerifyEntry): boolean => {
    const sealed = next(entry.length);
    return sealed.length === entry.length && opener.open(entry.id, entry.rawLength, sealed) !== undefined;
  };
  /** As blobIsIntact, a piece at a time: a blob of megabytes is then never held whole, sealed or open. */
  const largeBlobIsIntact = (entry: VerifyEntry): boolean => {
    const check = new BlobCheckStream(keys, entry.id, entry.rawLength, entry.length);
    check.readRest((_, length) => next(length)); // short where the pack ends inside the blob: finish() says so
    return check.finish();
  };
  for (const entry of [...entries].sort((a, b) => a.offset - b.offset)) {
    if (entry.offset < position) {
      damagedBlobs.push(entry.id); // overlaps the blob before it: the index is wrong about this pack
      continue;
    }
    skipTo(entry.offset);
    const intact = isLargeBlob(entry) ? largeBlobIsIntact(entry) : blobIsIntact(entry);
    if (!intact) damagedBlobs.push(entry.id);
  }
  skipTo(source.size); // the header and trailer (and any blobs the index does not name), for the hash
  const hashMismatch = hash.digest("hex") !== pack;
  const headerDamaged = !readPackHeader(keys.encrypt, readTail(source), source.size);
  return { damagedBlobs, hashMismatch, headerDamaged };
}

/** The pack's header and trailer, as the trailer gives the header's length (short when unreadable). */
function readTail(source: PackSource): Uint8Array {
  const size = source.size;
  if (size < 4) return source.readAt(0, size).slice();
  const trailer = source.readAt(size - 4, 4).slice();
  if (trailer.length < 4) return trailer;
  const headerLength = headerLengthOf(trailer);
  return headerLength + 4 > size ? trailer : source.readAt(size - 4 - headerLength, headerLength + 4);
}

/** Reads from the file's position until `into` is full or the file ends; returns the part filled. */
function readFull(file: Deno.FsFile, into: Uint8Array): Uint8Array {
  return into.subarray(0, readFullSync(into, (rest) => file.readSync(rest)));
}
