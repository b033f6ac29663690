/**
 * The values the platform layer takes and returns, shared by its two implementations: the C library
 * through FFI and Deno's file API as the fallback.
 *
 * @module
 */

/** A path as text or as the raw bytes the OS stores (any bytes but NUL; not necessarily UTF-8). */
export type PathLike = string | Uint8Array;

/** The kind of a folder entry; `unknown` when the file system did not say (`DT_UNKNOWN`): lstat it. */
export type EntryType = "file" | "dir" | "symlink" | "fifo" | "socket" | "chardev" | "blockdev" | "unknown";

/**
 * What lstat says about a path (never following a symlink). Times are nanoseconds since the epoch as
 * `bigint`: exact for any time the OS can store, before 1970 and after 2100 included, compared with `===`
 * and ordered with `<`; the same unit as Python's `st_mtime_ns` and what `setTimes()` takes back.
 */
export interface FileStat {
  readonly type: EntryType;
  /** The whole `st_mode`: type bits and permission bits (`mode & 0o7777` for the permissions). */
  readonly mode: number;
  readonly size: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  /** Device of the file system, in the encoding of this OS (see `splitDevice()`). */
  readonly dev: number;
  /** Inode number: a `bigint` because file systems (NFS, overlay, btrfs) use all 64 bits. */
  readonly ino: bigint;
  /** Device number of a character or block device, 0 otherwise. */
  readonly rdev: number;
  /** 512-byte blocks allocated (less than `size / 512` for a sparse file). */
  readonly blocks: number;
  readonly blksize: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** One entry of a folder. */
export interface DirEntry {
  /** The name exactly as stored, byte for byte. */
  readonly name: Uint8Array;
  readonly type: EntryType;
  /**
   * True when the name is not what is stored: only on the fallback path, for a name that is not valid
   * UTF-8 (Deno replaces the invalid bytes with U+FFFD). Such an entry cannot be opened by that name.
   */
  readonly lossyName: boolean;
}

/** How `openFile()` opens a path (always read-only, close-on-exec, never blocking on a FIFO). */
export interface OpenOptions {
  /** Fail with `Deno.errors.FilesystemLoop` when the last component is a symlink (`O_NOFOLLOW`). */
  noFollow?: boolean;
  /** Fail with `Deno.errors.NotADirectory` unless it is a folder (`O_DIRECTORY`). */
  directory?: boolean;
}

/** A file opened for reading by `openFile()`. Close it, or let a `using` block do it. */
export interface OpenFile extends Disposable {
  /** The OS file descriptor, or undefined on the fallback path (Deno keeps it to itself). */
  readonly fd: number | undefined;
  /**
   * Reads up to `buffer.length` bytes at `position` (pread: the file offset does not move) and returns
   * how many it read, 0 at the end of the file. Fewer than asked is not the end: read again.
   */
  read(buffer: Uint8Array, position: number): number;
  /** What the open file is (fstat): the file that was opened, whatever happened to its path since. */
  stat(): FileStat;
  /** Closes the file; closing again does nothing. */
  close(): void;
}

/** Times to set, in nanoseconds since the epoch; one left out stays as it is. */
export interface FileTimes {
  atimeNs?: bigint;
  mtimeNs?: bigint;
}

/** A character or block device to create. */
export interface DeviceNode {
  type: "chardev" | "blockdev";
  /** Permission bits, set exactly (the umask does not apply). */
  mode: number;
  /** Device number in the encoding of this OS, as `FileStat.rdev` gives it (see `makeDevice()`). */
  rdev: number;
}

/** A numeric owner and group. */
export interface Owner {
  uid: number;
  gid: number;
}

/** An extended attribute: its name (`user.comment`) and value. */
export interface Xattr {
  name: string | Uint8Array;
  value: Uint8Array;
}

/**
 * File-system calls with the exactness Deno's file API lacks. None of them follows a symlink in the last
 * component (except `openFile()` without `noFollow`). Every call throws a `PlatformError` (see
 * `isPlatformError()`) that names the call and the path, as an instance of the matching `Deno.errors`
 * class where there is one (`NotFound`, `PermissionDenied`, `AlreadyExists`, `NotSupported`...).
 */
export interface Platform {
  /** `ffi` when the C library is reached directly, `fallback` when Deno's file API stands in for it. */
  readonly kind: "ffi" | "fallback";
  /** One line saying what is in use, for `--verbose` output and bug reports. */
  readonly description: string;
  /** On the fallback path, one line saying what is lost and why, for the CLI to print once. */
  readonly warning: string | undefined;

  /** What `path` is, without following a symlink. */
  lstat(path: PathLike): FileStat;
  /** The entries of a folder except `.` and `..`, in the order the OS gives them. */
  readDir(path: PathLike): DirEntry[];
  /** Opens `path` for reading. */
  openFile(path: PathLike, options?: OpenOptions): OpenFile;
  /** Sets access and modification times of `path` itself (a symlink's own times, not its target's). */
  setTimes(path: PathLike, times: FileTimes): void;
  /** Creates a FIFO with exactly `mode` (the umask does not apply). */
  mkfifo(path: PathLike, mode: number): void;
  /** Creates a character or block device (root only on Linux). */
  mknod(path: PathLike, node: DeviceNode): void;
  /** Sets the owner and group of `path` itself (a symlink's own). */
  lchown(path: PathLike, owner: Owner): void;
  /** Names of the extended attributes of `path` itself, as bytes. */
  listXattrs(path: PathLike): Uint8Array[];
  /** The value of one extended attribute of `path` itself; `Deno.errors.NotFound` when it has none. */
  getXattr(path: PathLike, name: string | Uint8Array): Uint8Array;
  /** Creates or replaces an extended attribute of `path` itself. */
  setXattr(path: PathLike, attribute: Xattr): void;
  /** Removes an extended attribute of `path` itself. */
  removeXattr(path: PathLike, name: string | Uint8Array): void;
}
