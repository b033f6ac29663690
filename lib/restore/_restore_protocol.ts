// Messages between a restore's main thread and its file-writing workers. The main thread decides what
// to write where (names, overwrite and resume checks, hard links); workers read the blobs from the
// pack files (or take the bytes the main thread read from storage that is not a local folder), decrypt,
// decompress and verify them, and write the files with synchronous calls, which cost a fraction of an
// async call each.

import type { WorkerError } from "../workers/mod.ts";
import type { PackId } from "../repo/mod.ts";
import type { SharedDir } from "../platform/mod.ts";

/** Where one blob of a file's content lies. */
export interface BlobSource {
  id: string;
  /** Short pack id, for messages. */
  packName: PackId;
  /** Path of the pack file on this machine; absent when the sealed bytes travel in the job. */
  pack?: string;
  /** Offset of the sealed blob in the pack file, or (no `pack`) in the job's `sealed` bytes. */
  offset: number;
  length: number;
  rawLength: number;
}

/** Metadata set once a file's content is complete, before it is renamed into place. */
export interface FileMetadata {
  mode: number;
  /** Modification time as the tree has it (docs/format.md#trees): milliseconds, and nanoseconds past them. */
  mtime: number;
  mtimeNs?: number;
  /** Owner to set; absent when it needs no change. */
  owner?: { uid: number; gid: number };
}

/**
 * A file to write, or a part of one: its content into `partial`, then (last part) metadata, then renamed to
 * `name`, both in the folder `dir`, which the main thread keeps open until the job is done. A file from
 * storage that is not a local folder may come in parts, so that its bytes are never all in memory at once;
 * each part is sent once the one before it is written.
 */
export interface FileJob {
  job: number;
  /** The folder handle the file is written in (docs/restore.md#restore-safety). */
  dir: SharedDir;
  /** Names in `dir`. */
  partial: string;
  name: string;
  blobs: BlobSource[];
  /** Sealed bytes of the blobs without a pack path; transferred, not copied. */
  sealed?: Uint8Array;
  /** Offset in the file of the first blob: 0 but for the later parts of a file. */
  at: number;
  /** First part: creates `partial`, which must not exist. */
  create: boolean;
  /** Last part: sets this, then renames `partial` to `path`. */
  finish?: FileMetadata;
}

export type ToWorker =
  | { type: "init"; encryptKey: Uint8Array; idKey: Uint8Array }
  | { type: "files"; files: FileJob[] }
  /** The restore is over: close the pack files kept open, then say so. */
  | { type: "close" };

/**
 * The outcome of one job: the file's size so far (holes included), or why it failed, with its kind
 * (nothing is left behind then).
 */
export type FileDone = { job: number; bytes: number } | { job: number; error: WorkerError };

export type ToMain = { type: "done"; done: FileDone[] } | { type: "closed" };
