/**
 * The platform layer: file-system calls with the exactness a backup needs and Deno's file API lacks,
 * made through the C library with Deno FFI (`Deno.dlopen`): lstat with nanosecond times (statx on Linux),
 * folders read with names as raw bytes, files opened by byte path (optionally without following a
 * symlink) and read with pread, times set to the nanosecond on files, folders and symlinks, FIFOs and
 * device nodes, lchown, extended attributes (symlinks included), and folder handles: calls relative to an
 * open folder that never follow a symlink in the name they are given (`openDir()`, shared with workers
 * through `borrowDir()`). Where FFI cannot be used (another OS,
 * or `--allow-ffi` not granted) the same interface falls back to Deno's file API with millisecond times,
 * and says in one line (`warning`) what is lost. docs/platform.md describes both paths.
 *
 * This is a leaf module: of kept's own code it imports only the shared child-process runner (run_command.ts).
 *
 * @example
 * ```ts
 * import { platform } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const fs = platform();
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/a.txt`, "hello");
 * fs.setTimes(`${dir}/a.txt`, { mtimeNs: -1_000_000_001n });
 * const expected = fs.kind === "ffi" ? -1_000_000_001n : -1_001_000_000n; // the fallback keeps milliseconds
 * assert.equal(fs.lstat(`${dir}/a.txt`).mtimeNs, expected);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { fallbackPlatform, platform } from "./_platform.ts";
export { mapLargeAllocations } from "./_libc.ts";
export type {
  CompactStat,
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
  UnnamedFile,
  WriteFile,
  Xattr,
} from "./_types.ts";
export { isPlatformError } from "./_errors.ts";
export type { PlatformError, PlatformErrorDetails } from "./_errors.ts";
export { describePath, hasEscapedBytes, joinPath, nameText, pathBytes, pathText } from "./_paths.ts";
export { makeDevice, splitDevice } from "./_devices.ts";
export { compactStat } from "./_layouts.ts";
export type { DeviceOptions, DeviceParts } from "./_devices.ts";
export { currentUserName, groupName, namesById, userName } from "./owner_names.ts";
