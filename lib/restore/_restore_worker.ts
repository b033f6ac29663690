// Web Worker: writes restored files. For each file it reads the blobs from the pack files, opens and
// verifies them, writes them (leaving holes for blocks of zeros), sets owner, mode and time, and
// renames the file into place. A file that fails is removed again, never left half-written.

/// <reference lib="deno.worker" />

import * as fs from "node:fs";
import { describeError } from "../errors.ts";
import { BlobOpener, blobReadError } from "../repo/blob.ts";
import type { BlobSource, FileDone, FileJob, ToMain, ToWorker } from "./_restore_protocol.ts";

/** Pack files kept open between blobs (restore order is by name, not by pack). */
const OPEN_PACKS = 16;

/** Opens each blob into reused memory: its plaintext is written before the next blob is read. */
let opener: BlobOpener | undefined;
const packs = new Map<string, number>();
/** Blobs known to be all zeros: written as holes. */
const zeroBlobs = new Set<string>();
/** Reused for the sealed bytes of each blob. */
let sealedBuffer = new Uint8Array(1024 * 1024);

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "init") {
    opener = new BlobOpener({ encrypt: message.encryptKey, id: message.idKey });
    return;
  }
  const done: FileDone[] = message.files.map((job) => {
    try {
      return { job: job.job, bytes: writeFile(job) };
    } catch (error) {
      return { job: job.job, error: describeError(error) };
    }
  });
  const reply: ToMain = { type: "done", done };
  self.postMessage(reply);
};

function writeFile(job: FileJob): number {
  // createNew is O_CREAT | O_EXCL: it never follows a symlink planted at that name.
  const file = Deno.openSync(job.partial, { write: true, createNew: true, mode: 0o600 });
  let position = 0;
  let complete = false;
  try {
    let fileOffset = 0;
    for (const blob of job.blobs) {
      if (zeroBlobs.has(blob.id)) {
        position += blob.rawLength; // a hole: leave it sparse
        continue;
      }
      const data = readBlob(blob);
      if (isAllZero(data)) {
        zeroBlobs.add(blob.id);
      } else {
        if (fileOffset !== position) file.seekSync(position, Deno.SeekMode.Start);
        let written = 0;
        while (written < data.length) written += file.writeSync(data.subarray(written));
        fileOffset = position + data.length;
      }
      position += data.length;
    }
    if (fileOffset !== position) file.truncateSync(position); // a trailing hole
    complete = true;
  } finally {
    file.close();
    if (!complete) Deno.removeSync(job.partial);
  }
  if (job.owner) Deno.chownSync(job.partial, job.owner.uid, job.owner.gid);
  Deno.chmodSync(job.partial, job.mode);
  Deno.utimeSync(job.partial, job.mtime / 1000, job.mtime / 1000);
  Deno.renameSync(job.partial, job.path);
  return position;
}

function readBlob(blob: BlobSource): Uint8Array {
  if (sealedBuffer.length < blob.length) sealedBuffer = new Uint8Array(blob.length);
  const sealed = sealedBuffer.subarray(0, blob.length);
  const fd = packDescriptor(blob);
  let filled = 0;
  while (filled < blob.length) {
    const read = fs.readSync(fd, sealed, filled, blob.length - filled, blob.offset + filled);
    if (read === 0) throw blobReadError.truncatedPack(blob.packName);
    filled += read;
  }
  const plain = opener!.open(blob.id, blob.rawLength, sealed);
  if (!plain) throw blobReadError.damaged(blob.id, blob.packName);
  return plain;
}

function packDescriptor(blob: BlobSource): number {
  let fd = packs.get(blob.pack);
  if (fd !== undefined) {
    packs.delete(blob.pack);
    packs.set(blob.pack, fd);
    return fd;
  }
  try {
    fd = fs.openSync(blob.pack, "r");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw blobReadError.missingPack(blob.id, blob.packName);
    }
    throw error;
  }
  packs.set(blob.pack, fd);
  if (packs.size > OPEN_PACKS) {
    const [oldest, oldestFd] = packs.entries().next().value!;
    packs.delete(oldest);
    fs.closeSync(oldestFd);
  }
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
