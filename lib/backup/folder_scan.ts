/**
 * Reading a folder for a backup: its entries, their lstat, and which of them the plan leaves out. The
 * walk in backup.ts does this for every folder; {@link FolderScans} does it ahead of time while the
 * repository's key is being derived (a fifth of a second of scrypt, by design), so that a backup where
 * little changed does not pay for both one after the other.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { describeError } from "../errors.ts";
import { describePath, type FolderListing, platform, type StatEntry } from "../platform/mod.ts";
import type { BackupSpec } from "./backup_spec.ts";
import { type EntryStat, entryStat } from "./entry_stat.ts";
import { ExcludeMatcher, type FolderRules } from "./excludes.ts";
import type { ScanRequest, ScanResponse } from "./_scan_worker.ts";

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
 * `packed` is the folder's listing when another thread made it (`Platform.packDir()`).
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
  packed?: Uint8Array,
): FolderScan {
  let listing: FolderListing;
  try {
    listing = packed ? platform().unpackDir(packed, path) : platform().scanDir(path);
  } catch (error) {
    return unreadable(path, describeError(error));
  }
  const folder = entryStat(listing.stat);
  if (expected && !sameFolder(folder, expected)) {
    return unreadable(path, "it was replaced by another since its parent was read");
  }
  const found: StatEntry[] = [];
  const lossy: StatEntry[] = [];
  for (const entry of listing.entries) (entry.lossyName ? lossy : found).push(entry);
  const nameSet = new Set(found.map((entry) => entry.name));
  if (matcher.excludesFolderWith(nameSet)) return { kind: "excluded" };
  // An ignore file that cannot be read is the first problem reported.
  const { rules, problems } = matcher.folderRules(path, nameSet, inherited);
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

/**
 * The sources the walk starts from, in its order and named as it names them: each once, and none inside
 * another (`/` included), which the walk reaches from the outer one with the outer one's ignore files:
 * scanned from itself, it would have none of them.
 */
function walkedSources(sources: readonly string[]): string[] {
  const paths = new Set(
    sources.map((source) => `/${source.split("/").filter((part) => part !== "").join("/")}`),
  );
  return [...paths].filter((path) => {
    if (path !== "/" && paths.has("/")) return false;
    for (let end = path.indexOf("/", 1); end > 0; end = path.indexOf("/", end + 1)) {
      if (paths.has(path.slice(0, end))) return false;
    }
    return true;
  });
}

/** How long one slice of scanning may hold the event loop, so that the key derivation proceeds. */
const SLICE_MS = 4;
/** Entries scanned ahead at most: their lstat results stay in memory until the walk takes them. */
const MAX_ENTRIES = 50_000;
/**
 * Entries the main thread must have scanned while the repository was opened, with folders left, for a
 * worker to go on: a smaller tree is read by the walk sooner than a worker starts (tens of milliseconds).
 */
const WORKER_AFTER_ENTRIES = 10_000;
/**
 * Entries a folder scanned so far must hold on average for a worker to go on. Each folder the worker reads
 * is a message there and back (80-100 µs) that the walk waits for: with folders of 15 entries (the bench
 * corpus) a no-change backup's walk took 0.3-0.4 s with the worker against 0.2 s reading them itself.
 */
const WORKER_MIN_FOLDER_ENTRIES = 64;
/** Folders the scan worker is asked for at once: one being read, one waiting, so it never idles. */
const WORKER_REQUESTS = 2;

/**
 * When folders are scanned ahead: from `from` (the start of the key derivation: reads before it, of the
 * config and key files, would wait for each slice) until `until` (the repository is open).
 */
export interface ScanWindow {
  from?: Promise<unknown>;
  until: Promise<unknown>;
}

/** A folder to scan ahead: what its parent's scan said of it, as the walk will pass it to `scanFolder()`. */
interface Pending {
  path: string;
  rules: readonly FolderRules[];
  device: number;
  info: EntryStat;
}

/**
 * Folder scans made ahead of a backup's walk, top-down and depth first from the plan's sources (the walk's
 * order). While the repository is being opened the main thread scans, in short slices. A tree that is not
 * scanned by then is a large one: when the backup asks, a worker goes on reading folders ahead of the walk
 * (with the C library: the fallback has no listing to hand over), so that the walk only compares. The
 * walk takes each scan once; without the worker it scans itself whatever is not here.
 */
export class FolderScans {
  #scans = new Map<string, FolderScan>();
  /** Entries in {@link #scans}: scanned and not taken yet. */
  #held = 0;
  #stopped = false;
  /** Folders to scan, the next one last. */
  #stack: Pending[] = [];
  /**
   * Folders the walk asked the worker for before the stack got to them: skipped when it does. (Every
   * other folder is stacked once, by its parent's scan, and scanned when it comes off the stack.)
   */
  #askedFirst = new Set<string>();
  #matcher: ExcludeMatcher;
  #oneFileSystem: boolean;
  #worker: Worker | undefined;
  /** Folders the worker is reading, and the walk's waits for them. */
  #reading = new Map<string, { pending: Pending; waiters: ((scan: FolderScan) => void)[] }>();
  /** Folders the walk waits for that the worker has not been asked for yet: they go first. */
  #urgent: Pending[] = [];
  /** Requests the worker has not answered yet. */
  #inFlight = 0;

  readonly #workerAfter: number;
  #windowOver = false;
  #workerWanted = false;

  private constructor(plan: BackupSpec, workerAfter: number) {
    this.#matcher = new ExcludeMatcher(plan);
    this.#oneFileSystem = plan.oneFileSystem;
    this.#workerAfter = workerAfter;
  }

  /**
   * Scans `plan`'s sources in short slices from when `window.from` settles (at once without it) until
   * `window.until` settles. A worker may go on after that (see {@link readAheadInWorker}) if `workerAfter`
   * entries were scanned by then and folders are left.
   */
  static start(plan: BackupSpec, window: ScanWindow, workerAfter = WORKER_AFTER_ENTRIES): FolderScans {
    const scans = new FolderScans(plan, workerAfter);
    const { from, until } = window;
    let opened = false;
    until.then(() => opened = true, () => scans.close());
    const started = from ? Promise.race([from, until]) : Promise.resolve();
    started.then(() => scans.#runWhile(plan, () => !opened)).then(() => {
      scans.#windowOver = true;
      if (scans.#workerWanted) scans.#handOverToWorker();
    }, () => scans.close());
    return scans;
  }

  /**
   * Has a worker read the rest of a large tree ahead of the walk, once the main thread stops: for a backup
   * that mostly compares (one with a parent snapshot), whose walk the system calls would slow. A first
   * backup reads every file: its workers keep the cores busy, and a scan worker would only add memory.
   */
  readAheadInWorker(): void {
    this.#workerWanted = true;
    if (this.#windowOver) this.#handOverToWorker();
  }

  /**
   * The scan of `path`, if one was made or is being made (then a promise); the walk scans the folder
   * itself when this is undefined. `inherited` and `expected` are what the walk would pass to
   * `scanFolder()`. Each scan is handed out once.
   */
  take(
    path: string,
    inherited: readonly FolderRules[],
    expected: EntryStat,
  ): FolderScan | Promise<FolderScan> | undefined {
    const scan = this.#scans.get(path);
    if (scan) {
      this.#scans.delete(path);
      if (scan.kind === "read") this.#held -= scan.entries.length;
      this.#ask();
      return scan;
    }
    if (!this.#worker) return undefined;
    return new Promise((resolve) => {
      const reading = this.#reading.get(path);
      if (reading) {
        reading.waiters.push(resolve);
        return;
      }
      const pending = { path, rules: inherited, device: expected.dev, info: expected };
      this.#reading.set(path, { pending, waiters: [resolve] });
      this.#urgent.push(pending);
      this.#ask();
    });
  }

  /** True when a folder scanned so far (and not yet taken) holds an entry that `test` picks. */
  some(test: (info: EntryStat) => boolean): boolean {
    for (const scan of this.#scans.values()) {
      if (scan.kind === "read" && scan.entries.some((entry) => test(entry.info))) return true;
    }
    return false;
  }

  /** Stops scanning and the worker. The walk is over (or never starts): nothing waits for a scan. */
  close(): void {
    this.#stopped = true;
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #runWhile(plan: BackupSpec, going: () => boolean): Promise<void> {
    for (const source of walkedSources(plan.sources).reverse()) {
      try {
        const info = entryStat(platform().lstat(source));
        if (info.type === "dir") this.#stack.push({ path: source, rules: [], device: info.dev, info });
      } catch {
        // The walk reports a missing source.
      }
    }
    while (this.#stack.length > 0 && this.#held < MAX_ENTRIES) {
      // Not setTimeout(): nested timers wait 2-4 ms each, and the scan ran a third of each slice's time.
      // An immediate leaves I/O a few slices' wait, which only the key derivation's end has meanwhile.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#stopped || !going()) return;
      const sliceEnd = performance.now() + SLICE_MS;
      while (this.#stack.length > 0 && this.#held < MAX_ENTRIES && performance.now() < sliceEnd) {
        const pending = this.#stack.pop()!;
        this.#keep(pending, scanFolder(pending.path, pending.rules, this.#matcher, pending.info));
      }
    }
  }

  /** Holds `scan` for the walk, and stacks its subfolders to be scanned next. */
  #keep(pending: Pending, scan: FolderScan): void {
    this.#scans.set(pending.path, scan);
    if (scan.kind !== "read") return;
    this.#held += scan.entries.length;
    this.#stackSubfolders(pending, scan);
  }

  #stackSubfolders(pending: Pending, scan: FolderScan & { kind: "read" }): void {
    for (let i = scan.entries.length - 1; i >= 0; i--) {
      const entry = scan.entries[i]!;
      // The walk keeps other file systems' mount points empty (one_file_system): no need to look in.
      if (entry.info.type === "dir" && !(this.#oneFileSystem && entry.info.dev !== pending.device)) {
        this.#stack.push({ path: entry.path, rules: scan.rules, device: pending.device, info: entry.info });
      }
    }
  }

  /** Once the main thread has other work: a tree not scanned by then goes on in a worker (see above). */
  #handOverToWorker(): void {
    if (
      this.#worker || this.#stopped || this.#stack.length === 0 || this.#held < this.#workerAfter ||
      this.#held < WORKER_MIN_FOLDER_ENTRIES * this.#scans.size || platform().kind !== "ffi"
    ) {
      return;
    }
    const worker = new Worker(new URL("./_scan_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<ScanResponse>) => this.#received(event.data);
    worker.onerror = (event) => {
      // Not a folder's error (those come back unpacked): the worker itself failed. The walk reads on.
      event.preventDefault();
      this.#worker = undefined;
      this.#inFlight = 0;
      worker.terminate();
      const reading = [...this.#reading.values()];
      this.#reading.clear();
      this.#urgent = [];
      for (const { pending, waiters } of reading) {
        if (waiters.length === 0) continue;
        const scan = scanFolder(pending.path, pending.rules, this.#matcher, pending.info);
        for (const resolve of waiters) resolve(scan);
      }
    };
    this.#worker = worker;
    this.#ask();
  }

  /** Asks the worker for the next folders: those the walk waits for, then the next ones scanned ahead. */
  #ask(): void {
    const worker = this.#worker;
    if (!worker || this.#stopped) return;
    while (this.#inFlight < WORKER_REQUESTS) {
      let pending = this.#urgent.shift();
      if (pending) {
        this.#askedFirst.add(pending.path);
      } else {
        if (this.#held >= MAX_ENTRIES) return;
        do pending = this.#stack.pop(); while (pending && this.#askedFirst.delete(pending.path));
        if (!pending) return;
        this.#reading.set(pending.path, { pending, waiters: [] });
      }
      this.#inFlight++;
      const request: ScanRequest = { path: pending.path };
      worker.postMessage(request);
    }
  }

  #received({ path, packed }: ScanResponse): void {
    this.#inFlight--;
    const reading = this.#reading.get(path);
    if (!reading || this.#stopped) return;
    this.#reading.delete(path);
    const { pending, waiters } = reading;
    const scan = scanFolder(path, pending.rules, this.#matcher, pending.info, packed);
    if (waiters.length === 0) {
      this.#keep(pending, scan);
    } else {
      if (scan.kind === "read") this.#stackSubfolders(pending, scan);
      for (const resolve of waiters) resolve(scan);
    }
    this.#ask();
  }
}
