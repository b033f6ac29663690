// Web Worker: reads files, cuts them into content-defined chunks, ids them, and compresses and seals the
// chunks the repository does not have yet. One per core; the main thread only packs and stores.

/// <reference lib="deno.worker" />

import { Chunker, gearTable } from "../chunker/mod.ts";
import { blobIdBytes, seal, SEAL_OVERHEAD, sealInto, toHex } from "../crypto/mod.ts";
import { encodeBlobParts } from "../repo/blob.ts";
import { RING_BYTES, type RingSlice, RingWriter } from "./_blob_ring.ts";
import { RecentIds } from "./_recent_ids.ts";
import { SharedIdSet } from "../repo/_id_table.ts";
import { describePath, type DirHandle, type OpenFile, platform } from "../platform/mod.ts";
import { entryStat } from "./entry_stat.ts";
import { readXattrs } from "./xattrs.ts";
import {
  BLOB_NUMBERS,
  type ChunkHints,
  FILE_NUMBERS,
  type FileBatch,
  type FileExtras,
  type ToMain,
  type ToWorker,
} from "./_chunk_protocol.ts";
import type { NodeXattr } from "../repo/mod.ts";
import { encodeWorkerError, IoError } from "../workers/worker_error.ts";
import type { FolderIdentity } from "./folder_scan.ts";

/** Blobs are sent in batches of about this many bytes: a quarter ring keeps both sides busy. */
const BATCH_BYTES = RING_BYTES / 4;

/**
 * Read buffer beyond one largest chunk. Bytes are moved to the front only when the chunker finds no cut in
 * what is left (a chunk's tail, ~1 MiB), not whenever less than a largest chunk is left: a 9 MiB buffer
 * does what two largest chunks (16 MiB) did, and moves an eighth of the bytes instead of half.
 */
const READ_AHEAD = 1024 * 1024;

/**
 * Ids a worker remembers as sent, in a 1 MiB table (all of it touched after a few thousand ids): it starts over
 * after 16,384, which the bench's 1 GiB corpus (~13,000 blobs a worker) never reaches. A copy whose first
 * blobs were forgotten is sealed again and dropped by the pack sink: CPU, not space. 65,536 took 4 MiB.
 */
const RECENT_IDS = 16_384;

/** Blobs sealed and files finished, not yet sent: in columns (see ToMain). */
class Outbox {
  #ids = new Uint8Array(1024 * 32);
  #numbers = new Uint32Array(1024 * BLOB_NUMBERS);
  #blobs = 0;
  #large: ToMain["large"] = [];
  #done: number[] = [];
  #content: string[] = [];
  #failed: ToMain["failed"] = [];
  #extras: FileExtras[] = [];
  /** Sealed bytes gathered. */
  bytes = 0;

  get blobs(): number {
    return this.#blobs;
  }

  /** A blob sealed into the ring (`slice`) or into a buffer of its own (`sealed`). */
  addBlob(id: Uint8Array, rawLength: number, placed: RingSlice | Uint8Array): void {
    if (this.#blobs * 32 === this.#ids.length) this.#grow();
    this.#ids.set(id, this.#blobs * 32);
    const at = this.#blobs * BLOB_NUMBERS;
    if (placed instanceof Uint8Array) {
      this.#large.push({ at: this.#blobs, sealed: placed });
      this.bytes += placed.length;
    } else {
      this.#numbers[at] = placed.offset;
      this.#numbers[at + 1] = placed.length;
      this.#numbers[at + 2] = placed.span;
      this.bytes += placed.length;
    }
    this.#numbers[at + 3] = rawLength;
    this.#blobs++;
  }

  addDone(job: number, result: ChunkResult): void {
    // DONE_NUMBERS columns, in its order.
    this.#done.push(
      job,
      result.size,
      result.mtime,
      result.mtimeNs,
      result.changed ? 1 : 0,
      result.content.length,
    );
    for (const id of result.content) this.#content.push(id);
    if (result.xattrs || result.problems.length > 0) {
      this.#extras.push({ job, xattrs: result.xattrs, problems: result.problems });
    }
  }

  addFailed(job: number, error: unknown): void {
    this.#failed.push({ job, error: encodeWorkerError(error) });
  }

  /** Empties the outbox into a message, and the buffers it hands over. */
  take(): { message: ToMain; transfer: ArrayBuffer[] } {
    const message: ToMain = {
      type: "results",
      blobIds: this.#ids.slice(0, this.#blobs * 32),
      blobNumbers: this.#numbers.slice(0, this.#blobs * BLOB_NUMBERS),
      large: this.#large,
      doneNumbers: Float64Array.from(this.#done),
      content: this.#content,
      failed: this.#failed,
      extras: this.#extras,
    };
    const transfer = this.#large.map(({ sealed }) => sealed.buffer as ArrayBuffer);
    this.#blobs = 0;
    this.#large = [];
    this.#done = [];
    this.#content = [];
    this.#failed = [];
    this.#extras = [];
    this.bytes = 0;
    return { message, transfer };
  }

  #grow(): void {
    const ids = new Uint8Array(this.#ids.length * 2);
    ids.set(this.#ids);
    this.#ids = ids;
    const numbers = new Uint32Array(this.#numbers.length * 2);
    numbers.set(this.#numbers);
    this.#numbers = numbers;
  }
}

const outbox = new Outbox();

/** What reading one file gave: its content, and what the open file was when it was read (fstat). */
interface ChunkResult {
  content: string[];
  size: number;
  seen: Expected;
  mtime: number;
  mtimeNs: number;
  changed: boolean;
  /** Extended attributes, read through the open file, and what could not be read of them. */
  xattrs: NodeXattr[] | undefined;
  problems: string[];
}

/** What a file should be, as the walk's lstat saw it: reading stops at `size`. */
interface Expected {
  size: number;
  mtime: number;
  mtimeNs: number;
  ino: number;
  dev: number;
}

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
  processFiles(state, message.files);
  flush();
};

function processFiles(s: NonNullable<typeof state>, files: FileBatch): void {
  const hints = new Map(files.hints.map((file) => [file.at, file.hints]));
  const numbers = files.numbers;
  using folders = new FolderOpener();
  for (let i = 0; i < files.paths.length; i++) {
    const at = i * FILE_NUMBERS;
    const job = numbers[at]!;
    try {
      const path = files.paths[i]!;
      const fileHints = hints.get(i);
      const expected = {
        size: numbers[at + 1]!,
        mtime: numbers[at + 2]!,
        mtimeNs: numbers[at + 3]!,
        ino: numbers[at + 4]!,
        dev: numbers[at + 5]!,
      };
      const folder = Number.isNaN(numbers[at + 6])
        ? undefined
        : { dev: numbers[at + 6]!, ino: numbers[at + 7]! };
      let result = chunkFile(s, folders.open(path, folder), path, expected, fileHints);
      if (result.changed) {
        // A source named by the plan is opened by its path, with no folder the walk read to check: another
        // file there now may have come through a folder on that path swapped for a symlink, so it is not
        // read in the source's place (a file replaced in a folder the walk read is: see FolderOpener).
        if (folder === undefined && (result.seen.ino !== expected.ino || result.seen.dev !== expected.dev)) {
          throw new IoError(
            `${describePath(path)}: the file was replaced while it was backed up; not read again`,
          );
        }
        // Changed while we read it (or since the scan): read once more, by its path as it is now, from the
        // same folder; report if it keeps changing.
        folders.close();
        result = chunkFile(s, folders.open(path, folder), path, result.seen, fileHints);
      }
      outbox.addDone(job, result);
    } catch (error) {
      // With its kind: an unreadable file is skipped, a bug here must fail the backup as a bug.
      outbox.addFailed(job, error);
    }
  }
}

/**
 * Opens files relative to their folder, opened once for the files of a batch that share it: the kernel
 * then looks up one name per file instead of the whole path (docs/performance.md). Each file is opened
 * never following a symlink in its name, and never waiting on a FIFO swapped in since the scan (a
 * non-blocking open); its folder only when it is the one the walk read (see `open`). The fallback platform
 * has no folder descriptors: it opens each file by path.
 */
class FolderOpener implements Disposable {
  #path: string | undefined;
  #dir: DirHandle | undefined;

  /**
   * Opens the file at `path` (a string that may carry escaped bytes: see `nameText()`). With `expected`,
   * only from that very folder: one that is another by now (replaced, or a folder on its path swapped for
   * a symlink to elsewhere) is refused, so nothing outside the sources is read in a file's place.
   */
  open(path: string, expected: FolderIdentity | undefined): OpenFile {
    const fs = platform();
    const slash = path.lastIndexOf("/");
    if (fs.kind !== "ffi" || slash < 0) return fs.openFile(path, { noFollow: true });
    const folder = slash === 0 ? "/" : path.slice(0, slash);
    if (folder !== this.#path) {
      this.close();
      const dir = fs.openDir(folder);
      if (expected && !isFolder(dir, expected)) {
        dir.close();
        throw new IoError(`${describePath(folder)}: the folder was replaced since it was read`);
      }
      this.#dir = dir;
      this.#path = folder;
    }
    return this.#dir!.openFile(path.slice(slash + 1));
  }

  /** Closes the folder open now, if any: the next file opens its own. */
  close(): void {
    const dir = this.#dir;
    this.#dir = this.#path = undefined;
    dir?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** True when the open folder `dir` is the one `expected` names. */
function isFolder(dir: DirHandle, expected: FolderIdentity): boolean {
  const { dev, ino } = entryStat(dir.lstat());
  return dev === expected.dev && ino === expected.ino;
}

/** Sends the blobs collected so far and the files they complete. */
function flush(): void {
  const { message, transfer } = outbox.take();
  self.postMessage(message, transfer);
}

/**
 * Reads and stores one file, open as `file` (see FolderOpener), that is expected to be what the walk's
 * lstat saw (`expected`); closes it. Reading stops at the expected size, and one fstat afterwards tells
 * whether the file still is what was read: that saves a stat and an end-of-file read per file, which on a
 * tree of small files is a sixth of the system calls. Whatever is read from something that is no longer a
 * regular file is thrown away. Its extended attributes are read through the same descriptor. Kept whole:
 * it runs once per file (a million times for a tree of small files), and its steps share the descriptor,
 * the expected stat and the offsets read so far.
 */
function chunkFile(
  s: NonNullable<typeof state>,
  file: OpenFile,
  path: string,
  expected: Expected,
  hints: ChunkHints | undefined,
): ChunkResult {
  // The parent's last chunk ended where its file did, not at a cut, so it is never a hint.
  let hinted = hints ? hints.ids.length - 1 : 0;
  let hint = 0;
  const expectedSize = expected.size;
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
        // No more than the file's expected rest: a read into a view of megabytes costs a small file
        // several microseconds more.
        const want = Math.min(buffer.length - end, expectedSize - total);
        const read = want > 0 ? file.read(buffer.subarray(end, end + want), total) : 0;
        if (read === 0) {
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
    const after = file.stat();
    if (after.type !== "file") {
      throw new Deno.errors.InvalidData(
        `Cannot read "${describePath(path)}": it is no longer a regular file but a ${after.type}`,
      );
    }
    const seen = entryStat(after);
    // Grown, shrunk, touched or replaced since the walk looked at it: the caller reads it again.
    const changed = seen.size !== total || seen.mtime !== expected.mtime ||
      seen.mtimeNs !== expected.mtimeNs ||
      seen.ino !== expected.ino || seen.dev !== expected.dev;
    const problems: string[] = [];
    const xattrs = readXattrs(file, path, (problem) => problems.push(problem));
    return {
      content,
      size: total,
      seen,
      mtime: seen.mtime,
      mtimeNs: seen.mtimeNs,
      changed,
      xattrs,
      problems,
    };
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
  if (s.known.has(id) || s.sent.has(id)) return hex;
  s.sent.add(id);
  const parts = encodeBlobParts(chunk, s.level);
  let length = SEAL_OVERHEAD;
  for (const part of parts) length += part.length;
  if (RingWriter.tooLarge(length)) {
    outbox.addBlob(id, chunk.length, seal(s.encryptKey, ...parts));
  } else {
    // A full ring waits for the main thread, which must first have the blobs that fill it.
    const slice = s.ring.reserve(length, () => outbox.blobs > 0 && flush());
    sealInto(s.encryptKey, s.ring.bytes.subarray(slice.offset, slice.offset + length), parts);
    outbox.addBlob(id, chunk.length, slice);
  }
  if (outbox.bytes >= BATCH_BYTES) flush();
  return hex;
}
