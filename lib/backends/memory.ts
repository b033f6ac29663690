/**
 * A backend that keeps files in a `Map`, for unit tests. Same semantics as the real backends:
 * puts never replace, missing files raise `NotFoundError`, ranges must lie inside the file.
 *
 * @module
 */

import { AlreadyExistsError, BackendError, NotFoundError } from "../errors.ts";
import {
  type Backend,
  type ByteRange,
  type FileEntry,
  type FileKind,
  type Handle,
  handlePath,
} from "./backend.ts";

/** A {@linkcode Backend} in memory. Stored bytes are copied in and out, so callers cannot change them. */
export class MemoryBackend implements Backend {
  /** Always "memory:". */
  readonly location = "memory:";
  #files = new Map<string, { kind: FileKind; name: string; data: Uint8Array }>();

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
      this.#files.set(path, { kind: handle.kind, name: handle.name, data: data.slice() });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Lists the files of one kind, taken as a snapshot when iteration starts. */
  async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    const entries: FileEntry[] = [];
    for (const file of this.#files.values()) {
      if (file.kind === kind) entries.push({ name: file.name, size: file.data.length });
    }
    yield* entries;
  }

  /** Size of a file, or undefined when it does not exist. */
  stat(handle: Handle): Promise<FileEntry | undefined> {
    try {
      const file = this.#files.get(pathOf(handle));
      return Promise.resolve(file === undefined ? undefined : { name: handle.name, size: file.data.length });
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

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The path of a handle, after rejecting names the local backend would reject too. */
function pathOf(handle: Handle): string {
  const name = handle.name;
  if (handle.kind === "config") {
    if (name !== "config") throw new TypeError(`Invalid config handle name "${name}": must be "config"`);
  } else if (name === "" || name.startsWith(".") || /[/\\\0]/.test(name)) {
    throw new TypeError(`Invalid ${handle.kind} file name "${name}"`);
  }
  return handlePath(handle);
}

/** Rejects ranges that are not made of non-negative integers (bugs in the caller). */
function checkRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.offset) || range.offset < 0) {
    throw new RangeError(`Invalid range offset ${range.offset}`);
  }
  if (!Number.isSafeInteger(range.length) || range.length < 0) {
    throw new RangeError(`Invalid range length ${range.length}`);
  }
}
