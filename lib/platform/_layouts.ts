/**
 * Struct layouts and constants of the C library, per OS and CPU, written out by hand: FFI sees memory,
 * not headers. Sources are the kernel's `struct statx` (include/uapi/linux/stat.h, identical on every
 * Linux CPU and C library), glibc's and musl's `struct dirent64` for LP64, and Apple's `<sys/stat.h>` and
 * `<sys/dirent.h>` with 64-bit inode numbers (`__DARWIN_64_BIT_INO_T`, the only layout on arm64 and the
 * `$INODE64` symbols on x86-64). docs/platform.md lists which of them the tests run.
 *
 * @module
 */

import type { CompactStat, EntryType, FileStat } from "./_types.ts";

/** Flags and special values that differ between the supported systems. */
export interface Constants {
  AT_FDCWD: number;
  AT_SYMLINK_NOFOLLOW: number;
  O_NOFOLLOW: number;
  O_DIRECTORY: number;
  O_CLOEXEC: number;
  O_NOCTTY: number;
  O_NONBLOCK: number;
  /** Open flags for creating files (the access mode `O_WRONLY` is 1 everywhere). */
  O_CREAT: number;
  O_EXCL: number;
  /** `unlinkat` flag: remove a folder. */
  AT_REMOVEDIR: number;
  /** Open flags for a file with no name in a folder (Linux's O_TMPFILE, with O_DIRECTORY); none on macOS. */
  O_TMPFILE: number | undefined;
  /** `linkat` flags: follow a symlink at the source (`/proc/self/fd/N`), or link the descriptor itself. */
  AT_SYMLINK_FOLLOW: number;
  AT_EMPTY_PATH: number | undefined;
  /** `tv_nsec` value that leaves a time unchanged in `utimensat`. */
  UTIME_OMIT: bigint;
}

/** Linux on x86-64 and arm64 (glibc and musl alike; only the open flags differ by CPU). */
export function linuxConstants(arch: "x86_64" | "aarch64"): Constants {
  return {
    AT_FDCWD: -100,
    AT_SYMLINK_NOFOLLOW: 0x100,
    O_NOFOLLOW: arch === "x86_64" ? 0x20000 : 0x8000,
    O_DIRECTORY: arch === "x86_64" ? 0x10000 : 0x4000,
    O_CLOEXEC: 0x80000,
    O_NOCTTY: 0x100,
    O_NONBLOCK: 0x800,
    O_CREAT: 0x40,
    O_EXCL: 0x80,
    AT_REMOVEDIR: 0x200,
    O_TMPFILE: 0x400000 | (arch === "x86_64" ? 0x10000 : 0x4000),
    AT_SYMLINK_FOLLOW: 0x400,
    AT_EMPTY_PATH: 0x1000,
    UTIME_OMIT: (1n << 30n) - 2n,
  };
}

/** macOS on arm64 and x86-64. */
export const DARWIN_CONSTANTS: Constants = {
  AT_FDCWD: -2,
  AT_SYMLINK_NOFOLLOW: 0x20,
  O_NOFOLLOW: 0x100,
  O_DIRECTORY: 0x100000,
  O_CLOEXEC: 0x1000000,
  O_NOCTTY: 0x20000,
  O_NONBLOCK: 0x4,
  O_CREAT: 0x200,
  O_EXCL: 0x800,
  AT_REMOVEDIR: 0x80,
  O_TMPFILE: undefined,
  AT_SYMLINK_FOLLOW: 0x40,
  AT_EMPTY_PATH: undefined,
  UTIME_OMIT: -2n,
};

/** Linux statx(2) flags and mask bits. */
export const STATX = {
  AT_SYMLINK_NOFOLLOW: 0x100,
  AT_NO_AUTOMOUNT: 0x800,
  AT_EMPTY_PATH: 0x1000,
  /** STATX_BASIC_STATS. */
  MASK: 0x7ff,
  /** Size of `struct statx`. */
  SIZE: 256,
} as const;

/** macOS `XATTR_NOFOLLOW` for getxattr and friends. */
export const XATTR_NOFOLLOW = 0x1;

/** Size of macOS `struct stat` (64-bit inodes). */
export const DARWIN_STAT_SIZE = 144;

const S_IFMT = 0o170000;
const TYPES_BY_MODE: ReadonlyMap<number, EntryType> = new Map([
  [0o010000, "fifo"],
  [0o020000, "chardev"],
  [0o040000, "dir"],
  [0o060000, "blockdev"],
  [0o100000, "file"],
  [0o120000, "symlink"],
  [0o140000, "socket"],
]);

/** The entry type the type bits of `st_mode` name (the same bits on Linux and macOS). */
export function typeFromMode(mode: number): EntryType {
  return TYPES_BY_MODE.get(mode & S_IFMT) ?? "unknown";
}

/** DT_* values (index) to entry types. */
const TYPES_BY_DTYPE: readonly EntryType[] = [
  "unknown",
  "fifo", // DT_FIFO 1
  "chardev", // DT_CHR 2
  "unknown",
  "dir", // DT_DIR 4
  "unknown",
  "blockdev", // DT_BLK 6
  "unknown",
  "file", // DT_REG 8
  "unknown",
  "symlink", // DT_LNK 10
  "unknown",
  "socket", // DT_SOCK 12
];

/** The entry type a dirent's `d_type` names (DT_* values, the same on Linux and macOS). */
export function typeFromDType(dtype: number): EntryType {
  return TYPES_BY_DTYPE[dtype] ?? "unknown";
}

/** glibc's `makedev()`: Linux's 64-bit device number from major and minor. */
export function linuxMakeDevice(major: number, minor: number): number {
  // Built from two 32-bit halves: shifts in JS work on 32 bits only.
  const high = ((major & 0xfffff000) | ((minor & 0xfff00000) >>> 20)) >>> 0;
  const low = (((major & 0xfff) << 8) | (minor & 0xff) | ((minor & 0xfff00) << 12)) >>> 0;
  return high * 2 ** 32 + low;
}

/** Nanoseconds from a `(seconds, nanoseconds)` pair. */
function ns(seconds: bigint, nanoseconds: number | bigint): bigint {
  return seconds * 1_000_000_000n + BigInt(nanoseconds);
}

/** An unsigned 64-bit field as a number (exact below 2^53: sizes and block counts). */
function u64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
}

/**
 * Decodes a `struct statx`. Offsets: mask 0, blksize 4, nlink 16, uid 20, gid 24, mode 28 (u16), ino 32,
 * size 40, blocks 48, atime 64, btime 80, ctime 96, mtime 112 (each `{ i64 sec; u32 nsec; i32 pad }`),
 * rdev major 128, minor 132, dev major 136, minor 140.
 */
export function decodeStatx(view: DataView): FileStat {
  const mode = view.getUint16(28, true);
  return {
    type: typeFromMode(mode),
    mode,
    size: u64(view, 40),
    uid: view.getUint32(20, true),
    gid: view.getUint32(24, true),
    nlink: view.getUint32(16, true),
    dev: linuxMakeDevice(view.getUint32(136, true), view.getUint32(140, true)),
    ino: view.getBigUint64(32, true),
    rdev: linuxMakeDevice(view.getUint32(128, true), view.getUint32(132, true)),
    blocks: u64(view, 48),
    blksize: view.getUint32(4, true),
    atimeNs: ns(view.getBigInt64(64, true), view.getUint32(72, true)),
    mtimeNs: ns(view.getBigInt64(112, true), view.getUint32(120, true)),
    ctimeNs: ns(view.getBigInt64(96, true), view.getUint32(104, true)),
  };
}

/** A signed 64-bit field as a number (exact below 2^53: seconds, sizes). */
function i64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getInt32(offset + 4, true) * 2 ** 32;
}

/** Decodes a `struct statx` as {@link decodeStatx} does, into plain numbers (see `CompactStat`). */
export function decodeStatxCompact(view: DataView): CompactStat {
  const mode = view.getUint16(28, true);
  const mtimeNsec = view.getUint32(120, true);
  const ctimeNsec = view.getUint32(104, true);
  return {
    type: typeFromMode(mode),
    size: u64(view, 40),
    mtime: i64(view, 112) * 1000 + Math.floor(mtimeNsec / 1_000_000),
    mtimeNs: mtimeNsec % 1_000_000,
    ctime: i64(view, 96) * 1000 + Math.floor(ctimeNsec / 1_000_000),
    ctimeNs: ctimeNsec % 1_000_000,
    mode,
    uid: view.getUint32(20, true),
    gid: view.getUint32(24, true),
    // Rounded as Number(bigint) rounds the exact inode: both sides of a comparison read alike.
    ino: u64(view, 32),
    dev: linuxMakeDevice(view.getUint32(136, true), view.getUint32(140, true)),
    nlink: view.getUint32(16, true),
    rdev: linuxMakeDevice(view.getUint32(128, true), view.getUint32(132, true)),
  };
}

/** A `FileStat` in plain numbers (see `CompactStat`). */
export function compactStat(stat: FileStat): CompactStat {
  const mtime = floorMs(stat.mtimeNs);
  const ctime = floorMs(stat.ctimeNs);
  return {
    type: stat.type,
    size: stat.size,
    mtime: Number(mtime),
    mtimeNs: Number(stat.mtimeNs - mtime * MS),
    ctime: Number(ctime),
    ctimeNs: Number(stat.ctimeNs - ctime * MS),
    mode: stat.mode,
    uid: stat.uid,
    gid: stat.gid,
    ino: Number(stat.ino),
    dev: stat.dev,
    nlink: stat.nlink,
    rdev: stat.rdev,
  };
}

const MS = 1_000_000n;

/** Whole milliseconds of a time in nanoseconds, floored (bigint division truncates toward zero). */
function floorMs(ns: bigint): bigint {
  const ms = ns / MS;
  return ns < 0n && ms * MS !== ns ? ms - 1n : ms;
}

/**
 * Decodes a macOS `struct stat` (64-bit inodes; the same on arm64 and x86-64). Offsets: dev 0 (i32),
 * mode 4 (u16), nlink 6 (u16), ino 8 (u64), uid 16, gid 20, rdev 24 (i32), atimespec 32, mtimespec 48,
 * ctimespec 64 (each `{ i64 sec; i64 nsec }`; birthtimespec 80 is not read), size 96, blocks 104, blksize 112 (i32).
 */
export function decodeDarwinStat(view: DataView): FileStat {
  const mode = view.getUint16(4, true);
  const time = (offset: number) => ns(view.getBigInt64(offset, true), view.getBigInt64(offset + 8, true));
  return {
    type: typeFromMode(mode),
    mode,
    size: Number(view.getBigInt64(96, true)),
    uid: view.getUint32(16, true),
    gid: view.getUint32(20, true),
    nlink: view.getUint16(6, true),
    dev: view.getUint32(0, true),
    ino: view.getBigUint64(8, true),
    rdev: view.getUint32(24, true),
    blocks: Number(view.getBigInt64(104, true)),
    blksize: view.getInt32(112, true),
    atimeNs: time(32),
    mtimeNs: time(48),
    ctimeNs: time(64),
  };
}

/** Where a dirent keeps its type and name, and how to find the name's length. */
export interface DirentLayout {
  typeOffset: number;
  nameOffset: number;
  /** Linux: `d_reclen` (u16 at 16) bounds a NUL-terminated name; macOS: `d_namlen` (u16 at 18) is its length. */
  lengthOffset: number;
  lengthIsNameLength: boolean;
}

/** glibc `struct dirent64` and musl `struct dirent` (the same): ino 0, off 8, reclen 16, type 18, name 19. */
export const LINUX_DIRENT: DirentLayout = {
  typeOffset: 18,
  nameOffset: 19,
  lengthOffset: 16,
  lengthIsNameLength: false,
};

/** macOS `struct dirent` (64-bit inodes): ino 0, seekoff 8, reclen 16, namlen 18, type 20, name 21. */
export const DARWIN_DIRENT: DirentLayout = {
  typeOffset: 20,
  nameOffset: 21,
  lengthOffset: 18,
  lengthIsNameLength: true,
};

/** A `struct timespec[2]` for utimensat (`{ i64 sec; i64 nsec }` on every supported system). */
export function encodeTimespecs(
  out: DataView,
  atime: bigint | undefined,
  mtime: bigint | undefined,
  omit: bigint,
) {
  const put = (offset: number, time: bigint | undefined) => {
    if (time === undefined) {
      out.setBigInt64(offset, 0n, true);
      out.setBigInt64(offset + 8, omit, true);
      return;
    }
    // Floor division: -1_000_000_001 ns is second -2 plus 999_999_999 ns (tv_nsec is never negative).
    let seconds = time / 1_000_000_000n;
    let nanoseconds = time % 1_000_000_000n;
    if (nanoseconds < 0n) {
      seconds -= 1n;
      nanoseconds += 1_000_000_000n;
    }
    out.setBigInt64(offset, seconds, true);
    out.setBigInt64(offset + 8, nanoseconds, true);
  };
  put(0, atime);
  put(16, mtime);
}
