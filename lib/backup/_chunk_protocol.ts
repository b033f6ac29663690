// Messages between the backup's main thread and its chunking workers. Both directions are batched:
// every message costs a trip through the event loop, which on a tree of small files would cost more
// than reading the files.

import type { ChunkerParams } from "../chunker/mod.ts";
import type { RingBuffers } from "./_blob_ring.ts";
import type { WorkerError } from "../workers/mod.ts";
import type { SharedIds } from "../repo/mod.ts";
import type { NodeXattr } from "../repo/mod.ts";

/**
 * How the parent snapshot cut a file: its chunks' ids and plaintext lengths, in order. A chunk of the
 * new content that starts where the parent's did and holds the same bytes ends where it did (a cut
 * depends only on the bytes since the chunk's start), so the worker checks such chunks by their id
 * instead of searching for cuts: an appended log is hashed, not chunked, up to its old last chunk.
 */
export interface ChunkHints {
  ids: readonly string[];
  lengths: readonly number[];
}

/**
 * Files to read, in columns: a message per file, or an object per file in a message, cost the main thread
 * more than the worker's reading of a small file (structured cloning walks every object).
 */
export interface FileBatch {
  /**
   * Per file, {@link FILE_NUMBERS} of them: job, size, mtime (ms), its nanoseconds, inode, device, and its
   * folder's device and inode as the walk read it (NaN for a file given as a source).
   */
  numbers: Float64Array;
  paths: string[];
  /** The few files that have hints, by their place in the batch. */
  hints: { at: number; hints: ChunkHints }[];
}

/** What every worker needs to cut, id, compress and seal chunks for one repository. */
export interface ChunkerSetup {
  encryptKey: Uint8Array;
  idKey: Uint8Array;
  chunkerKey: Uint8Array;
  params: ChunkerParams;
  level: number;
  /** Ids the repository already has: the index's own shared memory (lib/repo/_id_table.ts). */
  known: SharedIds;
}

/** Main thread → worker. */
export type ToWorker =
  | ChunkerSetup & {
    type: "init";
    /** Where this worker puts sealed blobs for the main thread. */
    ring: RingBuffers;
  }
  | { type: "files"; files: FileBatch };

/** Numbers per file in {@link FileBatch.numbers}. */
export const FILE_NUMBERS = 8;

/** Numbers per blob in {@link ToMain.blobNumbers}: offset, length and span in the ring, plaintext length. */
export const BLOB_NUMBERS = 4;
/**
 * Numbers per file in {@link ToMain.doneNumbers}: job, size, mtime (ms), its nanoseconds, changed (1 or 0),
 * content ids.
 */
export const DONE_NUMBERS = 6;

/**
 * Worker → main thread: new sealed blobs first (in the ring, or when too large for it in `large`), then
 * the files they complete; columns again, for the same reason as {@link FileBatch}.
 */
export interface ToMain {
  type: "results";
  /** 32 bytes per blob. */
  blobIds: Uint8Array;
  blobNumbers: Uint32Array;
  /** Blobs sealed outside the ring, by their place among the blobs (their ring numbers are unused). */
  large: { at: number; sealed: Uint8Array }[];
  doneNumbers: Float64Array;
  /** The content ids of the done files, one after another (`DONE_NUMBERS`' last column says how many). */
  content: string[];
  failed: { job: number; error: WorkerError }[];
  /** The few done files that have extended attributes, or problems reading them (see FileExtras). */
  extras: FileExtras[];
}

/**
 * What a worker read of a file besides its content: its extended attributes (through the open file: the
 * main thread looks no path up for them), and what it could not read of them.
 */
export interface FileExtras {
  job: number;
  xattrs: NodeXattr[] | undefined;
  problems: string[];
}
