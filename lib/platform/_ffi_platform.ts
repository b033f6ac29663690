/**
 * The platform layer over the C library (see `_libc.ts`): exact times, names as bytes, xattrs, device
 * nodes, no-follow opens. Calls are synchronous and block the thread, as file-system calls in a worker
 * should.
 *
 * @module
 */

import { CString } from "./_c_string.ts";
import { errnoError, errnoNumber, notSymlinkError, type PlatformError, symlinkError } from "./_errors.ts";
import { describePath, joinPath } from "./_paths.ts";
import { encodeTimespecs, LINUX_DIRENT, typeFromDType } from "./_layouts.ts";
import { isPacked, notPacked, packedFolderStat, PackedScanWriter, readPackedScan } from "./_packed_scan.ts";
import type { Libc, LibcCall } from "./_libc.ts";
import { dirOpenFlags, FfiDir, type FfiScratch } from "./_ffi_dir.ts";
import { FfiFile, splitNames } from "./_ffi_file.ts";
import type {
  DeviceNode,
  DirEntry,
  DirHandle,
  FileStat,
  FileTimes,
  FolderListing,
  OpenFile,
  OpenOptions,
  Owner,
  PathLike,
  Platform,
  SharedDir,
  StatEntry,
  Xattr,
} from "./_types.ts";

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const NOTHING = new Uint8Array(0);
const DOT = 0x2e;
/** `.` as a C string: the folder itself, for a second descriptor of an open folder. */
const DOT_C = new Uint8Array([DOT, 0]);

/** The C library's calls in the shape of `Platform`. */
export class FfiPlatform implements Platform {
  readonly kind = "ffi" as const;
  readonly description: string;
  readonly warning = undefined;
  readonly #libc: Libc;
  readonly #stat: Uint8Array;
  readonly #statView: DataView;
  readonly #times = new Uint8Array(32);
  readonly #timesView = new DataView(this.#times.buffer);
  readonly #path = new CString(4096);
  readonly #name = new CString(256);
  /** A dirent's name: copied out of a record (macOS), or as a C string (`scanDir()`). */
  readonly #direntName = new Uint8Array(1100);
  readonly #dirents = new Uint8Array(64 * 1024);
  readonly #direntsView = new DataView(this.#dirents.buffer);
  /** The packed listing of a `scanDir()`, reused: it stays on this thread. */
  readonly #scanBuffer = new Uint8Array(256 * 1024);
  readonly #erange: number;
  readonly #mknodFallback: Pick<Platform, "mknod"> | undefined;
  /** What folder handles share: the library, scratch memory, errors. */
  readonly #scratch: FfiScratch;

  /** `mknodFallback` creates devices where the C library has no `mknod` (glibc before 2.33). */
  constructor(libc: Libc, mknodFallback?: Pick<Platform, "mknod">) {
    this.#libc = libc;
    this.#stat = new Uint8Array(libc.statSize);
    this.#statView = new DataView(this.#stat.buffer);
    this.#erange = errnoNumber(libc.os, "ERANGE");
    this.#mknodFallback = mknodFallback;
    this.#scratch = this.#makeScratch();
    const listing = libc.getdents === undefined ? libc.names.readdir : libc.names.getdents;
    this.description =
      `the C library "${libc.library}" through FFI (${libc.names.lstat}, ${listing}, utimensat, ` +
      `${libc.names.listxattr}): nanosecond times, names as bytes, extended attributes`;
  }

  lstat(path: PathLike): FileStat {
    const libc = this.#libc;
    if (libc.lstat(this.#cPath(path, "lstat"), this.#stat) !== 0) throw this.#fail("lstat", path);
    return libc.decodeStat(this.#statView);
  }

  readDir(path: PathLike): DirEntry[] {
    if (this.#libc.getdents === undefined) return this.#readDirStream(path);
    const libc = this.#libc;
    const c = libc.constants;
    const fd = libc.open(this.#cPath(path, "open"), c.O_DIRECTORY | c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK);
    if (fd < 0) throw this.#fail("open", path);
    return this.#readDirGetdents(fd, path);
  }

  scanDir(path: PathLike): FolderListing {
    return this.#unpack(this.#pack(path, this.#scanBuffer), path);
  }

  packDir(path: string): Uint8Array<ArrayBuffer> {
    try {
      return this.#pack(path);
    } catch {
      return notPacked(); // unpackDir() reads the folder again, to throw the error where it is seen
    }
  }

  unpackDir(packed: Uint8Array, path: string): FolderListing {
    return isPacked(packed) ? this.#unpack(packed, path) : this.scanDir(path);
  }

  /**
   * Lists the folder `path` and stats every entry relative to its descriptor, each record written by the
   * call into the packed listing (see _packed_scan.ts): `buffer` when the listing stays on this thread.
   */
  #pack(path: PathLike, buffer?: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    const libc = this.#libc;
    const fd = this.#openFolder(path);
    try {
      const packed = new PackedScanWriter(libc.statSize, buffer);
      if (libc.fstat(fd, packed.folderStat) !== 0) throw this.#fail("fstat", path);
      if (libc.getdents === undefined) {
        for (const { name, type } of this.#listAndClose(this.#reopen(fd, path), path)) {
          packed.addEntry(name, 0, name.length, type);
          this.#statInto(packed, fd);
        }
        return packed.finish();
      }
      const dirents = this.#dirents;
      const view = this.#direntsView;
      const { lengthOffset, typeOffset, nameOffset } = LINUX_DIRENT;
      for (;;) {
        const length = libc.getdents(fd, dirents);
        if (length < 0) throw this.#fail("getdents", path);
        if (length === 0) return packed.finish();
        for (let offset = 0; offset < length; offset += view.getUint16(offset + lengthOffset, true)) {
          const start = offset + nameOffset;
          const end = dirents.indexOf(0, start);
          if (isDotOrDotDot(dirents, start, end)) continue;
          packed.addEntry(dirents, start, end, typeFromDType(dirents[offset + typeOffset]!));
          this.#statInto(packed, fd);
        }
      }
    } finally {
      libc.close(fd);
    }
  }

  /** Stats the entry just added to `packed`, relative to the folder open as `fd`: no path walk per entry. */
  #statInto(packed: PackedScanWriter, fd: number): void {
    if (this.#libc.fstatAt(fd, packed.cName, packed.statTarget) !== 0) packed.statFailed(this.#libc.errno());
  }

  #unpack(packed: Uint8Array, path: PathLike): FolderListing {
    const libc = this.#libc;
    const stat = libc.decodeStat(packedFolderStat(packed, libc.statSize));
    const entries: StatEntry[] = [];
    for (const { name, type, stat, errno } of readPackedScan(packed, libc.statSize)) {
      entries.push(
        stat === undefined
          ? {
            name,
            type,
            lossyName: false,
            stat: undefined,
            error: this.#errnoError(errno, "fstatAt", joinPath(path, name)),
          }
          : { name, type, lossyName: false, stat: libc.decodeCompactStat(stat), error: undefined },
      );
    }
    return { stat, entries };
  }

  openDir(path: string): DirHandle {
    return new FfiDir(this.#scratch, this.#openFolder(path), path, true);
  }

  /** Opens the folder `path` for a handle or a scan: never through a symlink at its last component. */
  #openFolder(path: PathLike): number {
    const libc = this.#libc;
    const fd = libc.open(this.#cPath(path, "open"), dirOpenFlags(libc));
    if (fd >= 0) return fd;
    const error = this.#fail("open", path);
    // O_DIRECTORY is checked before O_NOFOLLOW: a symlink gives ENOTDIR, reported as the symlink it is.
    if (error.code !== "ENOTDIR" || this.#isSymlink(path) !== true) throw error;
    throw symlinkError("open", path);
  }

  /** A second descriptor of the folder open as `fd`, for a listing that moves its offset or takes it. */
  #reopen(fd: number, path: PathLike): number {
    const libc = this.#libc;
    const listFd = libc.openAt(fd, DOT_C, dirOpenFlags(libc), 0);
    if (listFd < 0) throw this.#fail("openAt", path);
    return listFd;
  }

  borrowDir(shared: SharedDir): DirHandle {
    if (shared.fd === undefined) return this.openDir(shared.path);
    return new FfiDir(this.#scratch, shared.fd, shared.path, false);
  }

  #isSymlink(path: PathLike): boolean | undefined {
    try {
      return this.lstat(path).type === "symlink";
    } catch {
      return undefined;
    }
  }

  #makeScratch(): FfiScratch {
    const libc = this.#libc;
    const second = new CString(256);
    return {
      libc,
      cName: (name, call, useSecond) => (useSecond ? second : this.#name).of(name, libc.names[call]),
      statBuffer: this.#stat,
      decodeStat: () => libc.decodeStat(this.#statView),
      timespecs: (times) => {
        encodeTimespecs(this.#timesView, times.atimeNs, times.mtimeNs, libc.constants.UTIME_OMIT);
        return this.#times;
      },
      fail: (call, path, attribute) => this.#fail(call, path, attribute),
      erange: this.#erange,
      listAndClose: (fd, path) => this.#listAndClose(fd, path),
    };
  }

  /** Lists the folder open as `fd`, then closes `fd`. */
  #listAndClose(fd: number, path: PathLike): DirEntry[] {
    const libc = this.#libc;
    if (libc.getdents !== undefined) return this.#readDirGetdents(fd, path);
    const dir = libc.fdopendir?.(fd) ?? null;
    if (dir === null) {
      const error = this.#fail("fdopendir", path);
      libc.close(fd);
      throw error;
    }
    return this.#readStream(dir, path);
  }

  /**
   * Linux: getdents64 fills a 64 KiB buffer with hundreds of records per call, read here in place, where
   * readdir64 would cost a call and a pointer view per entry (docs/platform.md#speed). Closes `fd` unless
   * told not to.
   */
  #readDirGetdents(fd: number, path: PathLike, close = true): DirEntry[] {
    const libc = this.#libc;
    const buffer = this.#dirents;
    const view = this.#direntsView;
    const { lengthOffset, typeOffset, nameOffset } = LINUX_DIRENT;
    const entries: DirEntry[] = [];
    try {
      for (;;) {
        const length = libc.getdents!(fd, buffer);
        if (length < 0) throw this.#fail("getdents", path);
        if (length === 0) return entries;
        for (let offset = 0; offset < length; offset += view.getUint16(offset + lengthOffset, true)) {
          const name = buffer.slice(offset + nameOffset, buffer.indexOf(0, offset + nameOffset));
          if (isDotOrDotDot(name)) continue;
          entries.push({ name, type: typeFromDType(buffer[offset + typeOffset]!), lossyName: false });
        }
      }
    } finally {
      if (close) libc.close(fd);
    }
  }

  /** macOS (and C libraries without getdents): opendir, then readdir until it returns null. */
  #readDirStream(path: PathLike): DirEntry[] {
    const libc = this.#libc;
    const dir = libc.opendir(this.#cPath(path, "opendir"));
    if (dir === null) throw this.#fail("opendir", path);
    return this.#readStream(dir, path);
  }

  /** readdir until it returns null, then closedir. */
  #readStream(dir: Deno.PointerObject, path: PathLike): DirEntry[] {
    const libc = this.#libc;
    const entries: DirEntry[] = [];
    try {
      for (;;) {
        libc.clearErrno();
        const entry = libc.readdir(dir);
        if (entry === null) {
          const errno = libc.errno();
          if (errno !== 0) throw this.#errnoError(errno, "readdir", path);
          return entries;
        }
        const decoded = this.#decodeDirent(entry);
        if (!isDotOrDotDot(decoded.name)) entries.push(decoded);
      }
    } finally {
      libc.closedir(dir);
    }
  }

  /** The name and type of a dirent that readdir returned. */
  #decodeDirent(entry: Deno.PointerObject): DirEntry {
    const layout = this.#libc.dirent;
    const view = new Deno.UnsafePointerView(entry);
    const type = view.getUint8(layout.typeOffset);
    let name: Uint8Array;
    if (layout.lengthIsNameLength) {
      name = new Uint8Array(view.getUint16(layout.lengthOffset));
      Deno.UnsafePointerView.copyInto(entry, name, layout.nameOffset);
    } else {
      // The record's length bounds the NUL-terminated name; reading further could leave the buffer.
      const room = Math.min(view.getUint16(layout.lengthOffset) - layout.nameOffset, this.#direntName.length);
      const scratch = this.#direntName.subarray(0, room);
      Deno.UnsafePointerView.copyInto(entry, scratch, layout.nameOffset);
      const end = scratch.indexOf(0);
      name = scratch.slice(0, end < 0 ? room : end);
    }
    return { name, type: typeFromDType(type), lossyName: false };
  }

  openFile(path: PathLike, options: OpenOptions = {}): OpenFile {
    const libc = this.#libc;
    const c = libc.constants;
    let flags = c.O_CLOEXEC | c.O_NOCTTY | c.O_NONBLOCK; // O_RDONLY is 0
    if (options.noFollow) flags |= c.O_NOFOLLOW;
    if (options.directory) flags |= c.O_DIRECTORY;
    const fd = libc.open(this.#cPath(path, "open"), flags);
    if (fd < 0) throw this.#fail("open", path);
    return new FfiFile(this.#scratch, fd, path);
  }

  setTimes(path: PathLike, times: FileTimes): void {
    const libc = this.#libc;
    encodeTimespecs(this.#timesView, times.atimeNs, times.mtimeNs, libc.constants.UTIME_OMIT);
    if (libc.utimensat(this.#cPath(path, "utimensat"), this.#times) !== 0) {
      throw this.#fail("utimensat", path);
    }
  }

  mkfifo(path: PathLike, mode: number): void {
    const cPath = this.#cPath(path, "mkfifo");
    if (this.#libc.mkfifo(cPath, mode & 0o7777) !== 0) throw this.#fail("mkfifo", path);
    this.#chmod(cPath, path, mode);
  }

  mknod(path: PathLike, node: DeviceNode): void {
    const mknod = this.#libc.mknod;
    if (mknod === undefined) {
      if (this.#mknodFallback === undefined) throw new Error("Cannot mknod: no mknod in the C library");
      return this.#mknodFallback.mknod(path, node);
    }
    const cPath = this.#cPath(path, "mknod");
    const type = node.type === "chardev" ? S_IFCHR : S_IFBLK;
    if (mknod(cPath, type | (node.mode & 0o7777), node.rdev) !== 0) throw this.#fail("mknod", path);
    this.#chmod(cPath, path, node.mode);
  }

  /** Sets the mode exactly after a create that the umask trimmed, as `mkfifo -m` does. */
  #chmod(cPath: Uint8Array, path: PathLike, mode: number): void {
    if (this.#libc.chmod(cPath, mode & 0o7777) !== 0) throw this.#fail("chmod", path);
  }

  lchown(path: PathLike, owner: Owner): void {
    if (this.#libc.lchown(this.#cPath(path, "lchown"), owner.uid >>> 0, owner.gid >>> 0) !== 0) {
      throw this.#fail("lchown", path);
    }
  }

  readLink(path: PathLike): Uint8Array {
    const libc = this.#libc;
    const cPath = this.#cPath(path, "readlink");
    for (let size = 1024;; size *= 4) {
      const out = new Uint8Array(size);
      const length = libc.readlink(cPath, out);
      if (length < 0) throw notSymlinkError(this.#fail("readlink", path), path);
      // A target as long as the buffer may have been cut: ask again with more room.
      if (length < size) return out.slice(0, length);
    }
  }

  listXattrs(path: PathLike): Uint8Array[] {
    const libc = this.#libc;
    const cPath = this.#cPath(path, "listxattr");
    for (;;) {
      const size = libc.listxattr(cPath, NOTHING);
      if (size < 0) throw this.#fail("listxattr", path);
      if (size === 0) return [];
      const list = new Uint8Array(size);
      const length = libc.listxattr(cPath, list);
      if (length >= 0) return splitNames(list.subarray(0, length));
      // ERANGE: an attribute was added since the size was asked for.
      if (libc.errno() !== this.#erange) throw this.#fail("listxattr", path);
    }
  }

  getXattr(path: PathLike, name: string | Uint8Array): Uint8Array {
    const libc = this.#libc;
    const cPath = this.#cPath(path, "getxattr");
    const cName = this.#name.of(name, libc.names.getxattr);
    for (;;) {
      const size = libc.getxattr(cPath, cName, NOTHING);
      if (size < 0) throw this.#fail("getxattr", path, name);
      const value = new Uint8Array(size);
      if (size === 0) return value;
      const length = libc.getxattr(cPath, cName, value);
      if (length >= 0) return value.subarray(0, length);
      if (libc.errno() !== this.#erange) throw this.#fail("getxattr", path, name);
    }
  }

  setXattr(path: PathLike, attribute: Xattr): void {
    const libc = this.#libc;
    const cPath = this.#cPath(path, "setxattr");
    const cName = this.#name.of(attribute.name, libc.names.setxattr);
    if (libc.setxattr(cPath, cName, attribute.value) !== 0) {
      throw this.#fail("setxattr", path, attribute.name);
    }
  }

  removeXattr(path: PathLike, name: string | Uint8Array): void {
    const libc = this.#libc;
    const cName = this.#name.of(name, libc.names.removexattr);
    if (libc.removexattr(this.#cPath(path, "removexattr"), cName) !== 0) {
      throw this.#fail("removexattr", path, name);
    }
  }

  #cPath(path: PathLike, call: LibcCall): Uint8Array {
    return this.#path.of(path, this.#libc.names[call]);
  }

  /** The error for the call that just failed: reads errno before anything else can change it. */
  #fail(call: LibcCall, path: PathLike, attribute?: string | Uint8Array): PlatformError {
    return this.#errnoError(this.#libc.errno(), call, path, attribute);
  }

  #errnoError(errno: number, call: LibcCall, path: PathLike, attribute?: string | Uint8Array): PlatformError {
    const libc = this.#libc;
    const where = { call: libc.names[call], path };
    const subject = attribute === undefined ? undefined : `"${describePath(attribute)}"`;
    return errnoError(
      libc.os,
      errno,
      libc.strerror(errno),
      subject === undefined ? where : { ...where, subject },
    );
  }
}

/**
 * True for the names `.` and `..`, which readDir() leaves out: `name`, or the part `[start, end)` of it (a
 * name read in place, with no array made for it).
 */
function isDotOrDotDot(name: Uint8Array, start = 0, end = name.length): boolean {
  return name[start] === DOT && (end === start + 1 || (end === start + 2 && name[start + 1] === DOT));
}
