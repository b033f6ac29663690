/**
 * The one storage interface every repository destination implements (local, s3, memory) and every
 * wrapper (retry, dry-run, fault injection) wraps, with what it can do as a value (capabilities) and the
 * chain of wrappers walked with `unwrap()`. Layout of names: docs/format.md#files.
 *
 * @module
 */

/** The kinds of files in a repository; each lives in its own folder (or key prefix). */
export type FileKind = "config" | "keys" | "data" | "index" | "snapshots" | "locks";

/** All kinds, in a stable order. */
export const FILE_KINDS: readonly FileKind[] = ["config", "keys", "data", "index", "snapshots", "locks"];

/**
 * The kinds a backend may store again over an existing file instead of refusing: packs, index files,
 * snapshots and locks. Their names are the SHA-256 of their bytes (docs/format.md#files), which for snapshots
 * and locks include a fresh random nonce, and no command decides anything by whether one exists, so a second
 * `put` of a name can only bring the bytes already there. Storage that can only check before it writes (S3:
 * a HEAD before each PUT) then skips the check. Keys and the config are never replaced: one that exists makes
 * `put` throw `AlreadyExistsError`.
 */
export const REPLACEABLE_KINDS: ReadonlySet<FileKind> = new Set(["data", "index", "snapshots", "locks"]);

/** Names one stored file. For `config` the name is always "config". */
export interface Handle {
  kind: FileKind;
  name: string;
}

/** A byte range to read: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** A listed file. */
export interface FileEntry {
  name: string;
  size: number;
  /**
   * When the file was last written, in milliseconds since the epoch (as the storage keeps it: a local file's
   * mtime, an object's last-modified time). Locks, leftover clean-up and prune's grace period compare it.
   */
  mtime: number;
}

/**
 * What a backend can do beyond the interface's minimum: callers choose a strategy from it instead of probing
 * for optional methods. Wrappers report their inner backend's capabilities unless they change what it does
 * (a wrapper that changes the bytes `get` returns says `localFiles: false`, so that nobody reads around it).
 */
export interface BackendCapabilities {
  /**
   * Files are plain files in a folder on this machine, and reading them there gives what `get` gives: worker
   * threads may open them by path, found with `asBackend(backend, LocalBackend)`.
   */
  readonly localFiles: boolean;
  /**
   * Racing `put`s (and commits) of one name are decided atomically: exactly one wins, the others get
   * `AlreadyExistsError`. False where a backend can only check before it writes (a file system without hard
   * links, an object store without conditional writes): locks must then write, wait and look again.
   */
  readonly atomicCreate: boolean;
  /** How many operations are worth having in flight at once (an object store's connections). */
  readonly connections: number;
  /**
   * `openWriter` sends bytes on to storage as they come, so the caller need not hold the whole file; false
   * where it gathers them and stores them with `put` at commit: callers that hold the bytes anyway then call
   * `put` themselves.
   */
  readonly writeThrough: boolean;
  /**
   * The backend may, for a while, fail reads of files that exist with errors that look permanent (an object
   * store that is only eventually consistent, a flaky network share): a retry wrapper retries those too.
   */
  readonly flakyErrors: boolean;
}

/**
 * Storage of immutable, named files. All methods are async but for `openWriter` and its writer's `write`;
 * none assumes that a rename exists. Every method is required, so that a wrapper (retry, cache, limits,
 * dry-run, fault injection) that does not forward one does not compile; backends that cannot do better use
 * {@linkcode gatheringWriter} and {@linkcode nothingToClean}.
 */
export interface Backend {
  /** Human-readable location, for messages ("/srv/backup", "s3://host/bucket/prefix"). */
  readonly location: string;
  /** What this backend can do; may change once (a local folder that turns out to have no hard links). */
  readonly capabilities: BackendCapabilities;
  /** The backend this one wraps, or undefined for a backend that stores files itself. */
  unwrap(): Backend | undefined;
  /**
   * Reads a whole file or a range of it. Throws `NotFoundError` when it does not exist and
   * `BackendError` for other failures (with `permanent` saying whether a retry can help). The bytes are the
   * caller's own (no cache keeps them): it may change them or transfer their buffer to a worker.
   */
  get(handle: Handle, range?: ByteRange): Promise<Uint8Array>;
  /**
   * Stores a file atomically: readers see all of it or nothing, also after a crash. Throws
   * `AlreadyExistsError` when the name exists (where the backend can tell), never replacing it; but for the
   * {@linkcode REPLACEABLE_KINDS} (named by the hash of their bytes) a backend may instead store the file
   * again, so the caller must never put other bytes under such a name. Local storage and memory refuse
   * every kind; S3 stores these without checking first.
   * The caller may reuse `data`'s memory once the promise settles: keep no reference to it.
   */
  put(handle: Handle, data: Uint8Array): Promise<void>;
  /**
   * Starts a file whose name is known only once it is complete (a pack is named by its hash). Where
   * `capabilities.writeThrough`, bytes go to storage as they come; elsewhere they are gathered and `put` at
   * commit. Throws `BackendError` when the file cannot be started.
   */
  openWriter(kind: FileKind): FileWriter;
  /** Lists the files of one kind, in no particular order. */
  list(kind: FileKind): AsyncIterable<FileEntry>;
  /** Size and time of a file, or undefined when it does not exist. */
  stat(handle: Handle): Promise<FileEntry | undefined>;
  /** Removes a file; removing a missing file is not an error. */
  delete(handle: Handle): Promise<void>;
  /**
   * Removes files of one kind; missing files are not an error. Storage that removes many in one request
   * (S3's DeleteObjects, up to 1,000 a request) does so; elsewhere they go one by one
   * ({@linkcode deleteEach}). On failure some may be gone and others not: deleting again is harmless.
   */
  deleteMany(kind: FileKind, names: readonly string[]): Promise<void>;
  /**
   * Removes the temporary files of writers that were killed before they finished, if last written more
   * than `olderThanMs` before `options.now` (default: now); `dryRun` only reports them. Storage where a
   * failed write leaves nothing behind reports nothing ({@linkcode nothingToClean}).
   */
  cleanTemporaryFiles(olderThanMs: number, options?: CleanOptions): Promise<CleanResult>;
  /** Releases connections or handles. */
  close(): Promise<void>;
}

/** Options of {@linkcode Backend.cleanTemporaryFiles}. */
export interface CleanOptions {
  /** The current time, in ms since the epoch (default: the system clock). */
  now?: number;
  /** Only report what would be removed. */
  dryRun?: boolean;
}

/** Result of {@linkcode Backend.cleanTemporaryFiles}. */
export interface CleanResult {
  /** Repository-relative paths of the temporary files removed (or, in a dry run, found). */
  removed: string[];
  /** Their size in bytes, together. */
  bytes: number;
}

/** A file being written by {@link Backend.openWriter}. */
export interface FileWriter {
  /** Appends bytes. Synchronous: the caller may reuse `data` as soon as it returns. */
  write(data: Uint8Array): void;
  /**
   * Stores what was written as `name`, with `put`'s guarantees (atomic, durable, never replacing but where
   * `put` may replace the same bytes).
   */
  commit(name: string): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/**
 * The writer of a backend that cannot write through: copies the bytes as they come and stores them with one
 * `put` at commit. A killed writer leaves nothing behind.
 *
 * @example
 * ```ts
 * import { gatheringWriter, MemoryBackend } from "./mod.ts";
 * const backend = new MemoryBackend();
 * const writer = gatheringWriter(backend, "data");
 * writer.write(new Uint8Array([1, 2]));
 * await writer.commit("ab12");
 * ```
 */
export function gatheringWriter(backend: Pick<Backend, "put">, kind: FileKind): FileWriter {
  let parts: Uint8Array[] | undefined = [];
  let length = 0;
  const take = (): Uint8Array[] => {
    if (parts === undefined) throw new TypeError("Cannot use a file writer after its commit or abort");
    const taken = parts;
    parts = undefined;
    return taken;
  };
  return {
    write(data) {
      if (parts === undefined) throw new TypeError("Cannot use a file writer after its commit or abort");
      parts.push(data.slice());
      length += data.length;
    },
    async commit(name) {
      const taken = take();
      const whole = taken.length === 1 ? taken[0]! : new Uint8Array(length);
      if (taken.length !== 1) {
        let at = 0;
        for (const part of taken) {
          whole.set(part, at);
          at += part.length;
        }
      }
      await backend.put({ kind, name }, whole);
    },
    abort() {
      parts = undefined;
      return Promise.resolve();
    },
  };
}

/** `deleteMany` for storage without a batch call: `backend.delete` for each name, a few at a time. */
export async function deleteEach(
  backend: Pick<Backend, "delete" | "capabilities">,
  kind: FileKind,
  names: readonly string[],
): Promise<void> {
  await eachLimited(names, backend.capabilities.connections, (name) => backend.delete({ kind, name }));
}

/** Runs `work` on each item (and its index) in order, at most `limit` at once; rejects with the first failure. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** {@linkcode Backend.cleanTemporaryFiles} of a backend whose failed writes leave nothing behind. */
export function nothingToClean(): Promise<CleanResult> {
  return Promise.resolve({ removed: [], bytes: 0 });
}

/** A class of backends, whatever its constructor (for {@linkcode asBackend}). */
export interface BackendClass<T extends Backend> {
  readonly prototype: T;
}

/**
 * The first backend of class `kind` in the chain from `backend` inward (`backend` itself, what it wraps,
 * what that wraps…), or undefined. Find a feature of one kind of storage this way, never by casting: a
 * wrapper in between stays in the chain.
 *
 * @example
 * ```ts
 * import { asBackend, BackendWrapper, LocalBackend, MemoryBackend } from "./mod.ts";
 * const wrapped = new BackendWrapper(new MemoryBackend());
 * console.assert(asBackend(wrapped, LocalBackend) === undefined);
 * ```
 */
export function asBackend<T extends Backend>(backend: Backend, kind: BackendClass<T>): T | undefined {
  for (let current: Backend | undefined = backend; current !== undefined; current = current.unwrap()) {
    if (Object.prototype.isPrototypeOf.call(kind.prototype, current)) return current as T;
  }
  return undefined;
}

/** The path of a file inside the repository, relative to its root: `data/ab/abcdef…`, `snapshots/…`. */
export function handlePath(handle: Handle): string {
  if (handle.kind === "config") return "config";
  if (handle.kind === "data") return `data/${handle.name.slice(0, 2)}/${handle.name}`;
  return `${handle.kind}/${handle.name}`;
}

/**
 * Rejects a handle no backend may store (a bug in the caller): a config not named "config", or a name that
 * is empty, hidden (temporary files start with "."), or holds a path separator or NUL. Every backend asks
 * this first, so names mean the same on every storage.
 */
export function checkHandle(handle: Handle): void {
  const name = handle.name;
  if (handle.kind === "config") {
    if (name !== "config") throw new TypeError(`Invalid config handle name "${name}": must be "config"`);
    return;
  }
  if (name === "" || name.startsWith(".") || /[/\\\0]/.test(name)) {
    throw new TypeError(`Invalid ${handle.kind} file name "${name}"`);
  }
}

/** Rejects ranges that are not made of non-negative integers (a bug in the caller). */
export function checkRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.offset) || range.offset < 0) {
    throw new RangeError(`Invalid range offset ${range.offset}`);
  }
  if (!Number.isSafeInteger(range.length) || range.length < 0) {
    throw new RangeError(`Invalid range length ${range.length}`);
  }
}
