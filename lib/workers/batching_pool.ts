// A pool of Web Workers that take jobs in batches. Every message costs a trip through both event loops,
// which for a small file costs more than the work itself, so jobs queue until the caller yields and then
// travel together to the least busy worker. What a job is, and what a worker answers, is the owner's.

/** A queued or running job; `size` (bytes of content) limits how many go in one message. */
export interface PoolJob<T, R> {
  id: number;
  payload: T;
  size: number;
  resolve: (value: R) => void;
  reject: (error: Error) => void;
}

/** How much one worker gets at once. */
export interface BatchLimits {
  /** Jobs a worker may have queued, so that none idles while the main thread is busy. */
  jobsPerWorker: number;
  /** A batch: at most this many jobs or bytes. */
  batchJobs: number;
  batchBytes: number;
  /**
   * When set, the pool starts with one worker and adds one (up to its count) whenever the bytes queued or
   * running exceed this much per worker, or more jobs wait than a worker may hold; unset, all start at once.
   */
  growAtBytes?: number;
  /**
   * When set, a worker that has jobs is given more only once it is down to this many: jobs that trickle in
   * one at a time (each released by the one before) then travel in batches, not one message each.
   */
  refillAt?: number;
}

/** What the owner does with its workers. */
export interface PoolHandlers<T, R, M> {
  /** Names the workers in errors ("chunk worker"). */
  label: string;
  /** Sets a new worker up (its init message). */
  init(worker: Worker, index: number): void;
  /** Sends one batch of jobs. */
  send(worker: Worker, jobs: PoolJob<T, R>[]): void;
  /** Handles a worker's message; calls {@link BatchingPool.finish} for the jobs it completes. */
  receive(index: number, message: M): void;
}

interface WorkerEntry<T, R> {
  worker: Worker;
  running: Map<number, PoolJob<T, R>>;
  /** Bytes of the jobs it is running or holds. */
  bytes: number;
}

export class BatchingPool<T, R, M> {
  readonly #entries: WorkerEntry<T, R>[] = [];
  readonly #limits: BatchLimits;
  /** Waiting jobs: a list with a moving head, since Array.shift is linear in the queue length. */
  #queue: PoolJob<T, R>[] = [];
  #head = 0;
  #nextId = 0;
  #dispatchScheduled = false;
  readonly #url: URL;
  readonly #maxWorkers: number;
  readonly #handlers: PoolHandlers<T, R, M>;
  /** Bytes of jobs queued or running: more workers start as this grows (see BatchLimits.growAtBytes). */
  #pendingBytes = 0;
  /** Set once a worker has died. */
  #failure: Error | undefined;

  constructor(url: URL, count: number, limits: BatchLimits, handlers: PoolHandlers<T, R, M>) {
    this.#url = url;
    this.#maxWorkers = count;
    this.#limits = limits;
    this.#handlers = handlers;
    const initial = limits.growAtBytes === undefined ? count : 1;
    for (let index = 0; index < initial; index++) this.#spawn();
  }

  #spawn(): void {
    const index = this.#entries.length;
    const handlers = this.#handlers;
    const worker = new Worker(this.#url, { type: "module" });
    const entry: WorkerEntry<T, R> = { worker, running: new Map(), bytes: 0 };
    worker.onmessage = (event: MessageEvent<M>) => {
      handlers.receive(index, event.data);
      this.#dispatch();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`${handlers.label} failed: ${event.message}`), entry);
    };
    handlers.init(worker, index);
    this.#entries.push(entry);
  }

  /** Number of workers started so far. */
  get workers(): number {
    return this.#entries.length;
  }

  /**
   * A worker died (an error outside the per-job handling, a message that could not be cloned): its jobs,
   * those waiting and all later ones fail with its error. Dispatching on to it, or to fewer workers,
   * would leave jobs that never settle, or hide the fault.
   */
  #fail(error: Error, entry: WorkerEntry<T, R>): void {
    this.#failure ??= error;
    for (const job of entry.running.values()) job.reject(this.#failure);
    entry.running.clear();
    entry.bytes = 0;
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.reject(this.#failure);
    this.#queue = [];
    this.#head = 0;
  }

  /** Queues a job; it settles when its owner resolves or rejects it. */
  submit(payload: T, size: number): Promise<R> {
    return new Promise((resolve, reject) => this.enqueue(payload, size, resolve, reject));
  }

  /**
   * Queues a job that calls `resolve` or `reject` when its owner settles it: {@link submit} without a
   * promise, for callers with very many small jobs. `reject` may be called at once (the pool has failed).
   */
  enqueue(payload: T, size: number, resolve: (value: R) => void, reject: (error: Error) => void): void {
    if (this.#failure) return reject(this.#failure);
    this.#queue.push({ id: this.#nextId++, payload, size, resolve, reject });
    this.#pendingBytes += size;
    // Dispatch once the caller yields, so that the jobs it queued meanwhile travel as one batch.
    if (!this.#dispatchScheduled) {
      this.#dispatchScheduled = true;
      queueMicrotask(() => {
        this.#dispatchScheduled = false;
        this.#dispatch();
      });
    }
  }

  /** Takes a completed job off its worker's list, which makes room for more; the caller settles it. */
  finish(index: number, id: number): PoolJob<T, R> | undefined {
    const entry = this.#entries[index]!;
    const job = entry.running.get(id);
    entry.running.delete(id);
    if (job) {
      this.#pendingBytes -= job.size;
      entry.bytes -= job.size;
    }
    return job;
  }

  #dispatch(): void {
    if (this.#failure) return;
    const { jobsPerWorker, batchJobs, batchBytes, growAtBytes, refillAt } = this.#limits;
    // Another worker only when there is work enough to pay for its start (tens of milliseconds of a core):
    // many bytes, or more jobs waiting than a worker may hold.
    while (
      growAtBytes !== undefined && this.#entries.length < this.#maxWorkers &&
      (this.#pendingBytes > growAtBytes * this.#entries.length ||
        this.#queue.length - this.#head > jobsPerWorker)
    ) {
      this.#spawn();
    }
    while (this.#head < this.#queue.length) {
      // The worker with the fewest bytes to go: a large file keeps its worker busy for a while, and the
      // small files queued after it would wait for it on a worker chosen by count of jobs.
      let best: WorkerEntry<T, R> | undefined;
      for (const entry of this.#entries) {
        const room = entry.running.size < jobsPerWorker &&
          (refillAt === undefined || entry.running.size <= refillAt);
        if (room && (!best || entry.bytes < best.bytes)) best = entry;
      }
      if (!best) return;
      const batch: PoolJob<T, R>[] = [];
      let bytes = 0;
      while (
        this.#head < this.#queue.length && batch.length < batchJobs && bytes < batchBytes &&
        best.running.size < jobsPerWorker
      ) {
        const job = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined as unknown as PoolJob<T, R>;
        best.running.set(job.id, job);
        best.bytes += job.size;
        batch.push(job);
        bytes += job.size;
      }
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      this.#handlers.send(best.worker, batch);
    }
  }

  /** Stops the workers; jobs still running never settle. */
  terminate(): void {
    for (const { worker } of this.#entries) worker.terminate();
  }
}
