/**
 * A backend that keeps files in a `Map`, for unit tests. Same semantics as the real backends:
 * puts never replace, missing files raise `NotFoundError`, ranges must lie inside the file.
 *
 * @module
 */

import { AlreadyExistsError, BackendError, NotFoundError } from "../errors.ts";
import {
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  checkHandle,
  checkRange,
  type CleanResult,
  deleteEach,
  type FileEntry,
  type FileKind,
  type FileWriter,
  gatheringWriter,
  type Handle,
  handlePath,
  nothingToClean,
} from "./backend.ts";

/** Options of a {@linkcode MemoryBackend}. */
export interface MemoryBackendOptions {
  /** The clock that dates stored files, in ms since the epoch (default: the system clock). */
  now?: () => number;
}

/** A stored file. */
interface MemoryFile {
  kind: FileKind;
  name: string;
  data: Uint8Array;
  mtime: number;
}

/** A {@linkcode Backend} in memory. Stored bytes are copied in and out, so callers cannot change them. */
export class MemoryBackend implements Backend {
  /** Always "memory:". */
  readonly location = "memory:";
  /** A map decides racing puts atomically; writers gather their bytes and `put` them. */
  readonly capabilities: BackendCapabilities = Object.freeze({
    localFiles: false,
    atomicCreate: true,
    connections: 8,
    writeThrough: false,
    flakyErrors: false,
  });
  #files = new Map<string, MemoryFile>();
  #now: () => number;

  /** An empty backend; `options.now` dates what is stored (tests pass a fixed clock). */
  constructor(options: MemoryBackendOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Undefined: this backend stores files itself. */
  unwrap(): undefined {
    return undefined;
  }

  /**
   * Returns a copy of a whole file or of `range.length` bytes from `range.offset`.
   *
   * @throws {NotFoundError} when the file does not exist.
   * @throws {BackendError} (permanent, "truncated") when the range reaches past the end.
   * @throws {RangeError} when the range is not made of non-negative integers.
   */
  get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    try {
      if (range !== undefined) checkRange(range);
      const path = pathOf(handle);
      const file = this.#files.get(path);
      if (file === undefined) throw new NotFoundError(`Cannot read "${path}" in memory: it does not exist`);
      if (range === undefined) return Promise.resolve(file.data.slice());
      const end = range.offset + range.length;
      if (end > file.data.length) {
        throw new BackendError(
          `Cannot read "${path}" in memory: truncated, wanted ${range.length} bytes at offset ${range.offset} ` +
            `but the file ends at ${file.data.length}`,
          { permanent: true },
        );
      }
      return Promise.resolve(file.data.slice(range.offset, end));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stores a copy of `data`.
   *
   * @throws {AlreadyExistsError} when a file of that name exists; it is left unchanged.
   */
  put(handle: Handle, data: Uint8Array): Promise<void> {
    try {
      const path = pathOf(handle);
      if (this.#files.has(path)) {
        throw new AlreadyExistsError(`Cannot store "${path}" in memory: a file of that name already exists`);
      }
      this.#files.set(path, { kind: handle.kind, name: handle.name, data: data.slice(), mtime: this.#now() });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A writer that gathers the bytes and stores them with `put` at commit. */
  openWriter(kind: FileKind): FileWriter {
    return gatheringWriter(this, kind);
  }

  /** Lists the files of one kind, taken as a snapshot when iteration starts. */
  async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    const entries: FileEntry[] = [];
    for (const file of this.#files.values()) if (file.kind === kind) entries.push(entryOf(file));
    yield* entries;
  }

  /** Size and time of a file, or undefined when it does not exist. */
  stat(handle: Handle): Promise<FileEntry | undefined> {
    try {
      const file = this.#files.get(pathOf(handle));
      return Promise.resolve(file === undefined ? undefined : entryOf(file));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Removes a file; a missing file is not an error. */
  delete(handle: Handle): Promise<void> {
    try {
      this.#files.delete(pathOf(handle));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Removes files one by one; missing files are not an error. */
  deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    return deleteEach(this, kind, names);
  }

  /** Nothing to clean: a write that fails leaves nothing behind. */
  cleanTemporaryFiles(): Promise<CleanResult> {
    return nothingToClean();
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** What `list` and `stat` say of a file. */
function entryOf(file: MemoryFile): FileEntry {
  return { name: file.name, size: file.data.length, mtime: file.mtime };
}

/** The path of a handle, after rejecting names every backend rejects. */
function pathOf(handle: Handle): string {
  checkHandle(handle);
  return handlePath(handle);
}
