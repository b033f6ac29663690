// The file-system calls a restore makes on its target: looking at what is there, removing what is in the way,
// setting metadata.

import * as fs from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { describeError, UserError } from "../errors.ts";
import type { TreeNode } from "../repo/mod.ts";
import { IoError } from "../workers/mod.ts";
import { CommandError, runCommandSync } from "../run_command.ts";

/**
 * The target folder as an absolute path without symlinks, and whether it exists. It need not: the part
 * that is missing is resolved below the part that exists. Throws a `UserError` when it is not a folder.
 */
export function resolveTarget(target: string): { path: string; exists: boolean } {
  const missing: string[] = [];
  let existing = resolve(target);
  for (;;) {
    let real: string;
    try {
      real = Deno.realPathSync(existing);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || existing === dirname(existing)) {
        throw new UserError(`Cannot restore into "${target}": ${describeError(error)}`, { cause: error });
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

/** What is at `path` (not following a symlink), or undefined when nothing is. */
export function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Removes what is at `path` (a folder with everything in it when `recursive`), if anything is. */
export function removeIfPresent(path: string, recursive: boolean): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** The folder a path is in. */
export function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** True when `info` is a FIFO or device of the type `node` is. */
export function sameSpecialType(info: Deno.FileInfo, node: TreeNode): boolean {
  return node.type === "fifo"
    ? info.isFifo === true
    : node.type === "chardev"
    ? info.isCharDevice === true
    : node.type === "blockdev"
    ? info.isBlockDevice === true
    : false;
}

/** Sets owner (when `asRoot`), mode and times of a folder, FIFO or device node. */
export async function applyMetadata(node: TreeNode, path: string, asRoot: boolean): Promise<void> {
  if (asRoot) await Deno.chown(path, node.uid, node.gid);
  await Deno.chmod(path, node.mode);
  await Deno.utime(path, node.mtime / 1000, node.mtime / 1000);
}

/** Sets a symlink's owner (when `asRoot`) and its own modification time (and access time). */
export function applySymlinkMetadata(node: TreeNode, path: string, asRoot: boolean): void {
  if (asRoot) fs.lchownSync(path, node.uid, node.gid);
  const ms = node.mtime;
  if (ms >= 0) {
    fs.lutimesSync(path, ms / 1000, ms / 1000);
    return;
  }
  // node:fs silently turns times before 1970 into "now" and Deno has no lutime: let touch(1) do it.
  const abs = Math.abs(ms);
  const seconds = `-${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, "0")}`;
  try {
    runCommandSync({ command: "touch", args: ["-h", "-d", `@${seconds}`, "--", path] });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const when = new Date(ms).toISOString();
    throw new IoError(`Cannot set the time of symlink "${path}" to ${when}: ${error.message}`, {
      cause: error,
    });
  }
}
