// Web Worker: writes restored files. For each file it reads the blobs from the pack files (or takes the
// bytes the job brings), opens and verifies them, writes them (leaving holes for blocks of zeros), sets
// owner, mode and time on the open file, and renames it into place, all relative to the folder handle
// the job names, so a symlink swapped in on the way is never followed (docs/restore.md#restore-safety).
// A file that fails is removed again, never left half-written; the failure goes back with its kind (io,
// integrity, bug).

/// <reference lib="deno.worker" />

import { closeSync } from "node:fs";
import { BLOB_PIECE_BYTES, BlobCheckStream, BlobOpener, blobReadError, isLargeBlob } from "../repo/blob.ts";
import { encodeWorkerError, IoError } from "../workers/worker_error.ts";
import { LruCache } from "../lru_cache.ts";
import { openRegularSync, preadFullSync } from "../regular_file.ts";
import { type DirHandle, platform, type WriteFile } from "../platform/mod.ts";
import { explainRace, timesOf } from "./_target_fs.ts";
import type { BlobSource, FileDone, FileJob, FileMetadata, ToMain, ToWorker } from "./_restore_protocol.ts";

/** Pack files kept open between blobs (restore order is by name, not by pack). */
const OPEN_PACKS = 16;

/** Opens each blob into reused memory: its plaintext is written before the next blob is read. */
let opener: BlobOpener | undefined;
let keys: { encrypt: Uint8Array; id: Uint8Array } | undefined;
const packs = new LruCache<string, number>(OPEN_PACKS, (_, fd) => closeSync(fd));
/** Blobs known to be all zeros: written as holes. */
const zeroBlobs = new Set<string>();
/** Reused for the sealed bytes of each blob read from a pack file (or a piece of a large one: never smaller). */
let sealedBuffer = new Uint8Array(BLOB_PIECE_BYTES);

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "init") {
    keys = { encrypt: message.encryptKey, id: message.idKey };
    opener = new BlobOpener(keys);
    return;
  }
  if (message.type === "close") {
    // Descriptors belong to the process, not to this worker: terminating it would leave them open.
    packs.clear();
    const reply: ToMain = { type: "closed" };
    self.postMessage(reply);
    return;
  }
  const done: FileDone[] = message.files.map((job) => {
    try {
      return { job: job.job, bytes: writeFile(job) };
    } catch (error) {
      return { job: job.job, error: encodeWorkerError(explainRace(error)) };
    }
  });
  const reply: ToMain = { type: "done", done };
  self.postMessage(reply);
};

function writeFile(job: FileJob): number {
  const dir = platform().borrowDir(job.dir);
  try {
    if (job.create && job.finish && unnamedFiles) {
      const written = writeUnnamed(dir, job, job.finish);
      if (written !== undefined) return written;
    }
    const file = job.create ? dir.createFile(job.partial, 0o600) : dir.openFileForWrite(job.partial);
    let complete = false;
    try {
      let position: number;
      try {
        position = writeBlobs(file, job);
        if (job.finish) finish(file, job.finish);
      } finally {
        file.close();
      }
      if (job.finish) dir.rename(job.partial, job.name);
      complete = true;
      return position;
    } finally {
      if (!complete) removeQuietly(dir, job.partial);
    }
  } finally {
    dir.close(); // borrowed: the main thread closes the folder
  }
}

/** False once this worker met a folder where unnamed files cannot be made or linked: named ones from then on. */
let unnamedFiles = true;

/**
 * A whole file in one job, written with no name and linked into place once complete: a file that fails
 * never appears, as with a partial file, and the folder changes once where a partial file renamed into
 * place changed it twice (two workers restoring small files into one folder on ext4: half the time).
 * Undefined when this file system cannot (the job is then written as a named partial file).
 */
function writeUnnamed(dir: DirHandle, job: FileJob, metadata: FileMetadata): number | undefined {
  const file = dir.createUnnamedFile(0o600);
  if (!file) {
    unnamedFiles = false;
    return undefined;
  }
  try {
    const position = writeBlobs(file, job);
    finish(file, metadata);
    try {
      file.linkAs(job.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        unnamedFiles = false;
        return undefined;
      }
      // A file being replaced: named as the partial file, then renamed over it, as a named one would be.
      file.linkAs(job.partial);
      try {
        dir.rename(job.partial, job.name);
      } catch (renameError) {
        removeQuietly(dir, job.partial);
        throw renameError;
      }
    }
    return position;
  } finally {
    file.close();
  }
}

/** Owner (first: it clears setuid bits), mode and times, set on the open file: no path is looked up. */
function finish(file: WriteFile, metadata: NonNullable<FileJob["finish"]>): void {
  const { owner, mode } = metadata;
  if (owner) file.setOwner(owner);
  file.setMode(mode);
  file.setTimes(timesOf(metadata));
}

/** Writes the job's blobs from `job.at` on; returns the offset after them. */
function writeBlobs(file: WriteFile, job: FileJob): number {
  let position = job.at;
  /** Where the data written last ends: a file that ends in a hole is cut to its size at the end. */
  let dataEnd = job.at;
  for (const blob of job.blobs) {
    if (zeroBlobs.has(blob.id)) {
      position += blob.rawLength; // a hole: leave it sparse
      continue;
    }
    if (isLargeBlob(blob)) {
      const written = writeLargeBlob(file, blob, job.sealed, position);
      if (written === undefined) zeroBlobs.add(blob.id);
      else dataEnd = written;
      position += blob.rawLength;
      continue;
    }
    const data = readBlob(blob, job.sealed);
    if (isAllZero(data)) {
      zeroBlobs.add(blob.id);
    } else {
      file.write(data, position);
      dataEnd = position + data.length;
    }
    position += data.length;
  }
  if (job.finish && dataEnd !== position) file.truncate(position); // a trailing hole
  return position;
}

function removeQuietly(dir: DirHandle, name: string): void {
  try {
    dir.remove(name);
  } catch {
    // Already gone, or never made: the failure that brought us here is the one to report.
  }
}

function readBlob(blob: BlobSource, carried: Uint8Array | undefined): Uint8Array {
  let sealed: Uint8Array;
  if (blob.pack === undefined) {
    sealed = carried!.subarray(blob.offset, blob.offset + blob.length);
  } else {
    if (sealedBuffer.length < blob.length) sealedBuffer = new Uint8Array(blob.length);
    sealed = sealedBuffer.subarray(0, blob.length);
    readFromPack(blob, blob.pack, sealed);
  }
  const plain = opener!.open(blob.id, blob.rawLength, sealed);
  if (!plain) throw blobReadError.damaged(blob.id, blob.packName);
  return plain;
}

/**
 * Writes a large blob (`isLargeBlob`) at `at`, read from its pack (or from the bytes the job carries),
 * decrypted, decompressed and written a piece at a time: the pieces are written before the blob is
 * authenticated, which is safe because the file is still its partial name, removed when this throws.
 * Returns where the data written ends, or undefined when the blob is all zeros (nothing written: a hole).
 */
function writeLargeBlob(
  file: WriteFile,
  blob: BlobSource,
  carried: Uint8Array | undefined,
  at: number,
): number | undefined {
  let dataEnd: number | undefined;
  const write = (plain: Uint8Array, offset: number) => {
    if (isAllZero(plain)) return;
    file.write(plain, at + offset);
    dataEnd = at + offset + plain.length;
  };
  const check = new BlobCheckStream(keys!, blob.id, blob.rawLength, blob.length, write);
  const pack = blob.pack;
  const read = pack === undefined
    ? (offset: number, length: number) =>
      carried!.subarray(blob.offset + offset, blob.offset + offset + length)
    : (offset: number, length: number) => {
      const piece = sealedBuffer.subarray(0, length);
      return piece.subarray(0, preadFullSync(packDescriptor(blob, pack), piece, blob.offset + offset));
    };
  if (!check.readRest(read)) throw blobReadError.truncatedPack(blob.packName);
  if (!check.finish()) throw blobReadError.damaged(blob.id, blob.packName);
  return dataEnd;
}

function readFromPack(blob: BlobSource, pack: string, into: Uint8Array): void {
  if (preadFullSync(packDescriptor(blob, pack), into.subarray(0, blob.length), blob.offset) < blob.length) {
    throw blobReadError.truncatedPack(blob.packName);
  }
}

function packDescriptor(blob: BlobSource, pack: string): number {
  let fd = packs.get(pack);
  if (fd !== undefined) return fd;
  let opened: { fd: number } | undefined;
  try {
    opened = openRegularSync(pack); // a FIFO in a pack's place does not block the worker: it is refused
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw blobReadError.missingPack(blob.id, blob.packName);
    }
    throw error;
  }
  if (opened === undefined) {
    throw new IoError(`Cannot read pack ${blob.packName.slice(0, 12)}: it is not a regular file`);
  }
  fd = opened.fd;
  packs.set(pack, fd);
  return fd;
}

function isAllZero(data: Uint8Array): boolean {
  if (data.byteOffset % 8 === 0) {
    const words = new BigUint64Array(data.buffer, data.byteOffset, data.length >>> 3);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
    for (let i = words.length * 8; i < data.length; i++) if (data[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
