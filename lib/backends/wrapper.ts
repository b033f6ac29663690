/**
 * The base of every backend wrapper (retry, cache, limits, dry-run, fault injection): forwards each call to
 * the backend it wraps, so that a subclass overrides only what it changes and still forwards the rest.
 *
 * @module
 */

import type {
  Backend,
  BackendCapabilities,
  ByteRange,
  CleanOptions,
  CleanResult,
  FileEntry,
  FileKind,
  FileWriter,
  Handle,
} from "./backend.ts";

/**
 * A {@linkcode Backend} that passes every call through to `inner` unchanged, and reports `inner`'s location
 * and capabilities. Subclasses override the methods they change; `unwrap()` returns `inner`.
 *
 * @example
 * ```ts
 * import { BackendWrapper, type Handle, MemoryBackend } from "./mod.ts";
 * class Counting extends BackendWrapper {
 *   gets = 0;
 *   override get(handle: Handle) {
 *     this.gets++;
 *     return super.get(handle);
 *   }
 * }
 * const counting = new Counting(new MemoryBackend());
 * ```
 */
export class BackendWrapper implements Backend {
  /** The wrapped backend. */
  protected readonly inner: Backend;

  /** Wraps `inner`; every call goes to it until a subclass says otherwise. */
  constructor(inner: Backend) {
    this.inner = inner;
  }

  /** The wrapped backend's location. */
  get location(): string {
    return this.inner.location;
  }

  /** The wrapped backend's capabilities. */
  get capabilities(): BackendCapabilities {
    return this.inner.capabilities;
  }

  /** The wrapped backend. */
  unwrap(): Backend {
    return this.inner;
  }

  /** Passes through; throws what the wrapped backend throws. */
  get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    return this.inner.get(handle, range);
  }

  /** Passes through; throws what the wrapped backend throws. */
  put(handle: Handle, data: Uint8Array): Promise<void> {
    return this.inner.put(handle, data);
  }

  /** Passes through; throws what the wrapped backend throws. */
  openWriter(kind: FileKind): FileWriter {
    return this.inner.openWriter(kind);
  }

  /** Passes through; throws what the wrapped backend throws. */
  list(kind: FileKind): AsyncIterable<FileEntry> {
    return this.inner.list(kind);
  }

  /** Passes through; throws what the wrapped backend throws. */
  stat(handle: Handle): Promise<FileEntry | undefined> {
    return this.inner.stat(handle);
  }

  /** Passes through; throws what the wrapped backend throws. */
  delete(handle: Handle): Promise<void> {
    return this.inner.delete(handle);
  }

  /** Passes through; throws what the wrapped backend throws. */
  deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    return this.inner.deleteMany(kind, names);
  }

  /** Passes through; throws what the wrapped backend throws. */
  cleanTemporaryFiles(olderThanMs: number, options?: CleanOptions): Promise<CleanResult> {
    return this.inner.cleanTemporaryFiles(olderThanMs, options);
  }

  /** Closes the wrapped backend. */
  close(): Promise<void> {
    return this.inner.close();
  }
}
