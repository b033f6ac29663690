// A directory differ for round-trip tests: scans two folders and lists every difference in type, content
// (SHA-256), size, permission bits, owner, modification time (milliseconds, the precision Deno exposes), symlink
// target and hard-link grouping (which paths of the tree share one inode).

import { createHash } from "node:crypto";

/** What the differ records for one path. */
export interface ScannedEntry {
  /** Relative to the scanned root, "/"-separated; the root itself is ".". */
  path: string;
  type: "file" | "dir" | "symlink" | "fifo" | "socket" | "chardev" | "blockdev";
  /** Permission bits with setuid, setgid and sticky. */
  mode: number;
  /** Modification time in milliseconds. */
  mtime: number;
  /** Owner as "uid:gid". */
  owner: string;
  size?: number;
  sha256?: string;
  target?: string;
  /** Other paths of the tree that are hard links to the same file (sorted), when there are any. */
  linkedWith?: string[];
  /** 512-byte blocks allocated (files): lets a test check that a sparse file stayed sparse. */
  blocks?: number;
}

/** Options of {@link scanTree} and {@link diffTrees}. */
export interface ScanOptions {
  /** Compare the root folder's own mode and time too (default true). */
  root?: boolean;
  /** Leave out paths (relative) for which this returns true, and everything below them. */
  skip?: (path: string) => boolean;
}

/** Scans `root` (not following symlinks) into a map from relative path to entry. */
export function scanTree(root: string, options: ScanOptions = {}): Map<string, ScannedEntry> {
  const entries = new Map<string, ScannedEntry>();
  const inodes = new Map<string, string[]>();
  const visit = (absolute: string, path: string) => {
    const info = Deno.lstatSync(absolute);
    const entry: ScannedEntry = {
      path,
      type: typeOf(info),
      mode: (info.mode ?? 0) & 0o7777,
      mtime: info.mtime?.getTime() ?? 0,
      owner: `${info.uid}:${info.gid}`,
    };
    if (entry.type === "file") {
      entry.size = info.size;
      entry.sha256 = hashFile(absolute);
      entry.blocks = info.blocks ?? 0;
      if ((info.nlink ?? 1) > 1) {
        const key = `${info.dev}:${info.ino}`;
        const group = inodes.get(key) ?? [];
        group.push(path);
        inodes.set(key, group);
      }
    } else if (entry.type === "symlink") {
      entry.target = Deno.readLinkSync(absolute);
    }
    if (path !== "." || options.root !== false) entries.set(path, entry);
    if (entry.type === "dir") {
      const names = [...Deno.readDirSync(absolute)].map((e) => e.name).sort();
      for (const name of names) {
        const child = path === "." ? name : `${path}/${name}`;
        if (options.skip?.(child)) continue;
        visit(`${absolute}/${name}`, child);
      }
    }
  };
  visit(root, ".");
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    for (const path of group) entries.get(path)!.linkedWith = group.filter((p) => p !== path).sort();
  }
  return entries;
}

/**
 * Every difference between two folders (or scans), one line each, in path order; empty when they are
 * identical. `expected` is usually the source and `actual` the restored copy.
 */
export function diffTrees(
  expected: string | Map<string, ScannedEntry>,
  actual: string | Map<string, ScannedEntry>,
  options: ScanOptions = {},
): string[] {
  const a = typeof expected === "string" ? scanTree(expected, options) : expected;
  const b = typeof actual === "string" ? scanTree(actual, options) : actual;
  const differences: string[] = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const path of paths) {
    const left = a.get(path);
    const right = b.get(path);
    const show = JSON.stringify(path);
    if (!right) {
      differences.push(`${show}: missing (expected a ${left!.type})`);
      continue;
    }
    if (!left) {
      differences.push(`${show}: unexpected ${right.type}`);
      continue;
    }
    if (left.type !== right.type) {
      differences.push(`${show}: type ${left.type} != ${right.type}`);
      continue;
    }
    if (left.mode !== right.mode) {
      differences.push(`${show}: mode ${octal(left.mode)} != ${octal(right.mode)}`);
    }
    if (left.mtime !== right.mtime) {
      differences.push(
        `${show}: mtime ${left.mtime} (${isoTime(left.mtime)}) != ${right.mtime} (${isoTime(right.mtime)})`,
      );
    }
    if (left.owner !== right.owner) differences.push(`${show}: owner ${left.owner} != ${right.owner}`);
    if (left.size !== right.size) differences.push(`${show}: size ${left.size} != ${right.size}`);
    else if (left.sha256 !== right.sha256) differences.push(`${show}: content differs`);
    if (left.target !== right.target) {
      differences.push(`${show}: target ${JSON.stringify(left.target)} != ${JSON.stringify(right.target)}`);
    }
    const leftLinks = (left.linkedWith ?? []).join(", ");
    const rightLinks = (right.linkedWith ?? []).join(", ");
    if (leftLinks !== rightLinks) {
      differences.push(`${show}: hard links [${leftLinks}] != [${rightLinks}]`);
    }
  }
  return differences;
}

/** Throws, listing up to 40 differences, unless the two folders are identical. */
export function assertSameTree(
  expected: string | Map<string, ScannedEntry>,
  actual: string | Map<string, ScannedEntry>,
  options: ScanOptions = {},
): void {
  const differences = diffTrees(expected, actual, options);
  if (differences.length > 0) {
    const shown = differences.slice(0, 40).join("\n  ");
    const more = differences.length > 40 ? `\n  … and ${differences.length - 40} more` : "";
    throw new Error(`the trees differ in ${differences.length} ways:\n  ${shown}${more}`);
  }
}

function typeOf(info: Deno.FileInfo): ScannedEntry["type"] {
  if (info.isFile) return "file";
  if (info.isDirectory) return "dir";
  if (info.isSymlink) return "symlink";
  if (info.isFifo) return "fifo";
  if (info.isSocket) return "socket";
  if (info.isCharDevice) return "chardev";
  return "blockdev";
}

function hashFile(path: string): string {
  const hash = createHash("sha256");
  const file = Deno.openSync(path, { read: true });
  try {
    const buffer = new Uint8Array(1 << 20);
    for (;;) {
      const read = file.readSync(buffer);
      if (read === null || read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(4, "0")}`;
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? "invalid" : date.toISOString();
}
