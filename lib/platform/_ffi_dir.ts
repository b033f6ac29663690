/**
 * Folder handles over the C library: an open folder's descriptor and the `*at` calls relative to it, each
 * told not to follow a symlink in the name it is given (docs/platform.md#folder-handles).
 *
 * @module
 */

import { makeError, type PlatformError, symlinkError } from "./_errors.ts";
import { describePath, joinPath, nameText } from "./_paths.ts";
import type { Libc, LibcCall } from "./_libc.ts";
import { FfiFile } from "./_ffi_file.ts";
import type {
  DeviceNode,
  DirEntry,
  DirHandle,
  FileStat,
  FileTimes,
  OpenFile,
  Owner,
  PathLike,
  SharedDir,
  UnnamedFile,
  WriteFile,
  Xattr,
} from "./_types.ts";

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const O_WRONLY = 1;
const EINTR = 4;
const ENOENT = 2;
/** Why openat(O_TMPFILE) fails where unnamed files cannot be made: EOPNOTSUPP, EISDIR, EINVAL (Linux). */
const TMPFILE_REFUSALS = new Set([95, 21, 22]);
/** The empty C string: with AT_EMPTY_PATH, the descriptor itself. */
const EMPTY_C = new Uint8Array(1);
/** `.` as a C string: the folder itself, for a descriptor of its own to list it by. */
const DOT_C = new Uint8Array([0x2e, 0]);

let procFdsSeen: boolean | undefined;

/** True when `/proc/self/fd` names this process's descriptors (Linux with /proc mounted). */
function procFds(): boolean {
  if (procFdsSeen === undefined) {
    try {
      procFdsSeen = Deno.statSync("/proc/self/fd").isDirectory;
    } catch {
      procFdsSeen = false;
    }
  }
  return procFdsSeen;
}

/** What folder handles share with the `FfiPlatform` that made them: the library, scratch memory, errors. */
export interface FfiScratch {
  readonly libc: Libc;
  /** `name` as a C string in one of two reused buffers (two for calls that take two names). */
  cName(name: PathLike, call: LibcCall, second?: boolean): Uint8Array;
  /** Decodes what the last stat call wrote into `statBuffer`. */
  readonly statBuffer: Uint8Array;
  decodeStat(): FileStat;
  /** `times` as a `struct timespec[2]` in reused memory. */
  timespecs(times: FileTimes): Uint8Array;
  /** The error for the call that just failed (errno is read first), naming `attribute` if given. */
  fail(call: LibcCall, path: PathLike, attribute?: string | Uint8Array): PlatformError;
  /** ERANGE on this OS: a buffer was too small for what a call had to write. */
  readonly erange: number;
  /** Lists the folder open as `fd` and closes `fd`. */
  listAndClose(fd: number, path: PathLike): DirEntry[];
}

/** Flags every handle opens a folder with: read-only, never a symlink, never a controlling terminal. */
export function dirOpenFlags(libc: Libc): number {
  const c = libc.constants;
  return c.O_DIRECTORY | c.O_NOFOLLOW | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK;
}

/** A folder open as a descriptor. */
export class FfiDir implements DirHandle {
  readonly path: string;
  readonly #x: FfiScratch;
  readonly #fd: number;
  /** Borrowed handles leave the descriptor to the thread that opened it. */
  readonly #owned: boolean;
  #closed = false;

  constructor(scratch: FfiScratch, fd: number, path: string, owned: boolean) {
    this.#x = scratch;
    this.#fd = fd;
    this.path = path;
    this.#owned = owned;
  }

  share(): SharedDir {
    return { fd: this.#open(), path: this.path };
  }

  openDir(name: PathLike): DirHandle {
    const { libc } = this.#x;
    const fd = libc.openAt(this.#open(), this.#x.cName(name, "openAt"), dirOpenFlags(libc), 0);
    if (fd < 0) throw this.#openDirError(name);
    const path = joinPath(this.path, name);
    // A name that is not UTF-8 stays exact in the handle's path (as escapes), so calls by path reach it.
    return new FfiDir(this.#x, fd, nameText(path), true);
  }

  openFile(name: PathLike): OpenFile {
    const { libc } = this.#x;
    const c = libc.constants;
    // O_NONBLOCK: a FIFO put in the file's place does not wait for a writer (O_RDONLY is 0).
    const flags = c.O_NOFOLLOW | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK;
    const fd = libc.openAt(this.#open(), this.#x.cName(name, "openAt"), flags, 0);
    if (fd < 0) throw this.#fail("openAt", name);
    return new FfiFile(this.#x, fd, name, this.path);
  }

  mkdir(name: PathLike, mode: number): void {
    checkMode(mode, "mkdirat", joinPath(this.path, name));
    if (this.#x.libc.mkdirAt(this.#open(), this.#x.cName(name, "mkdirAt"), mode & 0o7777) !== 0) {
      throw this.#fail("mkdirAt", name);
    }
  }

  createFile(name: PathLike, mode: number): WriteFile {
    const { libc } = this.#x;
    const c = libc.constants;
    const flags = O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW | c.O_CLOEXEC | c.O_NOCTTY;
    const fd = libc.openAt(this.#open(), this.#x.cName(name, "openAt"), flags, mode & 0o7777);
    if (fd < 0) throw this.#fail("openAt", name);
    const file = new FfiWriteFile(this.#x, fd, joinPath(this.path, name));
    // macOS arm64 passes the variadic mode on the stack, where FFI does not put it: set it now.
    if (libc.os === "darwin") file.setMode(mode);
    return file;
  }

  createUnnamedFile(mode: number): UnnamedFile | undefined {
    const { libc } = this.#x;
    const c = libc.constants;
    if (c.O_TMPFILE === undefined) return undefined;
    const fd = libc.openAt(this.#open(), DOT_C, c.O_TMPFILE | O_WRONLY | c.O_CLOEXEC, mode & 0o7777);
    if (fd >= 0) return new FfiUnnamedFile(this.#x, fd, this.path, this.#open());
    // A file system without unnamed files (EOPNOTSUPP), or a kernel without O_TMPFILE (EISDIR, EINVAL).
    if (TMPFILE_REFUSALS.has(libc.errno())) return undefined;
    throw this.#fail("openAt");
  }

  openFileForWrite(name: PathLike): WriteFile {
    const { libc } = this.#x;
    const c = libc.constants;
    // O_NONBLOCK: a FIFO put in the file's place fails (ENXIO) instead of waiting for a reader.
    const flags = O_WRONLY | c.O_NOFOLLOW | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK;
    const fd = libc.openAt(this.#open(), this.#x.cName(name, "openAt"), flags, 0);
    if (fd < 0) throw this.#fail("openAt", name);
    return new FfiWriteFile(this.#x, fd, joinPath(this.path, name));
  }

  symlink(target: PathLike, name: PathLike): void {
    const x = this.#x;
    const cTarget = x.cName(target, "symlinkAt");
    if (x.libc.symlinkAt(cTarget, this.#open(), x.cName(name, "symlinkAt", true)) !== 0) {
      throw this.#fail("symlinkAt", name);
    }
  }

  link(from: DirHandle, fromName: PathLike, name: PathLike): void {
    const x = this.#x;
    const fromFd = from.share().fd;
    if (fromFd === undefined) throw new TypeError(`Cannot link from "${from.path}": it has no descriptor`);
    const cFrom = x.cName(fromName, "linkAt");
    if (x.libc.linkAt(fromFd, cFrom, this.#open(), x.cName(name, "linkAt", true)) !== 0) {
      throw this.#fail("linkAt", name);
    }
  }

  rename(from: PathLike, to: PathLike): void {
    const x = this.#x;
    const fd = this.#open();
    if (x.libc.renameAt(fd, x.cName(from, "renameAt"), fd, x.cName(to, "renameAt", true)) !== 0) {
      throw this.#fail("renameAt", to);
    }
  }

  remove(name: PathLike): void {
    const { libc } = this.#x;
    if (libc.unlinkAt(this.#open(), this.#x.cName(name, "unlinkAt"), 0) === 0) return;
    const error = this.#fail("unlinkAt", name);
    // A folder: EISDIR on Linux, EPERM on macOS.
    if (this.#typeOf(name) !== "dir") throw error;
    if (libc.unlinkAt(this.#fd, this.#x.cName(name, "unlinkAt"), libc.constants.AT_REMOVEDIR) !== 0) {
      throw this.#fail("unlinkAt", name);
    }
  }

  removeTree(name: PathLike): void {
    if (this.#typeOf(name) === "dir") {
      // Emptied through a handle: a symlink inside is removed, never followed.
      const child = this.openDir(name);
      try {
        for (const entry of child.readDir()) child.removeTree(entry.name);
      } finally {
        child.close();
      }
    }
    this.remove(name);
  }

  mkfifo(name: PathLike, mode: number): void {
    if (this.#x.libc.mkfifoAt(this.#open(), this.#x.cName(name, "mkfifoAt"), mode & 0o7777) !== 0) {
      throw this.#fail("mkfifoAt", name);
    }
    this.setMode(mode, name); // exactly: the umask trimmed it
  }

  mknod(name: PathLike, node: DeviceNode): void {
    const mknodAt = this.#x.libc.mknodAt;
    if (mknodAt === undefined) {
      throw new Deno.errors.NotSupported(
        `Cannot mknodat "${describePath(joinPath(this.path, name))}": no mknodat in the C library`,
      );
    }
    const type = node.type === "chardev" ? S_IFCHR : S_IFBLK;
    const cName = this.#x.cName(name, "mknodAt");
    if (mknodAt(this.#open(), cName, type | (node.mode & 0o7777), node.rdev) !== 0) {
      throw this.#fail("mknodAt", name);
    }
    this.setMode(node.mode, name);
  }

  lstat(name?: PathLike): FileStat {
    const x = this.#x;
    const result = name === undefined
      ? x.libc.fstat(this.#open(), x.statBuffer)
      : x.libc.fstatAt(this.#open(), x.cName(name, "fstatAt"), x.statBuffer);
    if (result !== 0) throw this.#fail(name === undefined ? "fstat" : "fstatAt", name);
    return x.decodeStat();
  }

  readDir(): DirEntry[] {
    const { libc } = this.#x;
    // A descriptor of its own: listing moves the offset of the one it reads.
    const fd = libc.openAt(this.#open(), DOT_C, dirOpenFlags(libc), 0);
    if (fd < 0) throw this.#fail("openAt");
    return this.#x.listAndClose(fd, this.path);
  }

  setOwner(owner: Owner, name?: PathLike): void {
    const x = this.#x;
    const uid = owner.uid >>> 0;
    const gid = owner.gid >>> 0;
    const result = name === undefined
      ? x.libc.fchown(this.#open(), uid, gid)
      : x.libc.fchownAt(this.#open(), x.cName(name, "fchownAt"), uid, gid);
    if (result !== 0) throw this.#fail(name === undefined ? "fchown" : "fchownAt", name);
  }

  setMode(mode: number, name?: PathLike): void {
    checkMode(mode, "fchmod", name === undefined ? this.path : joinPath(this.path, name));
    const x = this.#x;
    const result = name === undefined
      ? x.libc.fchmod(this.#open(), mode & 0o7777)
      : x.libc.fchmodAt(this.#open(), x.cName(name, "fchmodAt"), mode & 0o7777);
    if (result !== 0) throw this.#fail(name === undefined ? "fchmod" : "fchmodAt", name);
  }

  setTimes(times: FileTimes, name?: PathLike): void {
    const x = this.#x;
    const timespecs = x.timespecs(times);
    const result = name === undefined
      ? x.libc.futimens(this.#open(), timespecs)
      : x.libc.utimensAt(this.#open(), x.cName(name, "utimensAt"), timespecs);
    if (result !== 0) throw this.#fail(name === undefined ? "futimens" : "utimensAt", name);
  }

  setXattr(attribute: Xattr, name?: PathLike): void {
    const x = this.#x;
    const path = name === undefined
      ? this.path
      : joinPath(x.libc.os === "linux" && procFds() ? `/proc/self/fd/${this.#open()}` : this.path, name);
    const cPath = x.cName(path, "setxattr");
    const cName = x.cName(attribute.name, "setxattr", true);
    if (x.libc.setxattr(cPath, cName, attribute.value) !== 0) throw this.#fail("setxattr", name);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned && this.#x.libc.close(this.#fd) !== 0) throw this.#fail("close");
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Why opening the folder `name` failed. O_DIRECTORY is checked before O_NOFOLLOW: a symlink gives
   * ENOTDIR, reported as the symlink it is (`FilesystemLoop`, as ELOOP would be).
   */
  #openDirError(name: PathLike): PlatformError {
    const error = this.#fail("openAt", name);
    if (error.code !== "ENOTDIR" || this.#typeOf(name) !== "symlink") return error;
    return symlinkError("openat", joinPath(this.path, name));
  }

  #typeOf(name: PathLike): string | undefined {
    try {
      return this.lstat(name).type;
    } catch {
      return undefined;
    }
  }

  #open(): number {
    if (this.#closed) throw new Deno.errors.BadResource(`Cannot use folder "${this.path}": it is closed`);
    return this.#fd;
  }

  #fail(call: LibcCall, name?: PathLike): PlatformError {
    return this.#x.fail(call, name === undefined ? this.path : joinPath(this.path, name));
  }
}

/** A mode that is not a whole number is a bug of the caller's, not something to coerce. */
function checkMode(mode: number, call: string, path: PathLike): void {
  if (Number.isInteger(mode)) return;
  throw makeError({
    call,
    path,
    reason: `the mode ${JSON.stringify(mode)} is not a number`,
    errorClass: TypeError,
  });
}

/** A regular file open for writing. */
class FfiWriteFile implements WriteFile {
  readonly #x: FfiScratch;
  readonly #fd: number;
  readonly #path: PathLike;
  #closed = false;

  constructor(scratch: FfiScratch, fd: number, path: PathLike) {
    this.#x = scratch;
    this.#fd = fd;
    this.#path = path;
  }

  write(data: Uint8Array, position: number): void {
    const { libc } = this.#x;
    let written = 0;
    while (written < data.length) {
      const wrote = libc.pwrite(this.#open(), data.subarray(written), position + written);
      if (wrote < 0) {
        if (libc.errno() === EINTR) continue;
        throw this.#x.fail("pwrite", this.#path);
      }
      written += wrote;
    }
  }

  truncate(length: number): void {
    if (this.#x.libc.ftruncate(this.#open(), length) !== 0) throw this.#x.fail("ftruncate", this.#path);
  }

  setOwner(owner: Owner): void {
    if (this.#x.libc.fchown(this.#open(), owner.uid >>> 0, owner.gid >>> 0) !== 0) {
      throw this.#x.fail("fchown", this.#path);
    }
  }

  setMode(mode: number): void {
    checkMode(mode, "fchmod", this.#path);
    if (this.#x.libc.fchmod(this.#open(), mode & 0o7777) !== 0) throw this.#x.fail("fchmod", this.#path);
  }

  setTimes(times: FileTimes): void {
    if (this.#x.libc.futimens(this.#open(), this.#x.timespecs(times)) !== 0) {
      throw this.#x.fail("futimens", this.#path);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#x.libc.close(this.#fd) !== 0) throw this.#x.fail("close", this.#path);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** The descriptor, while the file is open. */
  protected get descriptor(): number {
    return this.#open();
  }

  /** The calls and scratch buffers of the folder's platform. */
  protected get scratch(): FfiScratch {
    return this.#x;
  }

  #open(): number {
    if (this.#closed) {
      throw new Deno.errors.BadResource(`Cannot write "${describePath(this.#path)}": it is closed`);
    }
    return this.#fd;
  }
}

/** A file with no name yet in the folder open as `dirFd` (which stays open while the file is). */
class FfiUnnamedFile extends FfiWriteFile implements UnnamedFile {
  readonly #folder: string;
  readonly #dirFd: number;

  constructor(scratch: FfiScratch, fd: number, folder: string, dirFd: number) {
    super(scratch, fd, folder);
    this.#folder = folder;
    this.#dirFd = dirFd;
  }

  linkAs(name: PathLike): void {
    const x = this.scratch;
    const { libc } = x;
    const c = libc.constants;
    const cName = x.cName(name, "linkAt", true);
    // The descriptor's entry in /proc names the file: linking it, following that link, needs no privilege.
    const proc = x.cName(`/proc/self/fd/${this.descriptor}`, "linkAt");
    if (libc.linkAt(c.AT_FDCWD, proc, this.#dirFd, cName, c.AT_SYMLINK_FOLLOW) === 0) return;
    // No /proc (a chroot, a container without it): the descriptor itself, which needs CAP_DAC_READ_SEARCH.
    if (libc.errno() === ENOENT && c.AT_EMPTY_PATH !== undefined) {
      if (libc.linkAt(this.descriptor, EMPTY_C, this.#dirFd, cName, c.AT_EMPTY_PATH) === 0) return;
    }
    throw x.fail("linkAt", joinPath(this.#folder, name));
  }
}
