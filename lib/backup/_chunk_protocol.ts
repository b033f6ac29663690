// Messages between the backup's main thread and its chunking workers. Both directions are batched:
// every message costs a trip through the event loop, which on a tree of small files would cost more
// than reading the files.

import type { ChunkerParams } from "../chunker/mod.ts";
import type { RingBuffers, RingSlice } from "./_blob_ring.ts";
import type { WorkerError } from "../workers/mod.ts";

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

/** One file to read. */
export interface FileJob {
  job: number;
  path: string;
  size: number;
  mtime: number;
  hints?: ChunkHints;
}

/** What every worker needs to cut, id, compress and seal chunks for one repository. */
export interface ChunkerSetup {
  encryptKey: Uint8Array;
  idKey: Uint8Array;
  chunkerKey: Uint8Array;
  params: ChunkerParams;
  level: number;
  /** Ids the repository already has (see _shared_id_set.ts). */
  known: SharedArrayBuffer;
}

/** Main thread → worker. */
export type ToWorker =
  | ChunkerSetup & {
    type: "init";
    /** Where this worker puts sealed blobs for the main thread. */
    ring: RingBuffers;
  }
  | { type: "files"; files: FileJob[] };

/** A new blob, sealed: in the worker's ring, or (when too large for it) in a buffer of its own. */
export type SealedBlob =
  & { id: Uint8Array; rawLength: number }
  & ({ slice: RingSlice } | { sealed: Uint8Array });

/** The outcome of one file. */
export type FileDone =
  | { job: number; content: string[]; size: number; mtime: number; changed: boolean }
  | { job: number; error: WorkerError };

/** Worker → main thread: blobs first, then the files they complete. */
export interface ToMain {
  type: "results";
  blobs: SealedBlob[];
  done: FileDone[];
}
