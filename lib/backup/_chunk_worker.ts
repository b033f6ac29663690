// Web Worker: reads files, cuts them into content-defined chunks, ids them, and compresses and seals the
// chunks the repository does not have yet. One per core; the main thread only packs and stores.

/// <reference lib="deno.worker" />

import { Chunker, gearTable } from "../chunker/mod.ts";
import { blobIdBytes, seal, SEAL_OVERHEAD, sealInto, toHex } from "../crypto/mod.ts";
import { encodeBlobParts } from "../repo/blob.ts";
import { RING_BYTES, RingWriter } from "./_blob_ring.ts";
import { RecentIds } from "./_recent_ids.ts";
import { SharedIdSet } from "./_shared_id_set.ts";
import type { ChunkHints, FileDone, FileJob, SealedBlob, ToMain, ToWorker } from "./_chunk_protocol.ts";
import { encodeWorkerError } from "../workers/worker_error.ts";

/** Blobs are sent in batches of about this many bytes: a quarter ring keeps both sides busy. */
const BATCH_BYTES = RING_BYTES / 4;

/**
 * Read buffer beyond one largest chunk. Bytes are moved to the front only when the chunker finds no cut in
 * what is left (a chunk's tail, ~1 MiB), not whenever less than a largest chunk is left: a 9 MiB buffer
 * does what two largest chunks (16 MiB) did, and moves an eighth of the bytes instead of half.
 */
const READ_AHEAD = 1024 * 1024;

/** Ids a worker remembers as sent: 100,000 (~11 MB) covers the copies within a few hundred thousand files. */
const RECENT_IDS = 100_000;

/** Blobs sealed but not yet sent. */
let outbox: SealedBlob[] = [];
let outboxBytes = 0;

let state: {
  encryptKey: Uint8Array;
  idKey: Uint8Array;
  chunker: Chunker;
  maxSize: number;
  level: number;
  known: SharedIdSet;
  ring: RingWriter;
  buffer: Uint8Array;
  /** Ids this worker sent lately. */
  sent: RecentIds;
} | undefined;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "init") {
    state = {
      encryptKey: message.encryptKey,
      idKey: message.idKey,
      chunker: new Chunker(gearTable(message.chunkerKey), message.params),
      maxSize: message.params.maxSize,
      level: message.level,
      known: new SharedIdSet(message.known),
      ring: new RingWriter(message.ring),
      buffer: new Uint8Array(message.params.maxSize + READ_AHEAD),
      sent: new RecentIds(RECENT_IDS),
    };
    return;
  }
  if (!state) throw new Error("chunk worker used before init");
  const done: FileDone[] = [];
  for (const file of message.files) done.push(processFile(state, file));
  flush(done);
};

function processFile(s: NonNullable<typeof state>, { job, path, size, mtime, hints }: FileJob): FileDone {
  try {
    let result = chunkFile(s, path, size, mtime, hints);
    if (result.changed) {
      // Changed while we read it (or since the scan): read once more; report if it keeps changing.
      result = chunkFile(s, path, result.statSize, result.mtime, hints);
    }
    return { job, content: result.content, size: result.size, mtime: result.mtime, changed: result.changed };
  } catch (error) {
    // With its kind: an unreadable file is skipped, a bug here must fail the backup as a bug.
    return { job, error: encodeWorkerError(error) };
  }
}

/** Sends the blobs collected so far and the files they complete. */
function flush(done: FileDone[]): void {
  const blobs = outbox;
  outbox = [];
  outboxBytes = 0;
  const message: ToMain = { type: "results", blobs, done };
  const own = blobs.flatMap((blob) => "sealed" in blob ? [blob.sealed.buffer as ArrayBuffer] : []);
  self.postMessage(message, own);
}

/**
 * Reads and stores one file that is expected to be `expectedSize` bytes with modification time
 * `expectedMtime` (from the walk's lstat). Reading stops at the expected size, and one fstat afterwards
 * tells whether the file still is what was read: that saves a stat and an end-of-file read per file,
 * which on a tree of small files is a sixth of the system calls.
 */
function chunkFile(
  s: NonNullable<typeof state>,
  path: string,
  expectedSize: number,
  expectedMtime: number,
  hints: ChunkHints | undefined,
): { content: string[]; size: number; statSize: number; mtime: number; changed: boolean } {
  // The parent's last chunk ended where its file did, not at a cut, so it is never a hint.
  let hinted = hints ? hints.ids.length - 1 : 0;
  let hint = 0;
  const file = Deno.openSync(path, { read: true });
  try {
    const buffer = s.buffer;
    const content: string[] = [];
    let start = 0;
    let end = 0;
    let eof = false;
    let total = 0;
    /** Moves the bytes not yet cut to the front and reads until the buffer is full or the file ends. */
    const fill = () => {
      if (start > 0) {
        buffer.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      while (end < buffer.length) {
        const read = total < expectedSize ? file.readSync(buffer.subarray(end)) : 0;
        if (read === null || read === 0) {
          eof = true;
          break;
        }
        end += read;
        total += read;
      }
    };
    /** True when fewer than `bytes` are read past `start` and reading on can add some (room, no end yet). */
    const canGrowTo = (bytes: number) => !eof && (start > 0 || end < buffer.length) && end - start < bytes;
    fill();
    for (;;) {
      if (hint < hinted) {
        const length = hints!.lengths[hint]!;
        if (canGrowTo(length)) {
          fill();
          continue;
        }
        if (length <= end - start) {
          const chunk = buffer.subarray(start, start + length);
          const id = blobIdBytes(s.idKey, chunk);
          const hex = toHex(id);
          if (hex === hints!.ids[hint]) {
            content.push(storeChunk(s, chunk, id, hex));
            start += length;
            hint++;
            continue;
          }
        }
        hinted = 0; // different from here on: search for cuts again, from this chunk's start
      }
      const length = s.chunker.nextChunkLength(buffer, start, end, eof);
      if (length === 0) break;
      if (length < 0) {
        // No cut in the bytes read so far: read on. (With maxSize bytes, or at the end, there always is one.)
        if (!canGrowTo(Infinity)) throw new Error("chunker asked for more bytes than the buffer holds");
        fill();
        continue;
      }
      const chunk = buffer.subarray(start, start + length);
      content.push(storeChunk(s, chunk, blobIdBytes(s.idKey, chunk)));
      start += length;
    }
    const after = file.statSync();
    const mtime = after.mtime?.getTime() ?? 0;
    // Grown, shrunk or touched since the walk looked at it: the caller reads it again.
    const changed = after.size !== total || mtime !== expectedMtime;
    return { content, size: total, statSize: after.size, mtime, changed };
  } finally {
    file.close();
  }
}

/** Stores a chunk with id `id` unless the repository or this worker has it; returns the id in hex. */
function storeChunk(
  s: NonNullable<typeof state>,
  chunk: Uint8Array,
  id: Uint8Array,
  hex = toHex(id),
): string {
  if (s.known.has(id) || s.sent.has(hex)) return hex;
  s.sent.add(hex);
  const parts = encodeBlobParts(chunk, s.level);
  let length = SEAL_OVERHEAD;
  for (const part of parts) length += part.length;
  if (RingWriter.tooLarge(length)) {
    outbox.push({ id, rawLength: chunk.length, sealed: seal(s.encryptKey, ...parts) });
  } else {
    // A full ring waits for the main thread, which must first have the blobs that fill it.
    const slice = s.ring.reserve(length, () => outbox.length > 0 && flush([]));
    sealInto(s.encryptKey, s.ring.bytes.subarray(slice.offset, slice.offset + length), parts);
    outbox.push({ id, rawLength: chunk.length, slice });
  }
  outboxBytes += length;
  if (outboxBytes >= BATCH_BYTES) flush([]);
  return hex;
}
