/**
 * A backend wrapper that retries what may succeed on a second try: every `BackendError` that is not
 * `permanent` (timeouts, resets, 5xx, 429, short bodies), and, where the inner backend reports
 * `flakyErrors`, permanent ones too (but never `NotFoundError` or `AlreadyExistsError`). Waits with
 * exponential backoff and full jitter between attempts.
 *
 * @module
 */

import { AlreadyExistsError, BackendError, NotFoundError } from "../errors.ts";
import {
  type Backend,
  type ByteRange,
  type CleanOptions,
  type CleanResult,
  type FileEntry,
  type FileKind,
  type FileWriter,
  gatheringWriter,
  type Handle,
} from "./backend.ts";
import { BackendWrapper } from "./wrapper.ts";

/** Options of a {@linkcode RetryBackend}. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** The cap of the first wait in ms; it doubles with each retry (default 250). */
  baseDelayMs?: number;
  /** The largest wait in ms (default 30 000). */
  maxDelayMs?: number;
  /** Waits `ms` (default: a timer); tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) (default `Math.random`): the jitter. */
  random?: () => number;
  /** Called before each retry with what failed (for counting and logs; never given secrets). */
  onRetry?: (event: RetryEvent) => void;
}

/** One retry about to happen. */
export interface RetryEvent {
  /** The operation: "get", "put", "list", "stat", "delete", "cleanTemporaryFiles". */
  operation: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long the wrapper waits before the next attempt, in ms. */
  delayMs: number;
  /** Why the attempt failed. */
  error: BackendError;
}

/**
 * A {@linkcode BackendWrapper} that retries transient failures with exponential backoff and full jitter:
 * before retry n (from 1) it waits a random time below `min(maxDelayMs, baseDelayMs * 2^(n-1))`. After the
 * last attempt it throws the last error. Writers gather their bytes and `put` them (retried) at commit.
 *
 * @example
 * ```ts
 * import { FaultyBackend, MemoryBackend, RetryBackend } from "./mod.ts";
 * const faulty = new FaultyBackend(new MemoryBackend(), [{ operation: "put", fault: "transient" }]);
 * const backend = new RetryBackend(faulty, { sleep: () => Promise.resolve() });
 * await backend.put({ kind: "locks", name: "a1" }, new Uint8Array(1)); // the second attempt succeeds
 * ```
 */
export class RetryBackend extends BackendWrapper {
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;
  #retries = 0;

  /** @throws {RangeError} when `attempts` is not a positive integer or a delay is negative. */
  constructor(inner: Backend, options: RetryOptions = {}) {
    super(inner);
    this.#attempts = options.attempts ?? 6;
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    if (!Number.isSafeInteger(this.#attempts) || this.#attempts < 1) {
      throw new RangeError(`Invalid retry attempts ${this.#attempts}: must be a positive integer`);
    }
    if (!(this.#baseDelayMs >= 0 && this.#maxDelayMs >= 0)) {
      throw new RangeError(`Invalid retry delays ${this.#baseDelayMs} and ${this.#maxDelayMs}: must be >= 0`);
    }
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#onRetry = options.onRetry;
  }

  /** How many retries this wrapper made so far (attempts after a first one), over all operations. */
  get retries(): number {
    return this.#retries;
  }

  /** Reads, retrying transient failures. */
  override get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    return this.#retry("get", () => this.inner.get(handle, range));
  }

  /**
   * Stores, retrying transient failures. When an attempt failed after the object may have been stored
   * (the answer was lost) and a later one finds the name taken, the stored bytes are compared with `data`:
   * equal bytes mean the earlier attempt succeeded.
   */
  override async put(handle: Handle, data: Uint8Array): Promise<void> {
    let failedBefore = false;
    await this.#retry("put", async () => {
      try {
        await this.inner.put(handle, data);
      } catch (error) {
        if (error instanceof AlreadyExistsError && failedBefore && await this.#holds(handle, data)) return;
        failedBefore = true;
        throw error;
      }
    });
  }

  /** A writer that gathers the bytes and stores them with this wrapper's `put`, so commits are retried. */
  override openWriter(kind: FileKind): FileWriter {
    return gatheringWriter(this, kind);
  }

  /**
   * Lists; a listing that fails is started again (after the same waits as other calls), skipping the names
   * it already gave, so that a failure on a later page does not lose or repeat entries.
   */
  override async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    const seen = new Set<string>();
    let iterator: AsyncIterator<FileEntry> | undefined;
    for (;;) {
      const next = await this.#retry("list", () => {
        iterator ??= this.inner.list(kind)[Symbol.asyncIterator]();
        return iterator.next().catch((error) => {
          iterator = undefined; // a generator that threw is finished: the next attempt lists afresh
          throw error;
        });
      });
      if (next.done) return;
      if (seen.has(next.value.name)) continue;
      seen.add(next.value.name);
      yield next.value;
    }
  }

  /** Stats, retrying transient failures. */
  override stat(handle: Handle): Promise<FileEntry | undefined> {
    return this.#retry("stat", () => this.inner.stat(handle));
  }

  /** Deletes, retrying transient failures (deleting twice is harmless). */
  override delete(handle: Handle): Promise<void> {
    return this.#retry("delete", () => this.inner.delete(handle));
  }

  /** Deletes a batch, retrying transient failures (the whole batch again: deleting twice is harmless). */
  override deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    return this.#retry("deleteMany", () => this.inner.deleteMany(kind, names));
  }

  /** Cleans, retrying transient failures. */
  override cleanTemporaryFiles(olderThanMs: number, options?: CleanOptions): Promise<CleanResult> {
    return this.#retry("cleanTemporaryFiles", () => this.inner.cleanTemporaryFiles(olderThanMs, options));
  }

  /** Whether the stored file `handle` holds exactly `data`. */
  async #holds(handle: Handle, data: Uint8Array): Promise<boolean> {
    const stored = await this.#retry("get", () => this.inner.get(handle));
    if (stored.length !== data.length) return false;
    for (let i = 0; i < data.length; i++) if (stored[i] !== data[i]) return false;
    return true;
  }

  /** Runs `call` until it succeeds, fails for good, or the attempts are used up. */
  async #retry<T>(operation: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!this.#retryable(error) || attempt >= this.#attempts) throw error;
        const cap = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.floor(this.#random() * cap);
        this.#retries++;
        this.#onRetry?.({ operation, attempt, delayMs, error });
        await this.#sleep(delayMs);
      }
    }
  }

  #retryable(error: unknown): error is BackendError {
    if (!(error instanceof BackendError)) return false;
    if (error instanceof NotFoundError || error instanceof AlreadyExistsError) return false;
    return !error.permanent || this.inner.capabilities.flakyErrors;
  }
}
