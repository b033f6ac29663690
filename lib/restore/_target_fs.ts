// The file-system calls a restore makes on its target: looking at what is there, removing what is in the way,
// setting metadata, all through folder handles (docs/restore.md#restore-safety).

import { basename, dirname, join, resolve } from "node:path";
import { describeError, UserError } from "../errors.ts";
import {
  describePath,
  type DirHandle,
  type FileStat,
  type FileTimes,
  isPlatformError,
  pathBytes,
  platform,
} from "../platform/mod.ts";
import type { TreeNode } from "../repo/mod.ts";
import { errorKind, IoError } from "../workers/mod.ts";

/**
 * The target folder as an absolute path without symlinks, and whether it exists. It need not: the part
 * that is missing is resolved below the part that exists. Throws a `UserError` when it is not a folder
 * or is empty.
 */
export function resolveTarget(target: string): { path: string; exists: boolean } {
  // resolve("") is the current folder: a target left empty by mistake must not restore into it.
  if (target === "") throw new UserError(`Cannot restore into "": no folder given`);
  const missing: string[] = [];
  let existing = resolve(target);
  for (;;) {
    let real: string;
    try {
      real = Deno.realPathSync(existing);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || existing === dirname(existing)) {
        const why = folderProblem(existing) ?? describeError(error);
        throw new UserError(`Cannot restore into "${target}": ${why}`, { cause: error });
      }
      missing.unshift(basename(existing));
      existing = dirname(existing);
      continue;
    }
    if (!Deno.statSync(real).isDirectory) {
      throw new UserError(`Cannot restore into "${target}": not a folder`);
    }
    return { path: join(real, ...missing), exists: missing.length === 0 };
  }
}

/**
 * Why `path` cannot be made for want of a folder: the nearest folder above it is missing (`its folder
 * /a/b does not exist`), or a file stands where a folder above it should be (`/a is not a folder`).
 * Undefined when neither is so.
 */
export function folderProblem(path: string): string | undefined {
  const folder = dirname(resolve(path));
  for (let above = folder;; above = dirname(above)) {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(above);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
        return undefined;
      }
    }
    if (info !== undefined) {
      if (!info.isDirectory) return `${above} is not a folder`;
      return above === folder ? undefined : `its folder ${folder} does not exist`;
    }
    if (above === dirname(above)) return undefined;
  }
}

/**
 * What is at `path` (not following a symlink), or undefined when nothing is. Through the platform layer:
 * `path` may hold bytes that are not UTF-8 (docs/format.md#names), which Deno's own calls cannot reach.
 */
export function lstatOrUndefined(path: string): FileStat | undefined {
  try {
    return platform().lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The folder a path is in. */
export function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** True when `info` is a FIFO or device of the type `node` is. */
export function sameSpecialType(info: FileStat, node: TreeNode): boolean {
  return (node.type === "fifo" || node.type === "chardev" || node.type === "blockdev") &&
    info.type === node.type;
}

/**
 * The target folder, made if missing, as a handle every write of the restore goes through: what exists of
 * it is the caller's to trust; the folders missing are made one at a time, none followed if a symlink
 * takes its place. Throws a `UserError` when it cannot be made or opened.
 */
export function openTarget(target: string): DirHandle {
  const { existing, missing } = existingPart(target);
  let dir: DirHandle | undefined;
  try {
    dir = platform().openDir(existing);
    for (const name of missing) {
      try {
        dir.mkdir(name, 0o777); // the umask applies, as for mkdir(1)
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
      dir = enterAndClose(dir, name); // closing twice does nothing, should it throw
    }
    return dir;
  } catch (error) {
    dir?.close();
    throw new UserError(`Cannot create "${target}": ${describeError(error)}`, { cause: error });
  }
}

/**
 * Throws the `UserError` {@linkcode openTarget} would throw when the part of `target` that exists cannot
 * be opened as a folder (a symlink, dangling or not, where the target or a folder above it should be);
 * writes nothing. What only making the missing folders would tell (no right to write there) is not known.
 */
export function checkTarget(target: string): void {
  try {
    platform().openDir(existingPart(target).existing).close();
  } catch (error) {
    throw new UserError(`Cannot create "${target}": ${describeError(error)}`, { cause: error });
  }
}

/** The longest part of `target` that exists (lstat: a symlink exists), and the names missing below it. */
function existingPart(target: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let existing = target;
  while (lstatOrUndefined(existing) === undefined && existing !== dirname(existing)) {
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  return { existing, missing };
}

function enterAndClose(dir: DirHandle, name: string): DirHandle {
  try {
    return dir.openDir(name);
  } finally {
    dir.close();
  }
}

/** Opens the folder `parts` (names) below `root`, one folder at a time, none followed if a symlink. */
export function openBelow(root: DirHandle, parts: readonly string[]): DirHandle {
  let dir = root.openDir(".");
  for (const name of parts) dir = enterAndClose(dir, name);
  return dir;
}

/**
 * Removes what is at `name` in `dir`, if anything is: with `recursive`, a folder with everything in it;
 * without, only an empty one.
 */
export function removeIfPresent(dir: DirHandle, name: string, recursive: boolean): void {
  try {
    if (recursive) dir.removeTree(name);
    else dir.remove(name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * A node's modification time in nanoseconds since the epoch: `mtime` milliseconds (floored, negative
 * before 1970) plus `mtimeNs` past them, which snapshots before nanoseconds were kept do not have
 * (docs/format.md#trees).
 */
export function modifiedNs(node: Pick<TreeNode, "mtime" | "mtimeNs">): bigint {
  return BigInt(Math.floor(node.mtime)) * 1_000_000n + BigInt(node.mtimeNs ?? 0);
}

/**
 * Access and modification time of a restored entry: the snapshot's modification time, to the nanosecond,
 * for both (snapshots keep no access time).
 */
export function timesOf(node: Pick<TreeNode, "mtime" | "mtimeNs">): FileTimes {
  const ns = modifiedNs(node);
  return { atimeNs: ns, mtimeNs: ns };
}

/**
 * Sets owner (when `asRoot`), mode, extended attributes and times of the folder open as `dir`, the entry
 * `node.name` of `parent`; returns why an extended attribute could not be set, one line each (the folder
 * is restored all the same).
 */
export function setFolderMetadata(
  dir: DirHandle,
  parent: DirHandle,
  node: TreeNode,
  asRoot: boolean,
): string[] {
  if (asRoot) dir.setOwner({ uid: node.uid, gid: node.gid });
  dir.setMode(node.mode);
  // Through the parent's handle: the platform sets a folder's own attributes by its path, which could have
  // been swapped for a symlink since (docs/platform.md#folder-handles).
  const problems = setXattrs(parent, node.name, node.xattrs, asRoot);
  dir.setTimes(timesOf(node)); // last, though setting an attribute changes only the change time
  return problems;
}

/**
 * Sets owner (when `asRoot`), mode (not for a symlink, which has none to set on Linux), extended
 * attributes and times of the entry `name` of `dir`, never following a symlink there; returns why an
 * extended attribute could not be set, one line each.
 */
export function setEntryMetadata(dir: DirHandle, name: string, node: TreeNode, asRoot: boolean): string[] {
  if (asRoot) dir.setOwner({ uid: node.uid, gid: node.gid }, name);
  if (node.type !== "symlink") dir.setMode(node.mode, name);
  const problems = setXattrs(dir, name, node.xattrs, asRoot);
  dir.setTimes(timesOf(node), name);
  return problems;
}

/**
 * Namespaces whose attributes only root may set (Linux): capabilities and security labels, ACLs (they
 * name users and groups, as owners do), and `trusted.*`. Without root they are left out, as owners are.
 */
const ROOT_ONLY_XATTRS = /^(security\.|system\.posix_acl_|trusted\.)/;

/**
 * Sets the extended attributes `xattrs` on the entry `name` of `dir` (the folder itself without a name),
 * after its owner (a chown clears `security.capability`) and mode. One that cannot be set is a line in
 * the result, not an error: the entry is restored without it. Without the C library nothing is set (the
 * CLI says so once: `fallbackMetadataWarning()`).
 */
export function setXattrs(
  dir: DirHandle,
  name: string | undefined,
  xattrs: TreeNode["xattrs"],
  asRoot: boolean,
): string[] {
  if (xattrs === undefined || xattrs.length === 0 || platform().kind === "fallback") return [];
  const problems: string[] = [];
  for (const { name: attribute, value } of xattrs) {
    if (!asRoot && ROOT_ONLY_XATTRS.test(attribute)) continue;
    const notSet = `extended attribute "${describePath(attribute)}" not set`;
    let decoded: { name: Uint8Array; value: Uint8Array };
    try {
      decoded = { name: pathBytes(attribute), value: Uint8Array.fromBase64(value) };
    } catch {
      // A lone surrogate that stands for no byte, or a value that is not base64: damage, or crafted.
      problems.push(`${notSet}: the snapshot holds no valid name or value for it`);
      continue;
    }
    try {
      dir.setXattr(decoded, name);
    } catch (error) {
      if (errorKind(error) === "bug") throw error;
      problems.push(`${notSet}: ${describeError(error)}`);
    }
  }
  return problems;
}

/**
 * The error to report for a failed write: a symlink met where the restore had made (or found) a folder or
 * file was put there during the restore, and is said so; likewise "not a folder" where it opened one it
 * had made or found (with O_NOFOLLOW and O_DIRECTORY, a symlink can give either). Anything else as it is.
 */
export function explainRace(error: unknown): unknown {
  if (!isPlatformError(error)) return error;
  const replaced = error.code === "ELOOP"
    ? "was replaced by a symlink during the restore"
    : error.code === "ENOTDIR"
    ? "was replaced during the restore by something that is not a folder"
    : undefined;
  if (replaced === undefined) return error;
  return new IoError(`"${error.path}" ${replaced}; not followed`, { code: error.code, cause: error });
}
