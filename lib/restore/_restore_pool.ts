// Hands files to the restore workers in batches and settles each file's promise when its worker is done.

import { BatchingPool, decodeWorkerError, type PoolJob } from "../workers/mod.ts";
import type { FileJob, ToMain, ToWorker } from "./_restore_protocol.ts";

/** A file, or a part of one, to write. */
export type FileToWrite = Omit<FileJob, "job">;

const LABEL = "restore worker";
/** How long `close()` waits for the workers to close their pack files. */
const CLOSE_WAIT_MS = 5000;

/** A pool of file-writing workers for one restore. */
export class RestorePool {
  #pool: BatchingPool<FileToWrite, number, ToMain>;
  readonly #workers: Worker[] = [];
  /** Resolves each worker's `close()` wait when it says its pack files are closed. */
  readonly #closed = new Map<number, () => void>();

  constructor(options: { workers: number; encryptKey: Uint8Array; idKey: Uint8Array }) {
    this.#pool = new BatchingPool(
      new URL("./_restore_worker.ts", import.meta.url),
      options.workers,
      { jobsPerWorker: 32, batchJobs: 16, batchBytes: 4 * 1024 * 1024, refillAt: 16 },
      {
        label: LABEL,
        init: (worker) => {
          this.#workers.push(worker);
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
          if (message.type === "closed") return this.#closed.get(index)?.();
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

  /**
   * Has each worker close the pack files it keeps open (after the work it has, so also before the folders
   * it writes in may be closed), then stops the workers; a worker that does not answer within a few
   * seconds is stopped anyway.
   */
  async close(): Promise<void> {
    const answered = this.#workers.map((worker, index) =>
      new Promise<void>((resolve) => {
        this.#closed.set(index, resolve);
        const close: ToWorker = { type: "close" };
        worker.postMessage(close);
      })
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_WAIT_MS));
    await Promise.race([Promise.all(answered), late]);
    clearTimeout(timer);
    this.#pool.terminate();
  }
}
