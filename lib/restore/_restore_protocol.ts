// Messages between a restore's main thread and its file-writing workers. The main thread decides what
// to write where (names, overwrite and resume checks, hard links); workers read the blobs from the
// pack files, decrypt, decompress and verify them, and write the files with synchronous calls, which
// cost a fraction of an async call each.

/** Where one blob of a file's content lies. */
export interface BlobSource {
  id: string;
  /** Path of the pack file on this machine. */
  pack: string;
  /** Short pack id, for messages. */
  packName: string;
  offset: number;
  length: number;
  rawLength: number;
}

/** One file to write: content into `partial`, then metadata, then renamed to `path`. */
export interface FileJob {
  job: number;
  partial: string;
  path: string;
  blobs: BlobSource[];
  mode: number;
  mtime: number;
  /** Owner to set; absent when it needs no change. */
  owner?: { uid: number; gid: number };
}

export type ToWorker =
  | { type: "init"; encryptKey: Uint8Array; idKey: Uint8Array }
  | { type: "files"; files: FileJob[] };

/** The outcome of one file: bytes of content, or why it failed (nothing is left behind then). */
export type FileDone = { job: number; bytes: number } | { job: number; error: string };

export interface ToMain {
  type: "done";
  done: FileDone[];
}
