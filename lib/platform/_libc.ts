/**
 * The C library through Deno FFI: the one place that names its symbols, loaded on first use. Each system's
 * calls are adapted to one shape (`Libc`) so the rest of the layer does not care which system it runs on.
 *
 * @module
 */

import {
  compactStat,
  type Constants,
  DARWIN_CONSTANTS,
  DARWIN_DIRENT,
  DARWIN_STAT_SIZE,
  decodeDarwinStat,
  decodeStatx,
  decodeStatxCompact,
  type DirentLayout,
  LINUX_DIRENT,
  linuxConstants,
  STATX,
  XATTR_NOFOLLOW,
} from "./_layouts.ts";
import type { CompactStat, FileStat } from "./_types.ts";

type Pointer = Deno.PointerObject;

/** The calls the platform layer makes, the same on every system; -1 (or null) means "see errno". */
export interface Libc {
  /** The file the library was loaded from, e.g. `libc.so.6`. */
  readonly library: string;
  readonly os: "linux" | "darwin";
  readonly constants: Constants;
  /** The C function behind each operation, for error messages. */
  readonly names: Readonly<Record<LibcCall, string>>;
  readonly statSize: number;
  readonly dirent: DirentLayout;
  decodeStat(view: DataView): FileStat;
  /** What `decodeStat` reads, in plain numbers. */
  decodeCompactStat(view: DataView): CompactStat;
  errno(): number;
  clearErrno(): void;
  strerror(errno: number): string;
  lstat(path: Uint8Array, out: Uint8Array): number;
  fstat(fd: number, out: Uint8Array): number;
  /**
   * Linux: reads directory entries of an open folder into `buffer` as `struct dirent64` records (the
   * records readdir64 hands out one by one); bytes read, 0 at the end. Undefined on macOS.
   */
  getdents: ((fd: number, buffer: Uint8Array) => number) | undefined;
  opendir(path: Uint8Array): Pointer | null;
  readdir(dir: Pointer): Pointer | null;
  closedir(dir: Pointer): number;
  open(path: Uint8Array, flags: number): number;
  pread(fd: number, buffer: Uint8Array, position: number): number;
  close(fd: number): number;
  utimensat(path: Uint8Array, times: Uint8Array): number;
  mkfifo(path: Uint8Array, mode: number): number;
  /** Undefined where the C library has no `mknod` symbol (glibc before 2.33). */
  mknod: ((path: Uint8Array, mode: number, device: number) => number) | undefined;
  chmod(path: Uint8Array, mode: number): number;
  lchown(path: Uint8Array, uid: number, gid: number): number;
  /** Writes a symlink's target into `out` (not NUL-terminated); its length, which is `out.length` when cut. */
  readlink(path: Uint8Array, out: Uint8Array): number;
  listxattr(path: Uint8Array, out: Uint8Array): number;
  /** `listxattr` and `getxattr` of an open file: no path is looked up. */
  flistxattr(fd: number, out: Uint8Array): number;
  fgetxattr(fd: number, name: Uint8Array, out: Uint8Array): number;
  // Calls relative to an open folder (docs/platform.md#folder-handles); none follows a symlink in `name`.
  /** `openat` with a mode, for `O_CREAT` (on macOS arm64 the variadic mode is not read: see openAt's use). */
  openAt(dirfd: number, name: Uint8Array, flags: number, mode: number): number;
  fstatAt(dirfd: number, name: Uint8Array, out: Uint8Array): number;
  mkdirAt(dirfd: number, name: Uint8Array, mode: number): number;
  mkfifoAt(dirfd: number, name: Uint8Array, mode: number): number;
  /** Undefined where the C library has no `mknodat` symbol (glibc before 2.33, macOS before 13). */
  mknodAt: ((dirfd: number, name: Uint8Array, mode: number, device: number) => number) | undefined;
  fchownAt(dirfd: number, name: Uint8Array, uid: number, gid: number): number;
  fchmodAt(dirfd: number, name: Uint8Array, mode: number): number;
  utimensAt(dirfd: number, name: Uint8Array, times: Uint8Array): number;
  fchown(fd: number, uid: number, gid: number): number;
  fchmod(fd: number, mode: number): number;
  futimens(fd: number, times: Uint8Array): number;
  renameAt(fromDir: number, from: Uint8Array, toDir: number, to: Uint8Array): number;
  /** Flags 0 unless given: a symlink at `from` is linked itself, never followed. */
  linkAt(fromDir: number, from: Uint8Array, toDir: number, to: Uint8Array, flags?: number): number;
  symlinkAt(target: Uint8Array, dirfd: number, name: Uint8Array): number;
  unlinkAt(dirfd: number, name: Uint8Array, flags: number): number;
  pwrite(fd: number, buffer: Uint8Array, position: number): number;
  ftruncate(fd: number, length: number): number;
  /** macOS: a directory stream over an open folder (it then owns the descriptor). Undefined on Linux. */
  fdopendir: ((fd: number) => Pointer | null) | undefined;
  getxattr(path: Uint8Array, name: Uint8Array, out: Uint8Array): number;
  setxattr(path: Uint8Array, name: Uint8Array, value: Uint8Array): number;
  removexattr(path: Uint8Array, name: Uint8Array): number;
}

/** The operations, named for `Libc.names`. */
export type LibcCall =
  | "lstat"
  | "fstat"
  | "getdents"
  | "opendir"
  | "readdir"
  | "open"
  | "pread"
  | "close"
  | "utimensat"
  | "mkfifo"
  | "mknod"
  | "chmod"
  | "lchown"
  | "readlink"
  | "listxattr"
  | "flistxattr"
  | "fgetxattr"
  | "openAt"
  | "fstatAt"
  | "mkdirAt"
  | "mkfifoAt"
  | "mknodAt"
  | "fchownAt"
  | "fchmodAt"
  | "utimensAt"
  | "fchown"
  | "fchmod"
  | "futimens"
  | "renameAt"
  | "linkAt"
  | "symlinkAt"
  | "unlinkAt"
  | "pwrite"
  | "ftruncate"
  | "fdopendir"
  | "getxattr"
  | "setxattr"
  | "removexattr";

/** How to load the library; for tests. */
export interface LibcOptions {
  /** Linux: call statx through syscall(2), as on C libraries that lack the wrapper (musl before 1.2.5). */
  statxThroughSyscall?: boolean;
  /** Linux: call getdents64 through syscall(2), as on C libraries that lack the wrapper (glibc before 2.30). */
  getdentsThroughSyscall?: boolean;
}

/**
 * Loads the C library of this system. Throws when the system is not one this layer knows (Linux or macOS
 * on x86-64 or arm64) or no C library could be loaded; the error says why.
 */
export function openLibc(options: LibcOptions = {}): Libc {
  const { os, arch } = Deno.build;
  if (arch !== "x86_64" && arch !== "aarch64") throw new Error(`No C library binding for CPU "${arch}"`);
  if (os === "linux") return openLinux(arch, options);
  if (os === "darwin") return openDarwin(arch);
  throw new Error(`No C library binding for OS "${os}"`);
}

/** Tries each candidate file in turn; the error of the last one when none loads. */
function dlopenFirst<S extends Deno.ForeignLibraryInterface>(
  candidates: readonly string[],
  symbols: S,
): { library: string; lib: Deno.DynamicLibrary<S> } {
  let last: unknown;
  for (const library of candidates) {
    try {
      return { library, lib: Deno.dlopen(library, symbols) };
    } catch (error) {
      last = error;
    }
  }
  throw new Error(
    `Cannot load the C library (tried ${candidates.map((name) => `"${name}"`).join(", ")}): ${
      last instanceof Error ? last.message : String(last)
    }`,
  );
}

/** The symbols of the calls on folder handles, named alike on Linux and macOS (for messages). */
const HANDLE_CALL_NAMES = {
  mkdirAt: "mkdirat",
  mkfifoAt: "mkfifoat",
  mknodAt: "mknodat",
  fchownAt: "fchownat",
  fchmodAt: "fchmodat",
  utimensAt: "utimensat",
  fchown: "fchown",
  fchmod: "fchmod",
  futimens: "futimens",
  renameAt: "renameat",
  linkAt: "linkat",
  symlinkAt: "symlinkat",
  unlinkAt: "unlinkat",
  pwrite: "pwrite",
  ftruncate: "ftruncate",
  fdopendir: "fdopendir",
  readlink: "readlink",
} as const;

/** An errno cell: the C library's thread-local `errno`, read and cleared without a call. */
function errnoCell(location: Pointer | null): Int32Array {
  if (location === null) throw new Error("Cannot find errno: the C library returned no address for it");
  return new Int32Array(Deno.UnsafePointerView.getArrayBuffer(location, 4));
}

function readCString(pointer: Pointer | null): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

const LINUX_SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32", optional: true },
  syscall: { parameters: ["i64", "i32", "buffer", "i32", "u32", "buffer"], result: "i64" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize", optional: true },
  syscall3: { name: "syscall", parameters: ["i64", "i32", "buffer", "usize"], result: "i64" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir64: { parameters: ["pointer"], result: "pointer", optional: true },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  openat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  openat4: { name: "openat", parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  futimens: { parameters: ["i32", "buffer"], result: "i32" },
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  mknod: { parameters: ["buffer", "u32", "u64"], result: "i32", optional: true },
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  mkfifoat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  mknodat: { parameters: ["i32", "buffer", "u32", "u64"], result: "i32", optional: true },
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
  fchmodat: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  fchown: { parameters: ["i32", "u32", "u32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
  symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  chmod: { parameters: ["buffer", "u32"], result: "i32" },
  lchown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  flistxattr: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fgetxattr: { parameters: ["i32", "buffer", "buffer", "usize"], result: "isize" },
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  lremovexattr: { parameters: ["buffer", "buffer"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const EMPTY_PATH = new Uint8Array(1);

/** The symbols of the calls on folder handles that Linux and macOS declare alike. */
type HandleSymbols = Pick<
  Deno.DynamicLibrary<typeof LINUX_SYMBOLS>["symbols"],
  | "mkdirat"
  | "mkfifoat"
  | "fchownat"
  | "fchmodat"
  | "utimensat"
  | "fchown"
  | "fchmod"
  | "futimens"
  | "renameat"
  | "linkat"
  | "symlinkat"
  | "unlinkat"
  | "pwrite"
  | "ftruncate"
>;

/** The calls on folder handles that are the same on both systems (`nofollow`: AT_SYMLINK_NOFOLLOW). */
function handleCalls(
  s: HandleSymbols,
  nofollow: number,
): Pick<
  Libc,
  | "mkdirAt"
  | "mkfifoAt"
  | "fchownAt"
  | "fchmodAt"
  | "utimensAt"
  | "fchown"
  | "fchmod"
  | "futimens"
  | "renameAt"
  | "linkAt"
  | "symlinkAt"
  | "unlinkAt"
  | "pwrite"
  | "ftruncate"
> {
  return {
    mkdirAt: (dirfd, name, mode) => s.mkdirat(dirfd, name, mode),
    mkfifoAt: (dirfd, name, mode) => s.mkfifoat(dirfd, name, mode),
    fchownAt: (dirfd, name, uid, gid) => s.fchownat(dirfd, name, uid, gid, nofollow),
    fchmodAt: (dirfd, name, mode) => s.fchmodat(dirfd, name, mode, nofollow),
    utimensAt: (dirfd, name, times) => s.utimensat(dirfd, name, times, nofollow),
    fchown: (fd, uid, gid) => s.fchown(fd, uid, gid),
    fchmod: (fd, mode) => s.fchmod(fd, mode),
    futimens: (fd, times) => s.futimens(fd, times),
    renameAt: (fromDir, from, toDir, to) => s.renameat(fromDir, from, toDir, to),
    linkAt: (fromDir, from, toDir, to, flags = 0) => s.linkat(fromDir, from, toDir, to, flags),
    symlinkAt: (target, dirfd, name) => s.symlinkat(target, dirfd, name),
    unlinkAt: (dirfd, name, flags) => s.unlinkat(dirfd, name, flags),
    pwrite: (fd, buffer, position) => Number(s.pwrite(fd, buffer, BigInt(buffer.length), BigInt(position))),
    ftruncate: (fd, length) => s.ftruncate(fd, BigInt(length)),
  };
}

/**
 * The C library of Linux (glibc or musl) as a {@link Libc}. Long because it is one table: a line for each
 * C function, read straight down beside the symbols it binds (splitting it would only scatter the table).
 */
function openLinux(arch: "x86_64" | "aarch64", options: LibcOptions): Libc {
  // glibc first; musl names its library after the CPU; "libc.so" is the development link of either.
  const { library, lib } = dlopenFirst(["libc.so.6", `libc.musl-${arch}.so.1`, "libc.so"], LINUX_SYMBOLS);
  const s = lib.symbols;
  const constants = linuxConstants(arch);
  const cell = errnoCell(s.__errno_location());
  const statxFlags = STATX.AT_SYMLINK_NOFOLLOW | STATX.AT_NO_AUTOMOUNT;
  const sysStatx = BigInt(arch === "x86_64" ? 332 : 291);
  // Direct closures, one per shape of call: this is the per-file hot path.
  const direct = s.statx;
  const viaSyscall = direct === null || options.statxThroughSyscall === true;
  const statx = viaSyscall
    ? (dirfd: number, path: Uint8Array, flags: number, out: Uint8Array) =>
      Number(s.syscall(sysStatx, dirfd, path, flags, STATX.MASK, out))
    : (dirfd: number, path: Uint8Array, flags: number, out: Uint8Array) =>
      direct(dirfd, path, flags, STATX.MASK, out);
  const lstat = viaSyscall
    ? (path: Uint8Array, out: Uint8Array) => statx(constants.AT_FDCWD, path, statxFlags, out)
    : (path: Uint8Array, out: Uint8Array) => direct(constants.AT_FDCWD, path, statxFlags, STATX.MASK, out);
  const fstatAt = viaSyscall
    ? (dirfd: number, name: Uint8Array, out: Uint8Array) => statx(dirfd, name, statxFlags, out)
    : (dirfd: number, name: Uint8Array, out: Uint8Array) => direct(dirfd, name, statxFlags, STATX.MASK, out);
  const readdir = s.readdir64 ?? s.readdir;
  const getdents64 = s.getdents64;
  const sysGetdents = BigInt(arch === "x86_64" ? 217 : 61);
  const getdents = getdents64 === null || options.getdentsThroughSyscall === true
    ? (fd: number, buffer: Uint8Array) => Number(s.syscall3(sysGetdents, fd, buffer, BigInt(buffer.length)))
    : (fd: number, buffer: Uint8Array) => Number(getdents64(fd, buffer, BigInt(buffer.length)));
  const mknod = s.mknod;
  const mknodat = s.mknodat;
  const nofollow = constants.AT_SYMLINK_NOFOLLOW;
  return {
    library,
    os: "linux",
    constants,
    names: {
      lstat: "statx",
      fstat: "statx",
      getdents: "getdents64",
      opendir: "opendir",
      readdir: s.readdir64 === null ? "readdir" : "readdir64",
      open: "openat",
      pread: "pread",
      close: "close",
      utimensat: "utimensat",
      mkfifo: "mkfifo",
      mknod: "mknod",
      chmod: "chmod",
      lchown: "lchown",
      listxattr: "llistxattr",
      flistxattr: "flistxattr",
      fgetxattr: "fgetxattr",
      openAt: "openat",
      fstatAt: "statx",
      ...HANDLE_CALL_NAMES,
      getxattr: "lgetxattr",
      setxattr: "lsetxattr",
      removexattr: "lremovexattr",
    },
    statSize: STATX.SIZE,
    dirent: LINUX_DIRENT,
    decodeStat: decodeStatx,
    decodeCompactStat: decodeStatxCompact,
    errno: () => cell[0]!,
    clearErrno: () => void (cell[0] = 0),
    strerror: (errno) => readCString(s.strerror(errno)),
    lstat,
    fstat: (fd, out) => statx(fd, EMPTY_PATH, statxFlags | STATX.AT_EMPTY_PATH, out),
    getdents,
    opendir: (path) => s.opendir(path),
    readdir: (dir) => readdir(dir),
    closedir: (dir) => s.closedir(dir),
    open: (path, flags) => s.openat(constants.AT_FDCWD, path, flags),
    pread: (fd, buffer, position) => Number(s.pread(fd, buffer, BigInt(buffer.length), BigInt(position))),
    close: (fd) => s.close(fd),
    utimensat: (path, times) => s.utimensat(constants.AT_FDCWD, path, times, constants.AT_SYMLINK_NOFOLLOW),
    mkfifo: (path, mode) => s.mkfifo(path, mode),
    mknod: mknod === null ? undefined : (path, mode, device) => mknod(path, mode, BigInt(device)),
    chmod: (path, mode) => s.chmod(path, mode),
    lchown: (path, uid, gid) => s.lchown(path, uid, gid),
    readlink: (path, out) => Number(s.readlink(path, out, BigInt(out.length))),
    listxattr: (path, out) => Number(s.llistxattr(path, out, BigInt(out.length))),
    flistxattr: (fd, out) => Number(s.flistxattr(fd, out, BigInt(out.length))),
    fgetxattr: (fd, name, out) => Number(s.fgetxattr(fd, name, out, BigInt(out.length))),
    getxattr: (path, name, out) => Number(s.lgetxattr(path, name, out, BigInt(out.length))),
    setxattr: (path, name, value) => s.lsetxattr(path, name, value, BigInt(value.length), 0),
    removexattr: (path, name) => s.lremovexattr(path, name),
    openAt: (dirfd, name, flags, mode) => s.openat4(dirfd, name, flags, mode),
    fstatAt,
    mknodAt: mknodat === null
      ? undefined
      : (dirfd, name, mode, device) => mknodat(dirfd, name, mode, BigInt(device)),
    ...handleCalls(s, nofollow),
    fdopendir: undefined,
  };
}

/** macOS symbols; on x86-64 the 64-bit-inode variants carry a `$INODE64` suffix. */
function darwinSymbols(inode64: string) {
  return {
    lstat: { name: `lstat${inode64}`, parameters: ["buffer", "buffer"], result: "i32" },
    fstat: { name: `fstat${inode64}`, parameters: ["i32", "buffer"], result: "i32" },
    opendir: { name: `opendir${inode64}`, parameters: ["buffer"], result: "pointer" },
    readdir: { name: `readdir${inode64}`, parameters: ["pointer"], result: "pointer" },
    closedir: { parameters: ["pointer"], result: "i32" },
    openat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
    // The mode is variadic: on arm64 it goes on the stack, where this does not put it (see openAt).
    openat4: { name: "openat", parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
    fstatat: { name: `fstatat${inode64}`, parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
    fdopendir: { name: `fdopendir${inode64}`, parameters: ["i32"], result: "pointer" },
    pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
    pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
    ftruncate: { parameters: ["i32", "i64"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
    futimens: { parameters: ["i32", "buffer"], result: "i32" },
    mkfifo: { parameters: ["buffer", "u16"], result: "i32" },
    mknod: { parameters: ["buffer", "u16", "i32"], result: "i32" },
    mkdirat: { parameters: ["i32", "buffer", "u16"], result: "i32" },
    mkfifoat: { parameters: ["i32", "buffer", "u16"], result: "i32" },
    mknodat: { parameters: ["i32", "buffer", "u16", "i32"], result: "i32", optional: true },
    fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
    fchmodat: { parameters: ["i32", "buffer", "u16", "i32"], result: "i32" },
    fchown: { parameters: ["i32", "u32", "u32"], result: "i32" },
    fchmod: { parameters: ["i32", "u16"], result: "i32" },
    renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
    linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
    symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
    unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
    chmod: { parameters: ["buffer", "u16"], result: "i32" },
    lchown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
    readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
    listxattr: { parameters: ["buffer", "buffer", "usize", "i32"], result: "isize" },
    flistxattr: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
    fgetxattr: { parameters: ["i32", "buffer", "buffer", "usize", "u32", "i32"], result: "isize" },
    getxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "u32", "i32"], result: "isize" },
    setxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "u32", "i32"], result: "i32" },
    removexattr: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
    strerror: { parameters: ["i32"], result: "pointer" },
    __error: { parameters: [], result: "pointer" },
  } as const;
}

function openDarwin(arch: "x86_64" | "aarch64"): Libc {
  const { library, lib } = dlopenFirst(
    ["/usr/lib/libSystem.B.dylib"],
    darwinSymbols(arch === "x86_64" ? "$INODE64" : ""),
  );
  const s = lib.symbols;
  const constants = DARWIN_CONSTANTS;
  const cell = errnoCell(s.__error());
  const nofollow = constants.AT_SYMLINK_NOFOLLOW;
  const mknodat = s.mknodat;
  return {
    library,
    os: "darwin",
    constants,
    names: {
      lstat: "lstat",
      fstat: "fstat",
      getdents: "getdents",
      opendir: "opendir",
      readdir: "readdir",
      open: "openat",
      pread: "pread",
      close: "close",
      utimensat: "utimensat",
      mkfifo: "mkfifo",
      mknod: "mknod",
      chmod: "chmod",
      lchown: "lchown",
      listxattr: "listxattr",
      flistxattr: "flistxattr",
      fgetxattr: "fgetxattr",
      openAt: "openat",
      fstatAt: "fstatat",
      ...HANDLE_CALL_NAMES,
      getxattr: "getxattr",
      setxattr: "setxattr",
      removexattr: "removexattr",
    },
    statSize: DARWIN_STAT_SIZE,
    dirent: DARWIN_DIRENT,
    decodeStat: decodeDarwinStat,
    // Rare enough (macOS) to go through the bigints.
    decodeCompactStat: (view) => compactStat(decodeDarwinStat(view)),
    errno: () => cell[0]!,
    clearErrno: () => void (cell[0] = 0),
    strerror: (errno) => readCString(s.strerror(errno)),
    lstat: (path, out) => s.lstat(path, out),
    fstat: (fd, out) => s.fstat(fd, out),
    getdents: undefined,
    opendir: (path) => s.opendir(path),
    readdir: (dir) => s.readdir(dir),
    closedir: (dir) => s.closedir(dir),
    open: (path, flags) => s.openat(constants.AT_FDCWD, path, flags),
    pread: (fd, buffer, position) => Number(s.pread(fd, buffer, BigInt(buffer.length), BigInt(position))),
    close: (fd) => s.close(fd),
    utimensat: (path, times) => s.utimensat(constants.AT_FDCWD, path, times, constants.AT_SYMLINK_NOFOLLOW),
    mkfifo: (path, mode) => s.mkfifo(path, mode),
    mknod: (path, mode, device) => s.mknod(path, mode, device | 0),
    chmod: (path, mode) => s.chmod(path, mode),
    lchown: (path, uid, gid) => s.lchown(path, uid, gid),
    readlink: (path, out) => Number(s.readlink(path, out, BigInt(out.length))),
    listxattr: (path, out) => Number(s.listxattr(path, out, BigInt(out.length), XATTR_NOFOLLOW)),
    flistxattr: (fd, out) => Number(s.flistxattr(fd, out, BigInt(out.length), 0)),
    fgetxattr: (fd, name, out) => Number(s.fgetxattr(fd, name, out, BigInt(out.length), 0, 0)),
    getxattr: (path, name, out) => Number(s.getxattr(path, name, out, BigInt(out.length), 0, XATTR_NOFOLLOW)),
    setxattr: (path, name, value) => s.setxattr(path, name, value, BigInt(value.length), 0, XATTR_NOFOLLOW),
    removexattr: (path, name) => s.removexattr(path, name, XATTR_NOFOLLOW),
    openAt: (dirfd, name, flags, mode) => s.openat4(dirfd, name, flags, mode),
    fstatAt: (dirfd, name, out) => s.fstatat(dirfd, name, out, nofollow),
    mknodAt: mknodat === null
      ? undefined
      : (dirfd, name, mode, device) => mknodat(dirfd, name, mode, device | 0),
    ...handleCalls(s, nofollow),
    fdopendir: (fd) => s.fdopendir(fd),
  };
}

/** glibc's `mallopt` parameter: the size from which an allocation gets a mapping of its own. */
const M_MMAP_THRESHOLD = -3;
/** glibc's `mallopt` parameter: free memory at the top of a heap beyond which it is given back. */
const M_TRIM_THRESHOLD = -1;

/**
 * Asks glibc to give every allocation of `bytes` or more a mapping of its own, unmapped when it is freed.
 * By default glibc raises that bound to the size of each such buffer freed, up to 32 MiB: after the first
 * few, megabyte buffers (index files read, packs, decompressed text) come from its heap, and what is freed
 * there stays in the process wherever a live allocation sits above it. Loading the index of a million
 * blobs kept ~95 MiB of freed buffers that way (docs/performance.md#the-c-allocator). A fixed bound also
 * stops glibc from raising the trim threshold (128 KiB) with it, and trimming every heap's top at 128 KiB
 * cost a check of the 1 GiB corpus ~0.1 s more system time: up to 8 × `bytes` stays free at the top, as the
 * default would have kept. Returns whether both are set; false where the C library is not glibc (musl maps
 * large buffers on its own), on other systems and without `--allow-ffi`.
 */
export function mapLargeAllocations(bytes: number): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
    const lib = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } });
    try {
      return lib.symbols.mallopt(M_MMAP_THRESHOLD, bytes) === 1 &&
        lib.symbols.mallopt(M_TRIM_THRESHOLD, 8 * bytes) === 1;
    } finally {
      lib.close();
    }
  } catch {
    return false;
  }
}
