/**
 * The platform layer over Deno's file API, for where the C library is out of reach (another OS, or
 * `--allow-ffi` not granted): times in milliseconds (ctime in seconds), names only as text, no extended
 * attributes, FIFOs and devices made by `mkfifo` and `mknod`, a symlink's times before 1970 by `touch`.
 *
 * @module
 */

import { lchownSync, lutimesSync } from "node:fs";
import { fromDenoError, makeError, notSymlinkError, type PlatformError, symlinkError } from "./_errors.ts";
import { splitDevice } from "./_devices.ts";
import { joinPath, nameText, pathText } from "./_paths.ts";
import { runTool } from "./_run_tool.ts";
import { dateOf, FallbackDir, textOf } from "./_fallback_dir.ts";
import { compactStat } from "./_layouts.ts";
import { notPacked } from "./_packed_scan.ts";
import type {
  DeviceNode,
  DirEntry,
  DirHandle,
  EntryType,
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

const encoder = new TextEncoder();

/** What the fallback loses, for its warning. */
const LOST = "times are kept to the millisecond (ctime to the second), names that are not valid UTF-8 " +
  "are skipped and extended attributes are not kept";

/** Deno's file API in the shape of `Platform`. */
export class FallbackPlatform implements Platform {
  readonly kind = "fallback" as const;
  readonly description: string;
  readonly warning: string;

  /** `reason` says why the C library is not used, e.g. `--allow-ffi not granted`. */
  constructor(reason: string) {
    this.description =
      `Deno's file API (${reason}): millisecond times, names as text, no extended attributes`;
    this.warning = `Exact file metadata is not available (${reason}): ${LOST}`;
  }

  lstat(path: PathLike): FileStat {
    const text = textOf(path, "lstat");
    try {
      return fromFileInfo(Deno.lstatSync(text));
    } catch (error) {
      throw fromDenoError(error, "lstat", path);
    }
  }

  readDir(path: PathLike): DirEntry[] {
    const text = textOf(path, "readDir");
    const entries: DirEntry[] = [];
    try {
      for (const entry of Deno.readDirSync(text)) {
        entries.push({
          name: encoder.encode(entry.name),
          type: entry.isFile ? "file" : entry.isDirectory ? "dir" : entry.isSymlink ? "symlink" : "unknown",
          lossyName: entry.name.includes("\uFFFD") && !exists(joinPath(text, entry.name)),
        });
      }
    } catch (error) {
      throw fromDenoError(error, "readDir", path);
    }
    return entries;
  }

  packDir(_path: string): Uint8Array<ArrayBuffer> {
    return notPacked();
  }

  unpackDir(_packed: Uint8Array, path: string): FolderListing {
    return this.scanDir(path);
  }

  scanDir(path: PathLike): FolderListing {
    // Deno reads a folder through a symlink: refuse one first (not race-free, as the handles are not).
    const stat = this.lstat(path);
    if (stat.type === "symlink") throw symlinkError("open", path);
    const entries = this.readDir(path).map(({ name, type, lossyName }): StatEntry => {
      const entry = { name: nameText(name), type, lossyName };
      if (lossyName) return { ...entry, stat: undefined, error: undefined };
      try {
        return { ...entry, stat: compactStat(this.lstat(joinPath(path, name))), error: undefined };
      } catch (error) {
        return {
          ...entry,
          stat: undefined,
          error: error instanceof Error ? error : new Error(String(error)),
        };
      }
    });
    return { stat, entries };
  }

  openFile(path: PathLike, options: OpenOptions = {}): OpenFile {
    const text = textOf(path, "open");
    // Deno has no O_NOFOLLOW or O_DIRECTORY: check first (not race-free) and refuse a FIFO, which
    // Deno would wait on until a writer came.
    const info = this.lstat(path);
    if (info.type === "symlink" && options.noFollow) throw symlinkError("open", path);
    const target = info.type === "symlink" ? statOf(text, path) : info;
    if (options.directory && target.type !== "dir") {
      throw makeError({ call: "open", path, reason: "not a folder", errorClass: Deno.errors.NotADirectory });
    }
    if (target.type === "fifo") {
      throw makeError({
        call: "open",
        path,
        reason: "a FIFO cannot be opened without waiting for a writer here (FFI is not available)",
        errorClass: Deno.errors.NotSupported,
      });
    }
    try {
      return new FallbackFile(Deno.openSync(text, { read: true }), path);
    } catch (error) {
      throw fromDenoError(error, "open", path);
    }
  }

  setTimes(path: PathLike, times: FileTimes): void {
    const text = textOf(path, "utime");
    const info = this.lstat(path);
    const atimeNs = times.atimeNs ?? info.atimeNs;
    const mtimeNs = times.mtimeNs ?? info.mtimeNs;
    if (info.type !== "symlink") {
      try {
        Deno.utimeSync(text, dateOf(atimeNs), dateOf(mtimeNs));
      } catch (error) {
        throw fromDenoError(error, "utime", path);
      }
    } else if (atimeNs >= 0n && mtimeNs >= 0n) {
      try {
        lutimesSync(text, Number(atimeNs / 1_000_000n) / 1000, Number(mtimeNs / 1_000_000n) / 1000);
      } catch (error) {
        throw fromDenoError(error, "lutimes", path);
      }
    } else {
      // node:fs turns a time before 1970 into "now" and Deno has no lutime: touch(1) sets it.
      runTool("touch", ["-h", "-a", "-d", `@${secondsText(atimeNs)}`, "--", text], { call: "touch", path });
      runTool("touch", ["-h", "-m", "-d", `@${secondsText(mtimeNs)}`, "--", text], { call: "touch", path });
    }
  }

  mkfifo(path: PathLike, mode: number): void {
    const text = textOf(path, "mkfifo");
    runTool("mkfifo", ["-m", octal(mode), "--", text], { call: "mkfifo", path });
  }

  mknod(path: PathLike, node: DeviceNode): void {
    const text = textOf(path, "mknod");
    const { major, minor } = splitDevice(node.rdev);
    const type = node.type === "chardev" ? "c" : "b";
    runTool("mknod", ["-m", octal(node.mode), "--", text, type, String(major), String(minor)], {
      call: "mknod",
      path,
    });
  }

  lchown(path: PathLike, owner: Owner): void {
    const text = textOf(path, "lchown");
    try {
      lchownSync(text, owner.uid, owner.gid);
    } catch (error) {
      throw fromDenoError(error, "lchown", path);
    }
  }

  readLink(path: PathLike): Uint8Array {
    const text = textOf(path, "readlink");
    try {
      return encoder.encode(Deno.readLinkSync(text));
    } catch (error) {
      throw notSymlinkError(fromDenoError(error, "readlink", path), path);
    }
  }

  /** A handle that is the folder's real path, checked again before each call (not race-free). */
  openDir(path: string): DirHandle {
    const text = textOf(path, "open");
    const info = this.lstat(text);
    if (info.type === "symlink") throw symlinkError("open", path);
    if (info.type !== "dir") {
      throw makeError({ call: "open", path, reason: "not a folder", errorClass: Deno.errors.NotADirectory });
    }
    let real: string;
    try {
      real = Deno.realPathSync(text);
    } catch (error) {
      throw fromDenoError(error, "realpath", path);
    }
    return new FallbackDir(this, real);
  }

  borrowDir(shared: SharedDir): DirHandle {
    return new FallbackDir(this, shared.path);
  }

  /** Always empty: Deno's file API cannot list them. Throws when `path` does not exist. */
  listXattrs(path: PathLike): Uint8Array[] {
    this.lstat(path);
    return [];
  }

  getXattr(path: PathLike, name: string | Uint8Array): Uint8Array {
    throw noXattrs("getxattr", path, name);
  }

  setXattr(path: PathLike, attribute: Xattr): void {
    throw noXattrs("setxattr", path, attribute.name);
  }

  removeXattr(path: PathLike, name: string | Uint8Array): void {
    throw noXattrs("removexattr", path, name);
  }
}

/** A file opened by `FallbackPlatform.openFile()`. */
class FallbackFile implements OpenFile {
  readonly fd = undefined;
  readonly #file: Deno.FsFile;
  readonly #path: PathLike;
  #closed = false;

  constructor(file: Deno.FsFile, path: PathLike) {
    this.#file = file;
    this.#path = path;
  }

  read(buffer: Uint8Array, position: number): number {
    this.#checkOpen();
    try {
      this.#file.seekSync(position, Deno.SeekMode.Start);
      return this.#file.readSync(buffer) ?? 0;
    } catch (error) {
      throw fromDenoError(error, "read", this.#path);
    }
  }

  stat(): FileStat {
    this.#checkOpen();
    try {
      return fromFileInfo(this.#file.statSync());
    } catch (error) {
      throw fromDenoError(error, "fstat", this.#path);
    }
  }

  /** Always empty: Deno's file API cannot list them. */
  listXattrs(): Uint8Array[] {
    this.#checkOpen();
    return [];
  }

  getXattr(name: string | Uint8Array): Uint8Array {
    this.#checkOpen();
    throw noXattrs("fgetxattr", this.#path, name);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Cannot read a closed file");
  }
}

function noXattrs(call: string, path: PathLike, name: string | Uint8Array): PlatformError {
  return makeError({
    call,
    path,
    subject: `"${pathText(name) ?? "(not UTF-8)"}"`,
    reason: "extended attributes need the C library (FFI), which is not available",
    code: "ENOTSUP",
    errorClass: Deno.errors.NotSupported,
  });
}

function exists(path: Uint8Array): boolean {
  try {
    Deno.lstatSync(new TextDecoder().decode(path));
    return true;
  } catch {
    return false;
  }
}

function statOf(text: string, path: PathLike): FileStat {
  try {
    return fromFileInfo(Deno.statSync(text));
  } catch (error) {
    throw fromDenoError(error, "stat", path);
  }
}

function typeOf(info: Deno.FileInfo): EntryType {
  if (info.isFile) return "file";
  if (info.isDirectory) return "dir";
  if (info.isSymlink) return "symlink";
  if (info.isFifo) return "fifo";
  if (info.isCharDevice) return "chardev";
  if (info.isBlockDevice) return "blockdev";
  if (info.isSocket) return "socket";
  return "unknown";
}

function nsOf(date: Date | null): bigint {
  return date === null ? 0n : BigInt(date.getTime()) * 1_000_000n;
}

function fromFileInfo(info: Deno.FileInfo): FileStat {
  return {
    type: typeOf(info),
    mode: info.mode ?? 0,
    size: info.size,
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    nlink: info.nlink ?? 1,
    dev: info.dev,
    ino: BigInt(info.ino ?? 0),
    rdev: info.rdev ?? 0,
    blocks: info.blocks ?? 0,
    blksize: info.blksize ?? 0,
    atimeNs: nsOf(info.atime),
    mtimeNs: nsOf(info.mtime),
    ctimeNs: nsOf(info.ctime),
  };
}

/** Nanoseconds as exact decimal seconds for `touch -d @S`, e.g. `-1.000000001`. */
function secondsText(ns: bigint): string {
  const sign = ns < 0n ? "-" : "";
  const abs = ns < 0n ? -ns : ns;
  return `${sign}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, "0")}`;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}
