// Hands files to the chunking workers and feeds the sealed blobs they return into the pack sink.

import type { ChunkerSetup, FileJob, ToMain, ToWorker } from "./_chunk_protocol.ts";
import type { PackSink } from "./_pack_sink.ts";
import { discard } from "../memory.ts";
import { createRing, RingReader } from "./_blob_ring.ts";

/** What reading one file produced. */
export interface ChunkedFile {
  content: string[];
  size: number;
  mtime: number;
  /** The file kept changing while it was read. */
  changed: boolean;
}

/** Files each worker may have queued, so that none idles while the main thread is busy. */
const JOBS_PER_WORKER = 128;
/** A batch sent to a worker: at most this many files or bytes of file content. */
const BATCH_FILES = 64;
const BATCH_BYTES = 16 * 1024 * 1024;

interface Job {
  id: number;
  path: string;
  size: number;
  mtime: number;
  resolve: (file: ChunkedFile) => void;
  reject: (error: Error) => void;
}

interface WorkerEntry {
  worker: Worker;
  running: Map<number, Job>;
  ring: RingReader;
}

/** A pool of chunking workers bound to one pack sink. */
export class ChunkPool {
  #workers: WorkerEntry[] = [];
  /** Waiting jobs: a list with a moving head, since Array.shift is linear in the queue length. */
  #queue: Job[] = [];
  #queueHead = 0;
  #nextJob = 0;
  #sink: PackSink;
  #pendingAdds: Promise<void> = Promise.resolve();
  #dispatchScheduled = false;

  constructor(
    options: ChunkerSetup & { workers: number },
    sink: PackSink,
  ) {
    this.#sink = sink;
    for (let slot = 0; slot < options.workers; slot++) {
      const worker = new Worker(new URL("./_chunk_worker.ts", import.meta.url), { type: "module" });
      const ring = createRing();
      const entry: WorkerEntry = { worker, running: new Map<number, Job>(), ring: new RingReader(ring) };
      worker.onmessage = (event: MessageEvent<ToMain>) => this.#receive(entry, event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        for (const job of entry.running.values()) {
          job.reject(new Error(`chunk worker failed: ${event.message}`));
        }
        entry.running.clear();
      };
      const { workers: _, ...setup } = options;
      const init: ToWorker = { ...setup, type: "init", ring };
      worker.postMessage(init);
      this.#workers.push(entry);
    }
  }

  /** Reads and stores one file; resolves with its content ids. */
  chunkFile(path: string, size: number, mtime: number): Promise<ChunkedFile> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextJob++, path, size, mtime, resolve, reject });
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
    while (this.#queueHead < this.#queue.length) {
      let best: WorkerEntry | undefined;
      for (const entry of this.#workers) {
        if (entry.running.size < JOBS_PER_WORKER && (!best || entry.running.size < best.running.size)) {
          best = entry;
        }
      }
      if (!best) return;
      const files: FileJob[] = [];
      let bytes = 0;
      while (
        this.#queueHead < this.#queue.length && files.length < BATCH_FILES && bytes < BATCH_BYTES &&
        best.running.size < JOBS_PER_WORKER
      ) {
        const job = this.#queue[this.#queueHead]!;
        this.#queue[this.#queueHead++] = undefined as unknown as Job;
        best.running.set(job.id, job);
        files.push({ job: job.id, path: job.path, size: job.size, mtime: job.mtime });
        bytes += job.size;
      }
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      }
      const message: ToWorker = { type: "files", files };
      best.worker.postMessage(message);
    }
  }

  #receive(entry: WorkerEntry, message: ToMain): void {
    const { ring, running } = entry;
    for (const blob of message.blobs) {
      // The sink copies the blob into a pack before it calls release, in the order of adds, which is
      // the order the worker wrote its ring in.
      const [sealed, release] = "slice" in blob
        ? [ring.view(blob.slice), () => ring.release(blob.slice)]
        : [blob.sealed, () => discard(blob.sealed)];
      // Keep the sink's order of adds; a failure surfaces through the files' promises below.
      this.#pendingAdds = this.#pendingAdds.then(() =>
        this.#sink.add("data", blob.id, sealed, blob.rawLength, release)
      );
    }
    if (message.done.length === 0) return;
    // A file is done only once all of its blobs have reached the sink.
    const added = this.#pendingAdds;
    this.#pendingAdds = added.catch(() => {});
    for (const done of message.done) {
      const job = running.get(done.job);
      if (!job) continue;
      running.delete(done.job);
      added.then(
        () => {
          if ("error" in done) job.reject(new Error(done.error));
          else {job.resolve({
              content: done.content,
              size: done.size,
              mtime: done.mtime,
              changed: done.changed,
            });}
        },
        (error) => job.reject(error instanceof Error ? error : new Error(String(error))),
      );
    }
    this.#dispatch();
  }

  /** Waits for blobs still being added, then stops the workers. */
  async close(): Promise<void> {
    await this.#pendingAdds.catch(() => {});
    for (const { worker } of this.#workers) worker.terminate();
  }
}
