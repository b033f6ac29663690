// Hands files to the restore workers in batches and settles each file's promise when its worker is done.

import { BatchingPool, type PoolJob } from "../workers/mod.ts";
import type { FileJob, ToMain, ToWorker } from "./_restore_protocol.ts";

type FileToWrite = Omit<FileJob, "job">;

/** A pool of file-writing workers for one restore. */
export class RestorePool {
  #pool: BatchingPool<FileToWrite, number, ToMain>;

  constructor(options: { workers: number; encryptKey: Uint8Array; idKey: Uint8Array }) {
    this.#pool = new BatchingPool(
      new URL("./_restore_worker.ts", import.meta.url),
      options.workers,
      { jobsPerWorker: 32, batchJobs: 16, batchBytes: 4 * 1024 * 1024 },
      {
        label: "restore worker",
        init: (worker) => {
          const init: ToWorker = { type: "init", encryptKey: options.encryptKey, idKey: options.idKey };
          worker.postMessage(init);
        },
        send: (worker, jobs: PoolJob<FileToWrite, number>[]) => {
          const message: ToWorker = {
            type: "files",
            files: jobs.map((job) => ({ ...job.payload, job: job.id })),
          };
          worker.postMessage(message);
        },
        receive: (index, message) => {
          for (const outcome of message.done) {
            const job = this.#pool.finish(index, outcome.job);
            if (!job) continue;
            if ("error" in outcome) job.reject(new Error(outcome.error));
            else job.resolve(outcome.bytes);
          }
        },
      },
    );
  }

  /** Writes one file; resolves with its content bytes, rejects with why it failed. */
  write(job: FileToWrite, size: number): Promise<number> {
    return this.#pool.submit(job, size);
  }

  /** Stops the workers. */
  close(): void {
    this.#pool.terminate();
  }
}
