// The struct offsets written by hand in lib/platform/_layouts.ts, checked against the field lists of the
// C headers laid out by C's alignment rules; macOS's layouts decoded through a stand-in C library that
// hands out hand-built records (this machine runs Linux); device numbers checked against Python.
// What runs for real on Linux is in the other tests and in variants_test.ts.

import assert from "node:assert/strict";
import { FfiPlatform } from "../../lib/platform/_ffi_platform.ts";
import {
  DARWIN_DIRENT,
  DARWIN_STAT_SIZE,
  decodeDarwinStat,
  decodeStatx,
  encodeTimespecs,
  LINUX_DIRENT,
  STATX,
} from "../../lib/platform/_layouts.ts";
import { type Libc, openLibc } from "../../lib/platform/_libc.ts";
import { makeDevice, splitDevice } from "../../lib/platform/mod.ts";
import { python } from "./_python.ts";

/** A field of a C struct: name, size of one element, alignment, element count. */
type Field = readonly [name: string, size: number, align?: number, count?: number];

/** Offsets of each field and the struct's size, as a C compiler for LP64 lays them out. */
function layout(fields: readonly Field[]): { offsets: Record<string, number>; size: number } {
  const offsets: Record<string, number> = {};
  let offset = 0;
  let largest = 1;
  for (const [name, size, align = size, count = 1] of fields) {
    offset = Math.ceil(offset / align) * align;
    offsets[name] = offset;
    offset += size * count;
    largest = Math.max(largest, align);
  }
  return { offsets, size: Math.ceil(offset / largest) * largest };
}

/** struct statx, include/uapi/linux/stat.h; a statx_timestamp is { s64 tv_sec; u32 tv_nsec; s32 pad }. */
const STATX_FIELDS: readonly Field[] = [
  ["stx_mask", 4],
  ["stx_blksize", 4],
  ["stx_attributes", 8],
  ["stx_nlink", 4],
  ["stx_uid", 4],
  ["stx_gid", 4],
  ["stx_mode", 2],
  ["__spare0", 2],
  ["stx_ino", 8],
  ["stx_size", 8],
  ["stx_blocks", 8],
  ["stx_attributes_mask", 8],
  ["stx_atime", 16, 8],
  ["stx_btime", 16, 8],
  ["stx_ctime", 16, 8],
  ["stx_mtime", 16, 8],
  ["stx_rdev_major", 4],
  ["stx_rdev_minor", 4],
  ["stx_dev_major", 4],
  ["stx_dev_minor", 4],
];

/** macOS struct stat with 64-bit inodes (sys/stat.h, __DARWIN_STRUCT_STAT64). */
const DARWIN_STAT_FIELDS: readonly Field[] = [
  ["st_dev", 4],
  ["st_mode", 2],
  ["st_nlink", 2],
  ["st_ino", 8],
  ["st_uid", 4],
  ["st_gid", 4],
  ["st_rdev", 4],
  ["st_atimespec", 16, 8],
  ["st_mtimespec", 16, 8],
  ["st_ctimespec", 16, 8],
  ["st_birthtimespec", 16, 8],
  ["st_size", 8],
  ["st_blocks", 8],
  ["st_blksize", 4],
  ["st_flags", 4],
  ["st_gen", 4],
  ["st_lspare", 4],
  ["st_qspare", 8, 8, 2],
];

/** glibc struct dirent64 (musl's struct dirent is the same). */
const LINUX_DIRENT_FIELDS: readonly Field[] = [
  ["d_ino", 8],
  ["d_off", 8],
  ["d_reclen", 2],
  ["d_type", 1],
  ["d_name", 1, 1, 256],
];

/** macOS struct dirent with 64-bit inodes (sys/dirent.h, __DARWIN_STRUCT_DIRENTRY). */
const DARWIN_DIRENT_FIELDS: readonly Field[] = [
  ["d_ino", 8],
  ["d_seekoff", 8],
  ["d_reclen", 2],
  ["d_namlen", 2],
  ["d_type", 1],
  ["d_name", 1, 1, 1024],
];

Deno.test("the hand-written offsets match the C declarations of statx, dirent and macOS stat", () => {
  const statx = layout(STATX_FIELDS);
  assert.ok(statx.size <= STATX.SIZE);
  assert.deepEqual(
    [28, 32, 40, 48, 64, 96, 112, 128, 136],
    [
      "stx_mode",
      "stx_ino",
      "stx_size",
      "stx_blocks",
      "stx_atime",
      "stx_ctime",
      "stx_mtime",
      "stx_rdev_major",
      "stx_dev_major",
    ]
      .map((name) => statx.offsets[name]),
  );
  const darwinStat = layout(DARWIN_STAT_FIELDS);
  assert.equal(darwinStat.size, DARWIN_STAT_SIZE);
  assert.deepEqual(
    [0, 4, 6, 8, 16, 20, 24, 32, 48, 64, 96, 104, 112],
    [
      "st_dev",
      "st_mode",
      "st_nlink",
      "st_ino",
      "st_uid",
      "st_gid",
      "st_rdev",
      "st_atimespec",
      "st_mtimespec",
      "st_ctimespec",
      "st_size",
      "st_blocks",
      "st_blksize",
    ]
      .map((name) => darwinStat.offsets[name]),
  );
  const linuxDirent = layout(LINUX_DIRENT_FIELDS).offsets;
  assert.deepEqual(
    [LINUX_DIRENT.lengthOffset, LINUX_DIRENT.typeOffset, LINUX_DIRENT.nameOffset],
    [linuxDirent.d_reclen, linuxDirent.d_type, linuxDirent.d_name],
  );
  const darwinDirent = layout(DARWIN_DIRENT_FIELDS).offsets;
  assert.deepEqual(
    [DARWIN_DIRENT.lengthOffset, DARWIN_DIRENT.typeOffset, DARWIN_DIRENT.nameOffset],
    [darwinDirent.d_namlen, darwinDirent.d_type, darwinDirent.d_name],
  );
});

/** A struct filled field by field at the offsets `layout()` computed. */
function struct(fields: readonly Field[], values: Record<string, bigint | number>): Uint8Array {
  const { offsets, size } = layout(fields);
  const bytes = new Uint8Array(Math.max(size, STATX.SIZE));
  const view = new DataView(bytes.buffer);
  for (const [name, value] of Object.entries(values)) {
    const [field, part] = name.split(".") as [string, string | undefined];
    const spec = fields.find(([fieldName]) => fieldName === field)!;
    const offset = offsets[field]! + (part === "nsec" ? 8 : 0);
    // A timespec's seconds and nanoseconds are written as 8 bytes each (statx's u32 nsec and pad too).
    const size = part !== undefined || spec[1] === 16 ? 8 : spec[1];
    if (size === 8) view.setBigInt64(offset, BigInt(value), true);
    else if (size === 4) view.setUint32(offset, Number(value), true);
    else if (size === 2) view.setUint16(offset, Number(value), true);
    else view.setUint8(offset, Number(value));
  }
  return bytes;
}

Deno.test("decodeDarwinStat() reads every field of a macOS struct stat built from its declaration", () => {
  const bytes = struct(DARWIN_STAT_FIELDS, {
    st_dev: 0x01000004,
    st_mode: 0o100640,
    st_nlink: 3,
    st_ino: 0xfedcba9876543210n,
    st_uid: 501,
    st_gid: 20,
    st_rdev: 0,
    "st_atimespec": -2n,
    "st_atimespec.nsec": 999_999_999n,
    "st_mtimespec": 4_102_444_800n,
    "st_mtimespec.nsec": 123_456_789n,
    "st_ctimespec": 1_700_000_000n,
    "st_ctimespec.nsec": 1n,
    "st_birthtimespec": 7n,
    st_size: 2n ** 40n,
    st_blocks: 2n ** 31n,
    st_blksize: 4096,
    st_flags: 0x20,
  });
  assert.deepEqual(decodeDarwinStat(new DataView(bytes.buffer)), {
    type: "file",
    mode: 0o100640,
    size: 2 ** 40,
    uid: 501,
    gid: 20,
    nlink: 3,
    dev: 0x01000004,
    ino: 0xfedcba9876543210n,
    rdev: 0,
    blocks: 2 ** 31,
    blksize: 4096,
    atimeNs: -1_000_000_001n,
    mtimeNs: 4_102_444_800_123_456_789n,
    ctimeNs: 1_700_000_000_000_000_001n,
  });
});

Deno.test("decodeStatx() reads a struct statx built from its declaration, device numbers included", () => {
  const bytes = struct(STATX_FIELDS, {
    stx_mask: 0x7ff,
    stx_blksize: 4096,
    stx_nlink: 1,
    stx_uid: 1000,
    stx_gid: 1000,
    stx_mode: 0o020620,
    stx_ino: 2n ** 63n + 5n,
    stx_size: 0n,
    stx_blocks: 0n,
    stx_atime: -1n,
    "stx_atime.nsec": 0n,
    stx_mtime: -2n,
    stx_ctime: 3n,
    stx_rdev_major: 136,
    stx_rdev_minor: 1_048_575,
    stx_dev_major: 0,
    stx_dev_minor: 25,
  });
  // The nanoseconds of a statx_timestamp are a u32 at +8: set mtime's to 999_999_999 by hand.
  new DataView(bytes.buffer).setUint32(layout(STATX_FIELDS).offsets.stx_mtime! + 8, 999_999_999, true);
  const stat = decodeStatx(new DataView(bytes.buffer));
  assert.equal(stat.type, "chardev");
  assert.equal(stat.ino, 2n ** 63n + 5n);
  assert.deepEqual([stat.atimeNs, stat.mtimeNs, stat.ctimeNs], [
    -1_000_000_000n,
    -1_000_000_001n,
    3_000_000_000n,
  ]);
  assert.deepEqual(splitDevice(stat.rdev, { os: "linux" }), { major: 136, minor: 1_048_575 });
  assert.deepEqual(splitDevice(stat.dev, { os: "linux" }), { major: 0, minor: 25 });
});

Deno.test("makeDevice() encodes as glibc's makedev does, and splitDevice() undoes it", () => {
  const pairs = [[1, 3], [8, 17], [136, 1_048_575], [4095, 255], [259, 65_536]] as const;
  const expected = python<string[]>(`print(json.dumps([str(os.makedev(a, b)) for a, b in args]))`, pairs);
  pairs.forEach(([major, minor], i) => {
    const device = makeDevice({ major, minor }, { os: "linux" });
    assert.equal(String(device), expected[i]);
    assert.deepEqual(splitDevice(device, { os: "linux" }), { major, minor });
  });
  const darwin = makeDevice({ major: 16, minor: 0x123456 }, { os: "darwin" });
  assert.equal(darwin, 0x10123456);
  assert.deepEqual(splitDevice(darwin, { os: "darwin" }), { major: 16, minor: 0x123456 });
});

Deno.test("encodeTimespecs() floors to whole seconds and leaves an omitted time to UTIME_OMIT", () => {
  const view = new DataView(new ArrayBuffer(32));
  encodeTimespecs(view, -1_000_000_001n, undefined, 1_073_741_822n);
  assert.deepEqual(
    [0, 8, 16, 24].map((offset) => view.getBigInt64(offset, true)),
    [-2n, 999_999_999n, 0n, 1_073_741_822n],
  );
});

/** A stand-in C library whose readdir hands out macOS dirents built by hand. */
function darwinDirents(names: Uint8Array[]): Libc {
  const records = names.map((name, i) => {
    const record = struct(DARWIN_DIRENT_FIELDS, {
      d_ino: BigInt(i + 2),
      d_reclen: 21 + name.length + 1,
      d_namlen: name.length,
      d_type: i === 3 ? 8 : 4, // DT_REG for the file, DT_DIR for the folders
    });
    record.set(name, DARWIN_DIRENT.nameOffset);
    return record;
  });
  let next = 0;
  const real = openLibc();
  return {
    ...real,
    os: "darwin",
    dirent: DARWIN_DIRENT,
    getdents: undefined,
    opendir: () => Deno.UnsafePointer.of(records[0]!),
    readdir: () => (next < records.length ? Deno.UnsafePointer.of(records[next++]!) : null),
    closedir: () => 0,
  };
}

Deno.test("readDir() decodes macOS dirents: d_namlen gives the name, d_type the type", () => {
  const names = [".", "..", "folder", "caf\xe9"].map((name) =>
    Uint8Array.from(name, (char) => char.charCodeAt(0))
  );
  const platform = new FfiPlatform(darwinDirents(names));
  const entries = platform.readDir("/anywhere");
  assert.deepEqual(entries.map((entry) => [Array.from(entry.name), entry.type]), [
    [Array.from(names[2]!), "dir"],
    [Array.from(names[3]!), "file"],
  ]);
});
