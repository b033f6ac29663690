// Hands files to the restore workers in batches and settles each file's promise when its worker is done.

import { BatchingPool, decodeWorkerError, type PoolJob } from "../workers/mod.ts";
import type { FileJob, ToMain, ToWorker } from "./_restore_protocol.ts";

/** A file, or a part of one, to write. */
export type FileToWrite = Omit<FileJob, "job">;

const LABEL = "restore worker";

/** A pool of file-writing workers for one restore. */
export class RestorePool {
  #pool: BatchingPool<FileToWrite, number, ToMain>;

  constructor(options: { workers: number; encryptKey: Uint8Array; idKey: Uint8Array }) {
    this.#pool = new BatchingPool(
      new URL("./_restore_worker.ts", import.meta.url),
      options.workers,
      { jobsPerWorker: 32, batchJobs: 16, batchBytes: 4 * 1024 * 1024 },
      {
        label: LABEL,
        init: (worker) => {
          const init: ToWorker = { type: "init", encryptKey: options.encryptKey, idKey: options.idKey };
          worker.postMessage(init);
        },
        send: (worker, jobs: PoolJob<FileToWrite, number>[]) => {
          const files = jobs.map((job) => ({ ...job.payload, job: job.id }));
          // Bytes read from storage move to the worker instead of being copied.
          const transfer = files.flatMap((file) => file.sealed ? [file.sealed.buffer as ArrayBuffer] : []);
          const message: ToWorker = { type: "files", files };
          if (transfer.length > 0) worker.postMessage(message, { transfer });
          else worker.postMessage(message);
        },
        receive: (index, message) => {
          for (const outcome of message.done) {
            const job = this.#pool.finish(index, outcome.job);
            if (!job) continue;
            if ("error" in outcome) job.reject(decodeWorkerError(outcome.error, LABEL));
            else job.resolve(outcome.bytes);
          }
        },
      },
    );
  }

  /**
   * Writes one file (or part); resolves with the file's size so far. Rejects with an `IoError` or an
   * `IntegrityError` when the file could not be written, and with a `WorkerBugError` for a bug.
   */
  write(job: FileToWrite, size: number): Promise<number> {
    return this.#pool.submit(job, size);
  }

  /** Stops the workers. */
  close(): void {
    this.#pool.terminate();
  }
}
