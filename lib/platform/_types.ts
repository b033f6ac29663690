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

/**
 * What lstat says, in plain numbers: for code that keeps many of them (a folder's entries while a backup
 * walks it), where `FileStat`'s `bigint`s would each be an allocation. Times are whole milliseconds since
 * the epoch, floored (before 1970 too), and the nanoseconds past them: exact for any time the OS can
 * store. The inode is a number, exact below 2^53 (above, two may read alike: `FileStat.ino` is exact).
 */
export interface CompactStat {
  readonly type: EntryType;
  readonly size: number;
  /** Modification time: milliseconds since the epoch, floored. */
  readonly mtime: number;
  /** Nanoseconds past `mtime`'s millisecond, 0 to 999,999. */
  readonly mtimeNs: number;
  readonly ctime: number;
  readonly ctimeNs: number;
  /** The whole `st_mode`, as in `FileStat`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly ino: number;
  readonly dev: number;
  readonly nlink: number;
  readonly rdev: number;
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

/** An entry of a folder with what lstat says about it (see `Platform.scanDir()`). */
export interface StatEntry {
  /**
   * The name as `nameText()` gives it: exact, with bytes that are not UTF-8 escaped; on the fallback path
   * a lossy name has U+FFFD in their place.
   */
  readonly name: string;
  /** The type the listing gave (`unknown` when it gave none): `stat` says what lstat found. */
  readonly type: EntryType;
  /** As in `DirEntry`: the fallback could not read the name as stored, so it has no `stat`. */
  readonly lossyName: boolean;
  /** Undefined when its lstat failed (`error` says why), and for a lossy name. */
  readonly stat: CompactStat | undefined;
  /** Why its lstat failed (it vanished since the folder was listed, permissions...). */
  readonly error: Error | undefined;
}

/** A folder read by `Platform.scanDir()`: what the folder itself is, and its entries. */
export interface FolderListing {
  /** The folder that was listed (fstat of its descriptor on the FFI path). */
  readonly stat: FileStat;
  readonly entries: StatEntry[];
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
  /**
   * Names of the open file's extended attributes (flistxattr: no path is looked up); always empty on the
   * fallback path, which cannot read them.
   */
  listXattrs(): Uint8Array[];
  /** The value of one extended attribute of the open file; `Deno.errors.NotFound` when it has none. */
  getXattr(name: string | Uint8Array): Uint8Array;
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

/** How another thread of this process reaches a folder handle (see `Platform.borrowDir()`). */
export interface SharedDir {
  /** The descriptor (descriptors are shared by the threads of a process); undefined on the fallback. */
  readonly fd: number | undefined;
  /** The path it was opened at: for messages, and what the fallback works by. */
  readonly path: string;
}

/** A file created or opened for writing in a folder handle. Close it, or let a `using` block do it. */
export interface WriteFile extends Disposable {
  /** Writes all of `data` at `position` (pwrite: the file offset does not move). */
  write(data: Uint8Array, position: number): void;
  truncate(length: number): void;
  /** Owner, mode and times of the open file itself (fchown, fchmod, futimens): no path is looked up. */
  setOwner(owner: Owner): void;
  setMode(mode: number): void;
  setTimes(times: FileTimes): void;
  /** Closes the file; closing again does nothing. */
  close(): void;
}

/** A file made by `DirHandle.createUnnamedFile()`: written, then given its name. */
export interface UnnamedFile extends WriteFile {
  /**
   * Gives the file the name `name` in the folder it was made in (the file stays open): `AlreadyExists`
   * when the name is taken. Another error means the link cannot be made here (no /proc, and no right to
   * link a descriptor): write a named file instead.
   */
  linkAs(name: PathLike): void;
}

/**
 * An open folder, and calls relative to it that never follow a symlink in the name they are given: a
 * folder entered through handles stays the folder that was opened whatever is renamed or swapped on the
 * path to it since (docs/platform.md#folder-handles). `name` is one path component. Methods that take
 * an optional `name` act on the folder itself without one.
 */
export interface DirHandle extends Disposable {
  /** The path it was opened at, for messages. */
  readonly path: string;
  /** What another thread needs to borrow this handle. Valid while this handle is open. */
  share(): SharedDir;
  /** Opens the folder `name`; `Deno.errors.FilesystemLoop` when it is a symlink, `NotADirectory` when not a folder. */
  openDir(name: PathLike): DirHandle;
  /**
   * Opens the entry `name` for reading, as `Platform.openFile()` with `noFollow` does: `FilesystemLoop`
   * when it is a symlink, and a FIFO fails instead of waiting for a writer (not on the fallback, which
   * refuses one it sees).
   */
  openFile(name: PathLike): OpenFile;
  /** Creates the folder `name` (the umask applies to `mode`). */
  mkdir(name: PathLike, mode: number): void;
  /** Creates the regular file `name`, which must not exist, for writing (`O_CREAT \| O_EXCL \| O_NOFOLLOW`). */
  createFile(name: PathLike, mode: number): WriteFile;
  /**
   * Creates a regular file with no name in this folder (Linux's O_TMPFILE), to be named by
   * `UnnamedFile.linkAs()` once it is written: a file never finished never appears, and the folder changes
   * once, where a named file renamed into place changes it twice. Undefined where the file system or the
   * platform cannot: create a named file then.
   */
  createUnnamedFile(mode: number): UnnamedFile | undefined;
  /** Opens the regular file `name` for writing; `FilesystemLoop` when it is a symlink. */
  openFileForWrite(name: PathLike): WriteFile;
  /** Creates the symlink `name` pointing at `target`. */
  symlink(target: PathLike, name: PathLike): void;
  /** Creates `name` as a hard link to the entry `fromName` of `from` (a symlink there is linked, not followed). */
  link(from: DirHandle, fromName: PathLike, name: PathLike): void;
  /** Renames the entry `from` of this folder to `to` (what is at `to` is replaced, as rename(2) does). */
  rename(from: PathLike, to: PathLike): void;
  /** Removes the entry `name`: a file, symlink, FIFO, device or empty folder. */
  remove(name: PathLike): void;
  /** Removes the entry `name`, a folder with everything in it (never following a symlink inside). */
  removeTree(name: PathLike): void;
  /** Creates a FIFO with exactly `mode`. */
  mkfifo(name: PathLike, mode: number): void;
  /** Creates a character or block device with exactly `node.mode`. */
  mknod(name: PathLike, node: DeviceNode): void;
  /** What `name` is (or, without it, the folder itself), not following a symlink. */
  lstat(name?: PathLike): FileStat;
  /** The entries of the folder except `.` and `..`. */
  readDir(): DirEntry[];
  /** Sets the owner of `name` (a symlink's own) or of the folder itself. */
  setOwner(owner: Owner, name?: PathLike): void;
  /** Sets the mode of `name` or of the folder itself; a symlink is refused (`NotSupported`), not followed. */
  setMode(mode: number, name?: PathLike): void;
  /** Sets the times of `name` (a symlink's own) or of the folder itself. */
  setTimes(times: FileTimes, name?: PathLike): void;
  /**
   * Creates or replaces an extended attribute of `name` (a symlink's own) or of the folder itself. On
   * Linux `name` is reached through the folder's descriptor (`/proc/self/fd`); elsewhere, and for the
   * folder itself, by path. The fallback path cannot (`NotSupported`).
   */
  setXattr(attribute: Xattr, name?: PathLike): void;
  /** Closes the handle (a borrowed one leaves the descriptor to its owner); closing again does nothing. */
  close(): void;
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
  /**
   * The entries of the folder `path` except `.` and `..`, each with its lstat, in the order the OS gives
   * them; `Deno.errors.FilesystemLoop` when `path` is a symlink (a folder swapped for one is not followed).
   * The FFI path opens the folder once and stats every entry relative to its descriptor (statx or fstatat):
   * no path walk per entry, and every entry is one of the folder that was listed. The fallback lstats
   * each entry by path.
   */
  scanDir(path: PathLike): FolderListing;
  /**
   * `scanDir()` in two halves, for a listing made on one thread and used on another: `packDir()` makes
   * the system calls and returns the listing packed in one buffer (to transfer, not copy); `unpackDir()`
   * gives what `scanDir()` would have. A folder that cannot be read is read again by `unpackDir()`, which
   * throws as `scanDir()` does. The fallback packs nothing: its `unpackDir()` is a `scanDir()`.
   */
  packDir(path: string): Uint8Array<ArrayBuffer>;
  unpackDir(packed: Uint8Array, path: string): FolderListing;
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
  /** The target of the symlink `path`, byte for byte; `Deno.errors.InvalidData` (EINVAL) when not a symlink. */
  readLink(path: PathLike): Uint8Array;
  /** Names of the extended attributes of `path` itself, as bytes. */
  listXattrs(path: PathLike): Uint8Array[];
  /** The value of one extended attribute of `path` itself; `Deno.errors.NotFound` when it has none. */
  getXattr(path: PathLike, name: string | Uint8Array): Uint8Array;
  /** Creates or replaces an extended attribute of `path` itself. */
  setXattr(path: PathLike, attribute: Xattr): void;
  /** Removes an extended attribute of `path` itself. */
  removeXattr(path: PathLike, name: string | Uint8Array): void;
  /**
   * Opens the folder `path` as a handle; `Deno.errors.FilesystemLoop` when its last component is a symlink.
   * The FFI path holds a descriptor; the fallback holds the path and checks it again before each call.
   */
  openDir(path: string): DirHandle;
  /** A handle onto a folder another thread of this process opened, valid while that one stays open. */
  borrowDir(shared: SharedDir): DirHandle;
}
