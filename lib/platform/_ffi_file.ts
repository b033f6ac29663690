/**
 * A file open for reading through the C library: pread, fstat and extended attributes of the descriptor,
 * none of which looks a path up again.
 *
 * @module
 */

import type { FfiScratch } from "./_ffi_dir.ts";
import { joinPath } from "./_paths.ts";
import type { FileStat, OpenFile, PathLike } from "./_types.ts";

/** EINTR is 4 on Linux and macOS. */
const EINTR = 4;
const NOTHING = new Uint8Array(0);

/** A file descriptor opened by `FfiPlatform.openFile()` or `FfiDir.openFile()`. */
export class FfiFile implements OpenFile {
  readonly #x: FfiScratch;
  readonly #fd: number;
  /** For messages: the path, or the name in `#folder`. */
  readonly #name: PathLike;
  readonly #folder: string | undefined;
  #closed = false;

  /** `path` is the file's path, or with `folder` its name there (joined only for a message). */
  constructor(scratch: FfiScratch, fd: number, path: PathLike, folder?: string) {
    this.#x = scratch;
    this.#fd = fd;
    this.#name = path;
    this.#folder = folder;
  }

  get #path(): PathLike {
    return this.#folder === undefined ? this.#name : joinPath(this.#folder, this.#name);
  }

  get fd(): number | undefined {
    return this.#closed ? undefined : this.#fd;
  }

  read(buffer: Uint8Array, position: number): number {
    const { libc } = this.#x;
    const fd = this.#open();
    for (;;) {
      const read = libc.pread(fd, buffer, position);
      if (read >= 0) return read;
      if (libc.errno() !== EINTR) throw this.#x.fail("pread", this.#path);
    }
  }

  stat(): FileStat {
    const x = this.#x;
    if (x.libc.fstat(this.#open(), x.statBuffer) !== 0) throw x.fail("fstat", this.#path);
    return x.decodeStat();
  }

  listXattrs(): Uint8Array[] {
    const x = this.#x;
    const fd = this.#open();
    for (;;) {
      const size = x.libc.flistxattr(fd, NOTHING);
      if (size < 0) throw x.fail("flistxattr", this.#path);
      if (size === 0) return [];
      const list = new Uint8Array(size);
      const length = x.libc.flistxattr(fd, list);
      if (length >= 0) return splitNames(list.subarray(0, length));
      // ERANGE: an attribute was added since the size was asked for.
      if (x.libc.errno() !== x.erange) throw x.fail("flistxattr", this.#path);
    }
  }

  getXattr(name: string | Uint8Array): Uint8Array {
    const x = this.#x;
    const fd = this.#open();
    const cName = x.cName(name, "fgetxattr");
    for (;;) {
      const size = x.libc.fgetxattr(fd, cName, NOTHING);
      if (size < 0) throw x.fail("fgetxattr", this.#path, name);
      const value = new Uint8Array(size);
      if (size === 0) return value;
      const length = x.libc.fgetxattr(fd, cName, value);
      if (length >= 0) return value.subarray(0, length);
      if (x.libc.errno() !== x.erange) throw x.fail("fgetxattr", this.#path, name);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Never retried: on Linux the descriptor is gone even when close reports an error.
    if (this.#x.libc.close(this.#fd) !== 0) throw this.#x.fail("close", this.#path);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #open(): number {
    if (this.#closed) throw new Deno.errors.BadResource("Cannot read a closed file");
    return this.#fd;
  }
}

/** The NUL-separated names of a listxattr buffer. */
export function splitNames(list: Uint8Array): Uint8Array[] {
  const names: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] !== 0) continue;
    if (i > start) names.push(list.slice(start, i));
    start = i + 1;
  }
  if (start < list.length) names.push(list.slice(start));
  return names;
}
