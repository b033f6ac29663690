/**
 * Folder handles over Deno's file API, which has no descriptors for folders: a handle is the folder's real
 * path, and every call first checks that the path still leads to that folder (no symlink on the way) and
 * that the entry it names is not a symlink. Not race-free: a swap between that check and the call is
 * followed (docs/platform.md#folder-handles).
 *
 * @module
 */

import { lchownSync } from "node:fs";
import { fromDenoError, makeError, symlinkError } from "./_errors.ts";
import { joinPath, pathText } from "./_paths.ts";
import type {
  DeviceNode,
  DirEntry,
  DirHandle,
  FileStat,
  FileTimes,
  OpenFile,
  Owner,
  PathLike,
  Platform,
  SharedDir,
  UnnamedFile,
  WriteFile,
  Xattr,
} from "./_types.ts";

/** A folder known by its real path. */
export class FallbackDir implements DirHandle {
  readonly path: string;
  readonly #fs: Platform;

  /** `path` must be the folder's real path (absolute, no symlink on the way). */
  constructor(fs: Platform, path: string) {
    this.#fs = fs;
    this.path = path;
  }

  share(): SharedDir {
    return { fd: undefined, path: this.path };
  }

  openDir(name: PathLike): DirHandle {
    // This folder again, as `openat(fd, ".")` gives it: known by the same real path, which `#self()` has
    // checked. `path/.` would never equal the real path, and every call through it would fail.
    if (pathText(name) === ".") return new FallbackDir(this.#fs, this.#self());
    const path = this.#entry(name);
    const type = this.#fs.lstat(path).type;
    if (type === "symlink") throw symlinkError("open", path);
    if (type !== "dir") {
      throw makeError({ call: "open", path, reason: "not a folder", errorClass: Deno.errors.NotADirectory });
    }
    return new FallbackDir(this.#fs, path);
  }

  openFile(name: PathLike): OpenFile {
    return this.#fs.openFile(this.#entry(name), { noFollow: true });
  }

  mkdir(name: PathLike, mode: number): void {
    const path = this.#entry(name);
    attempt("mkdir", path, () => Deno.mkdirSync(path, { mode }));
  }

  createFile(name: PathLike, mode: number): WriteFile {
    const path = this.#entry(name);
    // createNew is O_CREAT | O_EXCL: it never follows a symlink at that name.
    const file = attempt("open", path, () => Deno.openSync(path, { write: true, createNew: true, mode }));
    return new FallbackWriteFile(file, path, () => this.#entry(name));
  }

  createUnnamedFile(_mode: number): UnnamedFile | undefined {
    return undefined; // Deno's file API has no O_TMPFILE
  }

  openFileForWrite(name: PathLike): WriteFile {
    const path = this.#notSymlink(name, "open");
    const file = attempt("open", path, () => Deno.openSync(path, { write: true }));
    return new FallbackWriteFile(file, path, () => this.#entry(name));
  }

  symlink(target: PathLike, name: PathLike): void {
    const path = this.#entry(name);
    const text = textOf(target, "symlink");
    attempt("symlink", path, () => Deno.symlinkSync(text, path));
  }

  link(from: DirHandle, fromName: PathLike, name: PathLike): void {
    const source = textOf(joinPath(from.path, fromName), "link");
    const path = this.#entry(name);
    attempt("link", path, () => Deno.linkSync(source, path));
  }

  rename(from: PathLike, to: PathLike): void {
    const source = this.#entry(from);
    const path = this.#entry(to);
    attempt("rename", path, () => Deno.renameSync(source, path));
  }

  remove(name: PathLike): void {
    const path = this.#entry(name);
    attempt("remove", path, () => Deno.removeSync(path));
  }

  removeTree(name: PathLike): void {
    const path = this.#entry(name);
    // Deno's recursive remove does not follow a symlink inside the folder it empties.
    attempt("remove", path, () => Deno.removeSync(path, { recursive: true }));
  }

  mkfifo(name: PathLike, mode: number): void {
    this.#fs.mkfifo(this.#entry(name), mode);
  }

  mknod(name: PathLike, node: DeviceNode): void {
    this.#fs.mknod(this.#entry(name), node);
  }

  lstat(name?: PathLike): FileStat {
    return this.#fs.lstat(name === undefined ? this.#self() : this.#entry(name));
  }

  readDir(): DirEntry[] {
    return this.#fs.readDir(this.#self());
  }

  setOwner(owner: Owner, name?: PathLike): void {
    const path = name === undefined ? this.#self() : this.#entry(name);
    attempt("lchown", path, () => lchownSync(path, owner.uid, owner.gid));
  }

  setMode(mode: number, name?: PathLike): void {
    if (!Number.isInteger(mode)) throw new TypeError(`Cannot chmod "${this.path}": the mode is not a number`);
    // Deno's chmod follows a symlink: refuse one first.
    const path = name === undefined ? this.#self() : this.#notSymlink(name, "chmod");
    attempt("chmod", path, () => Deno.chmodSync(path, mode & 0o7777));
  }

  setTimes(times: FileTimes, name?: PathLike): void {
    this.#fs.setTimes(name === undefined ? this.#self() : this.#entry(name), times);
  }
  setXattr(attribute: Xattr, name?: PathLike): void {
    this.#fs.setXattr(name === undefined ? this.#self() : this.#entry(name), attribute);
  }

  close(): void {}

  [Symbol.dispose](): void {}

  /** The folder's path, once checked to lead to it still: no symlink on the way. */
  #self(): string {
    let real: string;
    try {
      real = Deno.realPathSync(this.path);
    } catch (error) {
      throw fromDenoError(error, "realpath", this.path);
    }
    if (real !== this.path) {
      throw makeError({
        call: "open",
        path: this.path,
        reason: "the path now leads through a symlink",
        code: "ELOOP",
        errorClass: Deno.errors.FilesystemLoop,
      });
    }
    return this.path;
  }

  /** The path of the entry `name` in this folder, once the folder's own path is checked. */
  #entry(name: PathLike): string {
    return textOf(joinPath(this.#self(), name), "open");
  }

  /** Like `#entry()`, and refuses a symlink at `name`. */
  #notSymlink(name: PathLike, call: string): string {
    const path = this.#entry(name);
    let type: string | undefined;
    try {
      type = Deno.lstatSync(path).isSymlink ? "symlink" : "other";
    } catch {
      type = undefined; // nothing there: the call says so
    }
    if (type === "symlink") throw symlinkError(call, path);
    return path;
  }
}

/** A file written through Deno's API; owner and mode by path, checked again just before. */
class FallbackWriteFile implements WriteFile {
  readonly #file: Deno.FsFile;
  readonly #path: string;
  readonly #recheck: () => string;
  #closed = false;

  constructor(file: Deno.FsFile, path: string, recheck: () => string) {
    this.#file = file;
    this.#path = path;
    this.#recheck = recheck;
  }

  write(data: Uint8Array, position: number): void {
    attempt("write", this.#path, () => {
      this.#file.seekSync(position, Deno.SeekMode.Start);
      let written = 0;
      while (written < data.length) written += this.#file.writeSync(data.subarray(written));
    });
  }

  truncate(length: number): void {
    attempt("truncate", this.#path, () => this.#file.truncateSync(length));
  }

  setOwner(owner: Owner): void {
    const path = this.#checked("lchown");
    attempt("lchown", path, () => lchownSync(path, owner.uid, owner.gid));
  }

  setMode(mode: number): void {
    if (!Number.isInteger(mode)) {
      throw new TypeError(`Cannot chmod "${this.#path}": the mode is not a number`);
    }
    const path = this.#checked("chmod");
    attempt("chmod", path, () => Deno.chmodSync(path, mode & 0o7777));
  }

  setTimes(times: FileTimes): void {
    attempt("futime", this.#path, () => {
      const now = this.#file.statSync();
      const atime = times.atimeNs === undefined ? now.atime ?? new Date() : dateOf(times.atimeNs);
      const mtime = times.mtimeNs === undefined ? now.mtime ?? new Date() : dateOf(times.mtimeNs);
      this.#file.utimeSync(atime, mtime);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** The file's path, refused when a symlink is there now. */
  #checked(call: string): string {
    const path = this.#recheck();
    if (Deno.lstatSync(path).isSymlink) throw symlinkError(call, path);
    return path;
  }
}

/** A time for Deno's API, to the millisecond (floored, so before 1970 too); the fallback platform's too. */
export function dateOf(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n)));
}

function attempt<T>(call: string, path: PathLike, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw fromDenoError(error, call, path);
  }
}

/** The path as text for Deno's API; a byte path that is not UTF-8 has none, and that is an error here. */
export function textOf(path: PathLike, call: string): string {
  const text = pathText(path);
  if (text !== undefined) return text;
  throw makeError({
    call,
    path,
    reason: "the path is not valid UTF-8, and without FFI only text paths can be used",
    errorClass: Deno.errors.NotSupported,
  });
}
