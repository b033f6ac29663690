// Hands files to the restore workers in batches and settles each file's promise when its worker is done.

import type { FileDone, FileJob, ToMain, ToWorker } from "./_restore_protocol.ts";

/** Files each worker may have queued, so that none idles while the main thread walks trees. */
const JOBS_PER_WORKER = 32;
/** A batch: at most this many files or bytes of content. */
const BATCH_FILES = 16;
const BATCH_BYTES = 4 * 1024 * 1024;

interface Pending {
  job: FileJob;
  size: number;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

interface WorkerEntry {
  worker: Worker;
  running: Map<number, Pending>;
}

/** A pool of file-writing workers for one restore. */
export class RestorePool {
  #workers: WorkerEntry[] = [];
  #queue: Pending[] = [];
  #nextJob = 0;
  #dispatchScheduled = false;

  constructor(options: { workers: number; encryptKey: Uint8Array; idKey: Uint8Array }) {
    for (let i = 0; i < options.workers; i++) {
      const worker = new Worker(new URL("./_restore_worker.ts", import.meta.url), { type: "module" });
      const entry: WorkerEntry = { worker, running: new Map() };
      worker.onmessage = (event: MessageEvent<ToMain>) => this.#receive(entry, event.data.done);
      worker.onerror = (event) => {
        event.preventDefault();
        for (const pending of entry.running.values()) {
          pending.reject(new Error(`restore worker failed: ${event.message}`));
        }
        entry.running.clear();
      };
      const init: ToWorker = { type: "init", encryptKey: options.encryptKey, idKey: options.idKey };
      worker.postMessage(init);
      this.#workers.push(entry);
    }
  }

  /** Writes one file; resolves with its content bytes, rejects with why it failed. */
  write(job: Omit<FileJob, "job">, size: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job: { ...job, job: this.#nextJob++ }, size, resolve, reject });
      // Dispatch once the walk yields, so that the files it found meanwhile travel as one batch.
      if (!this.#dispatchScheduled) {
        this.#dispatchScheduled = true;
        queueMicrotask(() => {
          this.#dispatchScheduled = false;
          this.#dispatch();
        });
      }
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let best: WorkerEntry | undefined;
      for (const entry of this.#workers) {
        if (entry.running.size < JOBS_PER_WORKER && (!best || entry.running.size < best.running.size)) {
          best = entry;
        }
      }
      if (!best) return;
      let count = 0;
      let bytes = 0;
      while (
        count < this.#queue.length && count < BATCH_FILES && bytes < BATCH_BYTES &&
        best.running.size + count < JOBS_PER_WORKER
      ) {
        bytes += this.#queue[count]!.size;
        count++;
      }
      const batch = this.#queue.splice(0, count);
      for (const pending of batch) best.running.set(pending.job.job, pending);
      const message: ToWorker = { type: "files", files: batch.map((pending) => pending.job) };
      best.worker.postMessage(message);
    }
  }

  #receive(entry: WorkerEntry, done: FileDone[]): void {
    for (const outcome of done) {
      const pending = entry.running.get(outcome.job);
      if (!pending) continue;
      entry.running.delete(outcome.job);
      if ("error" in outcome) pending.reject(new Error(outcome.error));
      else pending.resolve(outcome.bytes);
    }
    this.#dispatch();
  }

  /** Stops the workers. */
  close(): void {
    for (const { worker } of this.#workers) worker.terminate();
  }
}
