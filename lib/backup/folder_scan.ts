/**
 * Reading a folder for a backup: its entries, their lstat, and which of them the plan leaves out. The
 * walk in backup.ts does this for every folder; {@link FolderScans} does it ahead of time while the
 * repository's key is being derived (a fifth of a second of scrypt, by design), so that a backup where
 * little changed does not pay for both one after the other.
 *
 * @module
 */

import { describeError } from "../errors.ts";
import { describePath, type FolderListing, platform, type StatEntry } from "../platform/mod.ts";
import type { BackupSpec } from "./backup_spec.ts";
import { type EntryStat, entryStat } from "./entry_stat.ts";
import { ExcludeMatcher, type FolderRules } from "./excludes.ts";

/** One entry of a folder that the plan keeps. */
export interface ScannedEntry {
  /** The name, with bytes that are not UTF-8 escaped (`nameText()`); `path` likewise. */
  name: string;
  path: string;
  info: EntryStat;
}

/** What reading one folder found. Problems are reported by the walk, once, as it uses the scan. */
export type FolderScan =
  | { kind: "unreadable"; problem: string }
  /** exclude_if_present: the whole folder is left out. */
  | { kind: "excluded" }
  | {
    kind: "read";
    entries: ScannedEntry[];
    rules: readonly FolderRules[];
    problems: string[];
    /** The folder as it was read (the automount's root, where one was mounted): workers check it. */
    folder: FolderIdentity;
  };

/** Which folder a path named when it was read: a worker opening it again must find the same one. */
export interface FolderIdentity {
  dev: number;
  ino: number;
}

/**
 * Reads a folder: entries not excluded, with their lstat; `inherited` are its ancestors' ignore files.
 * `expected` is what the walk's lstat of the folder saw: a folder that is another one of the same file
 * system by now (replaced, or a folder on its path swapped for a symlink) is not read, and a symlink in
 * its place is not followed.
 * Names that are not valid UTF-8 are read as bytes and kept escaped (docs/format.md#names); the fallback
 * platform cannot name them, so it reports them as problems and leaves them out.
 */
export function scanFolder(
  path: string,
  inherited: readonly FolderRules[],
  matcher: ExcludeMatcher,
  expected?: EntryStat,
): FolderScan {
  let listing: FolderListing;
  try {
    listing = platform().scanDir(path);
  } catch (error) {
    return unreadable(path, describeError(error));
  }
  const folder = entryStat(listing.stat);
  if (expected && !sameFolder(folder, expected)) {
    return unreadable(path, "it was replaced by another since its parent was read");
  }
  const problems: string[] = [];
  const found: StatEntry[] = [];
  const lossy: StatEntry[] = [];
  for (const entry of listing.entries) (entry.lossyName ? lossy : found).push(entry);
  const nameSet = new Set(found.map((entry) => entry.name));
  if (matcher.excludesFolderWith(nameSet)) return { kind: "excluded" };
  const rules = matcher.folderRules(path, nameSet, inherited);
  for (const entry of lossy) {
    const childPath = childOf(path, entry.name);
    if (!matcher.isExcluded(childPath, entry.type === "dir", rules)) {
      problems.push(`${describePath(childPath)}: ${LOSSY_NAME}`);
    }
  }
  const entries: ScannedEntry[] = [];
  for (const { name, stat: info, error } of found) {
    const childPath = childOf(path, name);
    if (info === undefined) {
      problems.push(`${describePath(childPath)}: cannot read: ${describeError(error)}`);
      continue;
    }
    if (matcher.isExcluded(childPath, info.type === "dir", rules)) continue;
    if (info.type === "file" && matcher.isTooLarge(info.size)) continue;
    entries.push({ name, path: childPath, info });
  }
  return { kind: "read", entries, rules, problems, folder: { dev: folder.dev, ino: folder.ino } };
}

function unreadable(path: string, why: string): FolderScan {
  return { kind: "unreadable", problem: `${describePath(path)}: cannot read folder: ${why}` };
}

/**
 * True unless `now` is another folder than the one `expected` was lstat of: another inode on the same
 * device. Another device is let through: an automount trigger (what lstat saw, without mounting it) mounts
 * when opened, and the folder read is then the root of what it mounted.
 */
function sameFolder(now: EntryStat, expected: EntryStat): boolean {
  return now.type === "dir" && (now.dev !== expected.dev || now.ino === expected.ino);
}

/** Why the fallback platform leaves an entry out (its name reads with U+FFFD in place of bytes). */
const LOSSY_NAME =
  "skipped: the name is not valid UTF-8, which Deno's file API cannot read (grant --allow-ffi)";

function childOf(path: string, name: string): string {
  return path === "/" ? `/${name}` : `${path}/${name}`;
}

/** How long one slice of scanning may hold the event loop, so that the key derivation proceeds. */
const SLICE_MS = 4;
/** Entries scanned ahead at most: their lstat results stay in memory until the walk takes them. */
const MAX_ENTRIES = 50_000;

/**
 * Folder scans made ahead of a backup, top-down from the plan's sources, until `until` settles. The walk
 * takes each scan once (and scans itself whatever is not here), so a scan is never used twice.
 */
export class FolderScans {
  #scans = new Map<string, FolderScan>();
  #stopped = false;

  private constructor() {}

  /** Starts scanning `plan`'s sources in short slices; stops when `until` settles. */
  static start(plan: BackupSpec, until: Promise<unknown>): FolderScans {
    const scans = new FolderScans();
    const stop = () => scans.#stopped = true;
    until.then(stop, stop);
    scans.#run(plan).catch(stop);
    return scans;
  }

  /** The scan of `path`, if one was made; it is handed out once. */
  take(path: string): FolderScan | undefined {
    const scan = this.#scans.get(path);
    this.#scans.delete(path);
    return scan;
  }

  /** True when a folder scanned so far (and not yet taken) holds an entry that `test` picks. */
  some(test: (info: EntryStat) => boolean): boolean {
    for (const scan of this.#scans.values()) {
      if (scan.kind === "read" && scan.entries.some((entry) => test(entry.info))) return true;
    }
    return false;
  }

  async #run(plan: BackupSpec): Promise<void> {
    const matcher = new ExcludeMatcher(plan);
    const queue: { path: string; rules: readonly FolderRules[]; device: number; info: EntryStat }[] = [];
    for (const source of plan.sources) {
      try {
        const info = entryStat(platform().lstat(source));
        if (info.type === "dir") queue.push({ path: source, rules: [], device: info.dev, info });
      } catch {
        // The walk reports a missing source.
      }
    }
    let entries = 0;
    for (let next = 0; next < queue.length && entries < MAX_ENTRIES;) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const sliceEnd = performance.now() + SLICE_MS;
      while (!this.#stopped && next < queue.length && entries < MAX_ENTRIES && performance.now() < sliceEnd) {
        const { path, rules, device, info } = queue[next++]!;
        const scan = scanFolder(path, rules, matcher, info);
        this.#scans.set(path, scan);
        if (scan.kind !== "read") continue;
        entries += scan.entries.length;
        for (const entry of scan.entries) {
          // The walk keeps other file systems' mount points empty (one_file_system): no need to look in.
          if (entry.info.type === "dir" && !(plan.oneFileSystem && entry.info.dev !== device)) {
            queue.push({ path: entry.path, rules: scan.rules, device, info: entry.info });
          }
        }
      }
      if (this.#stopped) return;
    }
  }
}
