// Hands files to the chunking workers and feeds the sealed blobs they return into the pack sink.

import { discard } from "../memory.ts";
import { BatchingPool, decodeWorkerError, type PoolJob, type WorkerError } from "../workers/mod.ts";
import { createRing, RingReader } from "./_blob_ring.ts";
import {
  BLOB_NUMBERS,
  type ChunkerSetup,
  type ChunkHints,
  DONE_NUMBERS,
  FILE_NUMBERS,
  type FileBatch,
  type ToMain,
  type ToWorker,
} from "./_chunk_protocol.ts";
import type { BlobId, NodeXattr, PackSink } from "../repo/mod.ts";
import type { FolderIdentity } from "./folder_scan.ts";

/** What reading one file produced. */
export interface ChunkedFile {
  content: BlobId[];
  size: number;
  mtime: number;
  /** Nanoseconds past `mtime`'s millisecond. */
  mtimeNs: number;
  /** The file kept changing while it was read. */
  changed: boolean;
  /** Its extended attributes, read through the open file (FFI only). */
  xattrs?: NodeXattr[];
  /** What could not be read of them: the file is still stored. */
  problems?: string[];
}

/** A file a worker could not read (it vanished, permissions, I/O): the backup reports and skips it. */
export class FileReadError extends Error {}

/**
 * What a worker's failure to chunk a file means for the backup: what the file system refused is that file's
 * problem (a {@linkcode FileReadError}, reported and skipped); anything else (a bug) fails the backup.
 */
function fileFailure(error: WorkerError): Error {
  const decoded = decodeWorkerError(error, "chunk worker");
  return error.kind === "io" ? new FileReadError(decoded.message, { cause: decoded }) : decoded;
}

/**
 * A file to read: where (a string that may carry escaped bytes: see `nameText()`), what the walk's lstat
 * saw (size, mtime, and the inode and device that must still be there), and how its previous version was cut.
 */
export interface FileToRead {
  path: string;
  size: number;
  mtime: number;
  mtimeNs: number;
  ino: number;
  dev: number;
  /**
   * The folder it was found in, as the walk read it: the worker reads the file only from that very folder
   * (a folder on its path swapped for a symlink since must not lead it elsewhere). Undefined for a source.
   */
  folder: FolderIdentity | undefined;
  hints: ChunkHints | undefined;
}

type Job = PoolJob<FileToRead, ChunkedFile>;

/** A pool of chunking workers bound to one pack sink. */
export class ChunkPool {
  #pool: BatchingPool<FileToRead, ChunkedFile, ToMain>;
  #rings: RingReader[] = [];
  #sink: PackSink;
  /** Hears the plain bytes of each new blob as it reaches the main thread, before its file is done. */
  #onStreamed: ((bytes: number) => void) | undefined;

  /** `onStreamed` hears the plain bytes of each batch of new blobs as they reach the main thread. */
  constructor(
    options: ChunkerSetup & { workers: number; onStreamed?: (bytes: number) => void },
    sink: PackSink,
  ) {
    this.#sink = sink;
    const { workers, onStreamed, ...setup } = options;
    this.#onStreamed = onStreamed;
    this.#pool = new BatchingPool(
      new URL("./_chunk_worker.ts", import.meta.url),
      workers,
      // A second worker costs a core tens of milliseconds to start: a small incremental backup does without.
      { jobsPerWorker: 128, batchJobs: 64, batchBytes: 16 * 1024 * 1024, growAtBytes: 96 * 1024 * 1024 },
      {
        label: "chunk worker",
        init: (worker) => {
          const ring = createRing();
          this.#rings.push(new RingReader(ring));
          const init: ToWorker = { ...setup, type: "init", ring };
          worker.postMessage(init);
        },
        send: (worker, jobs) => {
          const message: ToWorker = { type: "files", files: fileBatch(jobs) };
          worker.postMessage(message);
        },
        receive: (index, message) => this.#receive(index, message),
      },
    );
  }

  /** Reads and stores one file; resolves with its content ids. */
  chunkFile(file: FileToRead): Promise<ChunkedFile> {
    return new Promise((resolve, reject) => this.readFile(file, resolve, reject));
  }

  /**
   * Reads and stores one file, then calls `done` with its content ids, or `failed`. Callbacks rather than
   * a promise: a tree of small files makes a million of these, and each promise and the closures chained
   * on it cost the main thread allocations that outlive the young generation.
   */
  readFile(file: FileToRead, done: (file: ChunkedFile) => void, failed: (error: Error) => void): void {
    this.#pool.enqueue(file, file.size, done, failed);
  }

  #receive(index: number, message: ToMain): void {
    const failure = this.#addBlobs(this.#rings[index]!, message);
    const { done, failed } = this.#finish(index, message);
    if (done.length === 0 && failed.length === 0) return;
    // A file is done only once all of its blobs have reached the sink.
    const added = failure === undefined ? this.#sink.added("data") : Promise.reject(failure);
    const settle = () => {
      for (const { job, file } of done) job.resolve(file);
      for (const { job, error } of failed) job.reject(fileFailure(error));
    };
    if (!added) return settle();
    added.then(settle, (error) => {
      const reason = error instanceof Error ? error : new Error(String(error));
      for (const { job } of [...done, ...failed]) job.reject(reason);
    });
  }

  /** Hands the message's blobs to the sink; returns the first error. */
  #addBlobs(ring: RingReader, message: ToMain): unknown {
    let failure: unknown;
    const { blobIds, blobNumbers, large } = message;
    let nextLarge = 0;
    let streamed = 0;
    for (let i = 0, at = 0; at < blobNumbers.length; i++, at += BLOB_NUMBERS) {
      const id = blobIds.subarray(i * 32, i * 32 + 32);
      const rawLength = blobNumbers[at + 3]!;
      streamed += rawLength;
      // The sink copies each blob into a pack before it calls release, in the order of adds (also when
      // some wait for a pack to close), which is the order the worker wrote its ring in.
      let sealed: Uint8Array;
      let release: () => void;
      if (large[nextLarge]?.at === i) {
        const own = large[nextLarge++]!.sealed;
        [sealed, release] = [own, () => discard(own)];
      } else {
        const slice = { offset: blobNumbers[at]!, length: blobNumbers[at + 1]!, span: blobNumbers[at + 2]! };
        [sealed, release] = [ring.view(slice), () => ring.release(slice)];
      }
      try {
        this.#sink.add("data", id, sealed, rawLength, release)?.catch(() => {}); // seen by added()
      } catch (error) {
        failure ??= error;
      }
    }
    if (streamed > 0) this.#onStreamed?.(streamed);
    return failure;
  }

  /**
   * Takes the files a message completes off their worker's list now, so that the pool hands that worker
   * more at once (their settling may wait for the sink), and returns them with their outcome.
   */
  #finish(index: number, message: ToMain): {
    done: { job: Job; file: ChunkedFile }[];
    failed: { job: Job; error: WorkerError }[];
  } {
    const numbers = message.doneNumbers;
    const done: { job: Job; file: ChunkedFile }[] = [];
    const extras = new Map(message.extras.map((extra) => [extra.job, extra]));
    let next = 0;
    for (let at = 0; at < numbers.length; at += DONE_NUMBERS) {
      const count = numbers[at + 5]!;
      // The worker spells the ids it computed: they are blob ids.
      const content = message.content.slice(next, next + count) as BlobId[];
      next += count;
      const job = this.#pool.finish(index, numbers[at]!);
      const file: ChunkedFile = {
        content,
        size: numbers[at + 1]!,
        mtime: numbers[at + 2]!,
        mtimeNs: numbers[at + 3]!,
        changed: numbers[at + 4] === 1,
      };
      const extra = extras.get(numbers[at]!);
      if (extra?.xattrs) file.xattrs = extra.xattrs;
      if (extra?.problems.length) file.problems = extra.problems;
      if (job) done.push({ job, file });
    }
    const failed: { job: Job; error: WorkerError }[] = [];
    for (const { job: id, error } of message.failed) {
      const job = this.#pool.finish(index, id);
      if (job) failed.push({ job, error });
    }
    return { done, failed };
  }

  /** Waits for blobs still being added, then stops the workers. */
  async close(): Promise<void> {
    await this.#sink.added("data")?.catch(() => {});
    this.#pool.terminate();
  }
}

/** A batch of jobs as the worker takes it: numbers in one array, paths in another. */
function fileBatch(jobs: readonly PoolJob<FileToRead, ChunkedFile>[]): FileBatch {
  const numbers = new Float64Array(jobs.length * FILE_NUMBERS);
  const paths: string[] = [];
  const hints: FileBatch["hints"] = [];
  jobs.forEach((job, i) => {
    const at = i * FILE_NUMBERS;
    const file = job.payload;
    numbers[at] = job.id;
    numbers[at + 1] = file.size;
    numbers[at + 2] = file.mtime;
    numbers[at + 3] = file.mtimeNs;
    numbers[at + 4] = file.ino;
    numbers[at + 5] = file.dev;
    numbers[at + 6] = file.folder?.dev ?? NaN;
    numbers[at + 7] = file.folder?.ino ?? NaN;
    paths.push(file.path);
    if (job.payload.hints) hints.push({ at: i, hints: job.payload.hints });
  });
  return { numbers, paths, hints };
}
