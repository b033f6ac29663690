/**
 * The one storage interface every repository destination implements (local, s3, memory) and every
 * wrapper (retry, dry-run, fault injection) wraps. Layout of names: docs/format.md#files.
 *
 * @module
 */

/** The kinds of files in a repository; each lives in its own folder (or key prefix). */
export type FileKind = "config" | "keys" | "data" | "index" | "snapshots" | "locks";

/** All kinds, in a stable order. */
export const FILE_KINDS: readonly FileKind[] = ["config", "keys", "data", "index", "snapshots", "locks"];

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
}

/**
 * Storage of immutable, named files. All methods are async (but for the optional write-through writer of a
 * local folder, whose writes are synchronous); none assumes that a rename exists.
 */
export interface Backend {
  /** Human-readable location, for messages ("/srv/backup", "s3://host/bucket/prefix"). */
  readonly location: string;
  /**
   * Reads a whole file or a range of it. Throws `NotFoundError` when it does not exist and
   * `BackendError` for other failures (with `permanent` saying whether a retry can help).
   */
  get(handle: Handle, range?: ByteRange): Promise<Uint8Array>;
  /**
   * Stores a file atomically: readers see all of it or nothing, also after a crash. Throws
   * `AlreadyExistsError` when the name exists (where the backend can tell), never replacing it.
   * The caller may reuse `data`'s memory once the promise settles: keep no reference to it.
   */
  put(handle: Handle, data: Uint8Array): Promise<void>;
  /** Lists the files of one kind, in no particular order. */
  list(kind: FileKind): AsyncIterable<FileEntry>;
  /** Size of a file, or undefined when it does not exist. */
  stat(handle: Handle): Promise<FileEntry | undefined>;
  /** Removes a file; removing a missing file is not an error. */
  delete(handle: Handle): Promise<void>;
  /** Releases connections or handles. */
  close(): Promise<void>;
  /**
   * Where a file lies on this machine, for backends that keep files in a local folder: lets worker
   * threads read packs themselves instead of through the main thread. Absent for remote storage.
   */
  localPath?(handle: Handle): string;
  /**
   * Starts a file whose name is known only once it is complete (a pack is named by its hash), for backends
   * that can write through: bytes go to storage as they come, so the caller need not hold the whole file.
   * Absent: the caller gathers the bytes and calls `put`.
   */
  openWriter?(kind: FileKind): FileWriter;
  /**
   * Removes the temporary files of writers that were killed before they finished, if last written more
   * than `olderThanMs` before `options.now` (default: now); `dryRun` only reports them. Absent where a
   * failed write leaves nothing behind.
   */
  cleanTemporaryFiles?(
    olderThanMs: number,
    options?: { now?: number; dryRun?: boolean },
  ): Promise<CleanResult>;
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
  /** Stores what was written as `name`, with `put`'s guarantees (atomic, durable, never replacing). */
  commit(name: string): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** The path of a file inside the repository, relative to its root: `data/ab/abcdef…`, `snapshots/…`. */
export function handlePath(handle: Handle): string {
  if (handle.kind === "config") return "config";
  if (handle.kind === "data") return `data/${handle.name.slice(0, 2)}/${handle.name}`;
  return `${handle.kind}/${handle.name}`;
}
