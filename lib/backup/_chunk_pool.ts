// Hands files to the chunking workers and feeds the sealed blobs they return into the pack sink.

import { discard } from "../memory.ts";
import { BatchingPool, decodeWorkerError, type PoolJob, type WorkerError } from "../workers/mod.ts";
import { createRing, RingReader } from "./_blob_ring.ts";
import type { ChunkerSetup, ChunkHints, FileJob, ToMain, ToWorker } from "./_chunk_protocol.ts";
import type { BlobId, PackSink } from "../repo/mod.ts";

/** What reading one file produced. */
export interface ChunkedFile {
  content: BlobId[];
  size: number;
  mtime: number;
  /** The file kept changing while it was read. */
  changed: boolean;
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

type FileToRead = Omit<FileJob, "job">;

/** A pool of chunking workers bound to one pack sink. */
export class ChunkPool {
  #pool: BatchingPool<FileToRead, ChunkedFile, ToMain>;
  #rings: RingReader[] = [];
  #sink: PackSink;

  constructor(options: ChunkerSetup & { workers: number }, sink: PackSink) {
    this.#sink = sink;
    const { workers, ...setup } = options;
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
        send: (worker, jobs: PoolJob<FileToRead, ChunkedFile>[]) => {
          const message: ToWorker = {
            type: "files",
            files: jobs.map((job) => ({ job: job.id, ...job.payload })),
          };
          worker.postMessage(message);
        },
        receive: (index, message) => this.#receive(index, message),
      },
    );
  }

  /** Reads and stores one file; resolves with its content ids. `hints`: how its previous version was cut. */
  chunkFile(path: string, size: number, mtime: number, hints?: ChunkHints): Promise<ChunkedFile> {
    return this.#pool.submit(hints ? { path, size, mtime, hints } : { path, size, mtime }, size);
  }

  #receive(index: number, message: ToMain): void {
    const ring = this.#rings[index]!;
    let failure: unknown;
    for (const blob of message.blobs) {
      // The sink copies each blob into a pack before it calls release, in the order of adds (also when
      // some wait for a pack to close), which is the order the worker wrote its ring in.
      const [sealed, release] = "slice" in blob
        ? [ring.view(blob.slice), () => ring.release(blob.slice)]
        : [blob.sealed, () => discard(blob.sealed)];
      try {
        this.#sink.add("data", blob.id, sealed, blob.rawLength, release)?.catch(() => {}); // see added() below
      } catch (error) {
        failure ??= error;
      }
    }
    if (message.done.length === 0) return;
    // A file is done only once all of its blobs have reached the sink.
    const added = failure === undefined ? this.#sink.added("data") : Promise.reject(failure);
    added?.catch(() => {}); // handled per file below (and not unhandled when no file is ours)
    for (const done of message.done) {
      const job = this.#pool.finish(index, done.job);
      if (!job) continue;
      const settle = () => {
        if ("error" in done) {
          job.reject(fileFailure(done.error));
        } else {
          // The worker spells the ids it computed: they are blob ids.
          const content = done.content as BlobId[];
          job.resolve({ content, size: done.size, mtime: done.mtime, changed: done.changed });
        }
      };
      const fail = (error: unknown) => job.reject(error instanceof Error ? error : new Error(String(error)));
      if (added) added.then(settle, fail);
      else settle();
    }
  }

  /** Waits for blobs still being added, then stops the workers. */
  async close(): Promise<void> {
    await this.#sink.added("data")?.catch(() => {});
    this.#pool.terminate();
  }
}
