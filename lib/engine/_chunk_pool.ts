// Hands files to the chunking workers and feeds the sealed blobs they return into the pack sink.

import type { ChunkerParams } from "../chunker/mod.ts";
import type { ToMain, ToWorker } from "./_chunk_protocol.ts";
import type { PackSink } from "./_pack_sink.ts";

/** What reading one file produced. */
export interface ChunkedFile {
  content: string[];
  size: number;
  mtime: number;
  /** The file kept changing while it was read. */
  changed: boolean;
}

/** Files each worker may have queued, so that none idles while the main thread is busy. */
const JOBS_PER_WORKER = 8;

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
}

/** A pool of chunking workers bound to one pack sink. */
export class ChunkPool {
  #workers: WorkerEntry[] = [];
  #queue: Job[] = [];
  #nextJob = 0;
  #sink: PackSink;
  #credits: Int32Array;
  #pendingAdds: Promise<void> = Promise.resolve();

  constructor(
    options: {
      workers: number;
      encryptKey: Uint8Array;
      idKey: Uint8Array;
      chunkerKey: Uint8Array;
      params: ChunkerParams;
      level: number;
      known: SharedArrayBuffer;
    },
    sink: PackSink,
  ) {
    this.#sink = sink;
    const credits = new SharedArrayBuffer(4 * options.workers);
    this.#credits = new Int32Array(credits);
    for (let slot = 0; slot < options.workers; slot++) {
      const worker = new Worker(new URL("./_chunk_worker.ts", import.meta.url), { type: "module" });
      const entry: WorkerEntry = { worker, running: new Map<number, Job>() };
      worker.onmessage = (event: MessageEvent<ToMain>) => this.#receive(slot, entry.running, event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        for (const job of entry.running.values()) {
          job.reject(new Error(`chunk worker failed: ${event.message}`));
        }
        entry.running.clear();
      };
      const init: ToWorker = {
        type: "init",
        encryptKey: options.encryptKey,
        idKey: options.idKey,
        chunkerKey: options.chunkerKey,
        params: options.params,
        level: options.level,
        known: options.known,
        credits,
        slot,
      };
      worker.postMessage(init);
      this.#workers.push(entry);
    }
  }

  /** Reads and stores one file; resolves with its content ids. */
  chunkFile(path: string, size: number, mtime: number): Promise<ChunkedFile> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextJob++, path, size, mtime, resolve, reject });
      this.#dispatch();
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
      const job = this.#queue.shift()!;
      best.running.set(job.id, job);
      const message: ToWorker = {
        type: "file",
        job: job.id,
        path: job.path,
        size: job.size,
        mtime: job.mtime,
      };
      best.worker.postMessage(message);
    }
  }

  #receive(slot: number, running: Map<number, Job>, message: ToMain): void {
    if (message.type === "blob") {
      const release = () => {
        Atomics.sub(this.#credits, slot, message.credit);
        Atomics.notify(this.#credits, slot);
      };
      // Keep the sink's order of adds; a failure surfaces through the file's promise below.
      this.#pendingAdds = this.#pendingAdds.then(() =>
        this.#sink.add("data", message.id, message.sealed, message.rawLength, release)
      );
      return;
    }
    const job = running.get(message.job);
    if (!job) return;
    running.delete(message.job);
    // A file is done only once all of its blobs have reached the sink.
    const added = this.#pendingAdds;
    this.#pendingAdds = added.catch(() => {});
    added.then(
      () => {
        if ("error" in message) job.reject(new Error(message.error));
        else {job.resolve({
            content: message.content,
            size: message.size,
            mtime: message.mtime,
            changed: message.changed,
          });}
      },
      (error) => job.reject(error instanceof Error ? error : new Error(String(error))),
    );
    this.#dispatch();
  }

  /** Waits for blobs still being added, then stops the workers. */
  async close(): Promise<void> {
    await this.#pendingAdds.catch(() => {});
    for (const { worker } of this.#workers) worker.terminate();
  }
}
