/**
 * Recreating FIFOs and device nodes on restore. Deno has no mkfifo or mknod, so coreutils' commands of
 * those names do it; such entries are rare enough that a process each costs nothing that matters.
 *
 * @module
 */

import type { TreeNode } from "../repo/mod.ts";
import { IoError } from "../workers/mod.ts";
import { CommandError, runCommandSync } from "../run_command.ts";

/** Major and minor number of a Linux device number (glibc's gnu_dev_major/gnu_dev_minor). */
export function splitDeviceNumber(rdev: number): { major: number; minor: number } {
  const value = BigInt(rdev);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn);
  const minor = (value & 0xffn) | ((value >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * Creates the FIFO or device node `node` describes at `path`, with its mode. Throws an `IoError` with a
 * one-line reason when that is impossible (device nodes need root; the command is missing or fails).
 */
export function createSpecialFile(node: TreeNode, path: string, isRoot: boolean): void {
  const mode = `${(node.mode & 0o7777).toString(8).padStart(4, "0")}`;
  if (node.type === "fifo") {
    run("mkfifo", ["-m", mode, "--", path]);
    return;
  }
  if (node.type === "chardev" || node.type === "blockdev") {
    if (!isRoot) {
      throw new IoError(
        `Cannot create device "${path}": ${
          node.type === "chardev" ? "character" : "block"
        } devices need root`,
      );
    }
    const { major, minor } = splitDeviceNumber(node.rdev ?? 0);
    run("mknod", ["-m", mode, "--", path, node.type === "chardev" ? "c" : "b", String(major), String(minor)]);
    return;
  }
  throw new IoError(`Cannot create "${path}": ${node.type} entries cannot be created`);
}

/** Runs mkfifo or mknod; what they could not do is an `IoError` (that entry fails, the rest goes on). */
function run(command: string, args: string[]): void {
  try {
    runCommandSync({ command, args });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new IoError(error.message, { cause: error });
  }
}
