// Carrying out a restore plan: folders made as the plan walks into them, files written by the restore
// workers in parallel, symlinks, special files and hard links in order, each folder's metadata set last.
// Every write goes through a handle of the folder it is in, opened without following a symlink, so a
// folder swapped for a symlink during the restore fails its entry instead of sending writes elsewhere
// (docs/restore.md#restore-safety). How the main thread and the workers share the work:
// docs/performance.md#restore.

import { describeError } from "../errors.ts";
import type { DirHandle, FileStat, Owner } from "../platform/mod.ts";
import { errorKind, Slots } from "../workers/mod.ts";
import type { RestorePlan } from "./plan_restore.ts";
import type { RestoreEntry, RestoreProblem, RestoreResult, RestoreWarning } from "./types.ts";
import { type BlobStore, FileWriter } from "./_file_writer.ts";
import { RestorePool } from "./_restore_pool.ts";
import { removeLeftSpools } from "./_pack_spool.ts";
import { createSpecialFile } from "./special_files.ts";
import {
  explainRace,
  folderOf,
  openBelow,
  openTarget,
  removeIfPresent,
  setEntryMetadata,
  setFolderMetadata,
  setXattrs,
} from "./_target_fs.ts";
import { linkGroup } from "./link_group.ts";

/** Files handed to the workers at once: enough to keep each busy while the main thread walks trees. */
const FILES_IN_FLIGHT = 128;
/**
 * Folders walked whose files are not all written yet. Each holds its entry and a promise until then: without
 * a bound, a tree of a million folders with no plain files in them (Maildir, `.git/refs`) would be walked
 * to its end with all of them waiting.
 */
const FOLDERS_PENDING = 256;
/** Sealed bytes read from storage that is not a local folder and not yet written (see ApplyOptions). */
const BYTES_IN_FLIGHT = 64 * 1024 * 1024;
/** Bytes of remote packs a restore keeps on disk at once (see ApplyOptions.spoolBytes). */
const SPOOL_BYTES = 1024 * 1024 * 1024;
/** Remote packs downloaded into the spool at once: each is held in memory whole until it is on disk. */
const SPOOL_DOWNLOADS = 4;

/** What carrying out a restore reads from a repository: where blobs lie, the packs, the keys to open blobs. */
export interface RestoreSource extends BlobStore {
  workerKeys(): { encrypt: Uint8Array; id: Uint8Array };
}

/** Options of {@linkcode applyRestore}. */
export interface ApplyOptions {
  /** Called with each refused or failed entry as it is met (they are in the result too). */
  onProblem?: (problem: RestoreProblem) => void;
  /** Called with each thing a restored entry lacks (an extended attribute not set); in the result too. */
  onWarning?: (warning: RestoreWarning) => void;
  /** Called with each file, link or special file once written, and the bytes written for it (progress). */
  onProgress?: (entry: RestoreEntry, bytes: number) => void;
  /** Restore workers (default: one per core). */
  workers?: number;
  /**
   * Where packs are not files on this machine, how many sealed bytes may have been read and wait to be
   * written at once (default 64 MiB); a larger file goes in parts of a quarter of that.
   */
  bytesInFlight?: number;
  /**
   * Where packs are not files on this machine, each is downloaded whole, once, into a folder in the target
   * (`.kept-restore-spool-*`, removed at the end) that holds at most this many bytes of them (default 1 GiB;
   * packs being read stay beyond it). 0: read ranges of packs as files need them, with no disk beyond the
   * restored files, but downloading packs again as files come back to them.
   */
  spoolBytes?: number;
}

/**
 * Carries out `plan`: creates the target, then walks the plan once, writing each entry as it is decided.
 * Refused entries, and entries that fail (damaged data, a file system that refuses), are reported in the
 * result and through `onProblem`; the rest is restored. Throws a `UserError` when the target cannot be
 * created, and rethrows a bug (in this thread or a worker's) as soon as it is met.
 */
export async function applyRestore(
  plan: RestorePlan,
  source: RestoreSource,
  options: ApplyOptions = {},
): Promise<RestoreResult> {
  const root = openTarget(plan.target);
  // A restore that was killed left its spool of packs behind: this one, into the same target, cleans up.
  await removeLeftSpools(plan.target);
  const keys = source.workerKeys();
  const pool = new RestorePool({
    workers: options.workers ?? navigator.hardwareConcurrency ?? 2,
    encryptKey: keys.encrypt,
    idKey: keys.id,
  });
  const spoolBytes = options.spoolBytes ?? SPOOL_BYTES;
  const files = new FileWriter(
    pool,
    source,
    options.bytesInFlight ?? BYTES_IN_FLIGHT,
    spoolBytes > 0 ? { parent: plan.target, maxBytes: spoolBytes, downloads: SPOOL_DOWNLOADS } : undefined,
  );
  const applier = new Applier(plan, root, files, options);
  try {
    return await applier.run();
  } finally {
    await pool.close(); // first: a worker must not use a folder's descriptor once it is closed
    applier.closeFolders();
    await files.close();
  }
}

/** A folder the walk is in, or has left while what was handed out in it is still being written. */
class Folder {
  /** Its plan entry; undefined for the target itself. */
  readonly entry: RestoreEntry | undefined;
  readonly path: string;
  /** Made by this restore: nothing can be in the way of its entries. */
  readonly fresh: boolean;
  /**
   * Made by this restore: its owner and group, which every file made in it gets (see `#writeFile`).
   * Undefined for a folder that was there.
   */
  readonly owner: Owner | undefined;
  /**
   * The folder, open until its metadata is set: everything in it is written through this handle. Undefined
   * when it could not be made or opened: what the plan lists below it is dropped (the folder is reported).
   */
  readonly handle: DirHandle | undefined;
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(
    path: string,
    entry: RestoreEntry | undefined,
    options: { fresh: boolean; handle?: DirHandle; owner?: Owner },
  ) {
    this.path = path;
    this.entry = entry;
    this.fresh = options.fresh;
    this.handle = options.handle;
    this.owner = options.owner;
  }

  get failed(): boolean {
    return this.handle === undefined;
  }

  /** Counts one more piece of work as running in this folder. */
  enter(): void {
    this.#running++;
  }

  /** Counts a piece of work as done. */
  leave(): void {
    if (--this.#running === 0) { for (const wake of this.#waiting.splice(0)) wake(); }
  }

  /** Settles once nothing handed out in this folder is running. */
  idle(): Promise<void> {
    return this.#running === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** One run of {@linkcode applyRestore}. */
class Applier {
  readonly #result: RestoreResult;
  readonly #plan: RestorePlan;
  readonly #root: DirHandle;
  readonly #files: FileWriter;
  readonly #on: Pick<ApplyOptions, "onProblem" | "onWarning" | "onProgress">;
  readonly #fileSlots = new Slots(FILES_IN_FLIGHT);
  readonly #folderSlots = new Slots(FOLDERS_PENDING);
  /** The first file restored of each hard-link group (device:inode), by its path in the snapshot. */
  readonly #hardLinks = new Map<string, string>();
  /** The target, then each folder the walk is in, innermost last. */
  readonly #open: Folder[];
  /** The first bug met: the restore stops with it. */
  #bug: { error: unknown } | undefined;

  constructor(
    plan: RestorePlan,
    root: DirHandle,
    files: FileWriter,
    on: Pick<ApplyOptions, "onProblem" | "onWarning" | "onProgress">,
  ) {
    this.#plan = plan;
    this.#root = root;
    this.#files = files;
    this.#on = on;
    this.#result = {
      target: plan.target,
      files: 0,
      dirs: 0,
      bytes: 0,
      skipped: 0,
      replaced: 0,
      problems: [],
      warnings: [],
    };
    this.#open = [new Folder(plan.target, undefined, { fresh: false, handle: root })];
  }

  async run(): Promise<RestoreResult> {
    for await (const entry of this.#plan) {
      this.#stopOnBug();
      if (entry.action === "refuse" || entry.action === "fail") this.#problem(entry as RestoreProblem);
      else if (entry.action !== "omit") await this.#apply(entry);
    }
    while (this.#open.length > 1) await this.#leave();
    await this.#open[0]!.idle();
    this.#stopOnBug();
    return this.#result;
  }

  /** Closes the folders the walk is in, the target included: all but the target when it ends normally. */
  closeFolders(): void {
    for (const folder of this.#open.splice(0).reverse()) folder.handle?.close();
  }

  async #apply(entry: RestoreEntry): Promise<void> {
    const target = entry.target;
    if (target === undefined) throw new Error(`The restore plan has no target for "${entry.path}"`);
    const parent = this.#open.at(-1)!.path === folderOf(target)
      ? this.#open.at(-1)!
      : await this.#folderOf(target, entry.path);
    if (parent.failed) {
      // Nothing goes below a folder that could not be made; its subfolders are entered as failed too, so
      // that the entries below them still find their folder (and are left out with it).
      if (entry.node.type === "dir") this.#open.push(new Folder(target, entry, { fresh: false }));
      return;
    }
    if (entry.node.type === "dir") return await this.#enter(entry, target, parent);
    if (entry.action === "skip") return this.#skip(entry);
    // Where the file system ignores case, `d` may be the folder `D` whose files are still being written, and
    // putting a symlink in its place first would send those writes where the link points: what is in the
    // way is removed only once everything handed out before it in its folder is done.
    if (entry.action === "replace") await parent.idle();
    if (entry.node.type === "file" && linkGroup(entry.node) === undefined) {
      // Plain files go in parallel; links, special files and hard-link groups in order (a link needs its
      // first path).
      const waiting = this.#fileSlots.acquire();
      if (waiting) await waiting;
      void this.#run(parent, entry, () => this.#writeFile(entry, parent), this.#fileSlots);
    } else if (entry.node.type === "file") {
      await this.#run(parent, entry, () => this.#writeFile(entry, parent));
    } else {
      await this.#run(parent, entry, () => this.#writeOther(entry, parent.handle!));
    }
  }

  /** The open folder `target` goes in: the folders the walk has left are closed first. */
  async #folderOf(target: string, path: string): Promise<Folder> {
    const folder = folderOf(target);
    while (this.#open.length > 1 && this.#open.at(-1)!.path !== folder) await this.#leave();
    const parent = this.#open.at(-1)!;
    if (parent.path !== folder) {
      throw new Error(`The restore plan lists "${path}" outside the folder it walks`);
    }
    return parent;
  }

  /** Makes (or replaces) a folder, opens it and walks into it. */
  async #enter(entry: RestoreEntry, target: string, parent: Folder): Promise<void> {
    const dir = parent.handle!;
    const name = entry.node.name;
    const fresh = entry.action !== "skip";
    let handle: DirHandle | undefined;
    let owner: Owner | undefined;
    if (entry.action === "replace") await parent.idle(); // see #apply
    await this.#run(parent, entry, () => {
      if (entry.action === "replace") removeIfPresent(dir, name, true);
      if (fresh) dir.mkdir(name, 0o700);
      else if (!this.#plan.asRoot) openToOwner(dir, name);
      const opened = dir.openDir(name); // fails, never follows, if a symlink took the folder's place
      try {
        if (fresh) {
          const { uid, gid } = opened.lstat();
          owner = { uid, gid };
        }
      } catch (error) {
        opened.close();
        throw error;
      }
      handle = opened;
      if (entry.action === "replace") this.#result.replaced++;
    });
    this.#open.push(
      new Folder(target, entry, { fresh, ...(handle ? { handle } : {}), ...(owner ? { owner } : {}) }),
    );
  }

  /** Leaves the innermost folder; its metadata is set once everything handed out in it is written. */
  async #leave(): Promise<void> {
    const folder = this.#open.pop()!;
    if (folder.failed || !folder.entry) return;
    const entry = folder.entry;
    // Walked: it now waits only for work already handed out, so holding the walk here cannot deadlock.
    const waiting = this.#folderSlots.acquire();
    if (waiting) await waiting;
    const parent = this.#open.at(-1)!; // open until this is done: it waits for what runs in it
    void this.#run(parent, entry, async () => {
      await folder.idle();
      try {
        // Last: writing the entries changed its time.
        this.#warn(entry, setFolderMetadata(folder.handle!, parent.handle!, entry.node, this.#plan.asRoot));
      } finally {
        folder.handle!.close();
      }
      this.#result.dirs++;
    }, this.#folderSlots);
  }

  #skip(entry: RestoreEntry): void {
    this.#result.skipped++;
    const key = linkGroup(entry.node);
    if (key !== undefined && !this.#hardLinks.has(key)) this.#hardLinks.set(key, entry.path);
  }

  async #writeFile(entry: RestoreEntry, parent: Folder): Promise<void> {
    const { node } = entry;
    const dir = parent.handle!;
    if (entry.action === "replace") removeIfPresent(dir, node.name, true);
    const key = linkGroup(entry.node);
    const linkedTo = key === undefined ? undefined : this.#hardLinks.get(key);
    if (linkedTo !== undefined) {
      this.#link(linkedTo, dir, node.name);
      return this.#written(entry, 0);
    }
    if (entry.partial === undefined) {
      throw new Error(`The restore plan has no partial name for "${entry.path}"`);
    }
    const partial = entry.partial.slice(entry.partial.lastIndexOf("/") + 1);
    // An interrupted earlier run may have left its partial copy.
    if (!parent.fresh) removeIfPresent(dir, partial, false);
    // A file made in a folder this restore made gets that folder's owner and group: the creator's, or with
    // a setgid folder (or a `grpid` mount), the group of the folder it was made in, which the new folder
    // got the same way, setgid bit included. Only then is the chown skipped: a root:root file made in a
    // setgid folder belongs to the folder's group, and must not stay so.
    const owner = parent.owner;
    const chown = this.#plan.asRoot && !(owner && owner.uid === node.uid && owner.gid === node.gid);
    const { mode, mtime, mtimeNs } = node;
    const bytes = await this.#files.write({
      dir,
      partial,
      name: node.name,
      content: node.content ?? [],
      finish: {
        mode,
        mtime,
        ...(mtimeNs !== undefined ? { mtimeNs } : {}),
        ...(chown ? { owner: { uid: node.uid, gid: node.gid } } : {}),
      },
    });
    // Here rather than in the worker, so that one that fails is this entry's warning; through the folder's
    // handle, never following a symlink, and without changing the times the worker set.
    this.#warn(entry, setXattrs(dir, node.name, node.xattrs, this.#plan.asRoot));
    if (key !== undefined) this.#hardLinks.set(key, entry.path);
    this.#written(entry, bytes); // counted after the await: files written at once must not lose each other's count
  }

  /**
   * Links `name` in `dir` to the file restored first at `path` (its path in the snapshot), whose folder is
   * opened again from the target, one folder at a time, unless the walk is still in it.
   */
  #link(path: string, dir: DirHandle, name: string): void {
    const parts = path.split("/").slice(1);
    const firstName = parts.pop()!;
    const folderPath = `${this.#plan.target}${folderOf(path)}`;
    const open = this.#open.find((folder) => folder.path === folderPath)?.handle;
    const from = open ?? openBelow(this.#root, parts);
    try {
      dir.link(from, firstName, name);
    } finally {
      if (from !== open) from.close();
    }
  }

  /** Writes a symlink, FIFO or device node. */
  #writeOther(entry: RestoreEntry, dir: DirHandle): void {
    const { node } = entry;
    const asRoot = this.#plan.asRoot;
    if (entry.action === "replace") removeIfPresent(dir, node.name, true);
    // The target may carry bytes that are not UTF-8 as escapes: the platform writes those bytes back.
    if (node.type === "symlink") dir.symlink(node.target ?? "", node.name);
    else createSpecialFile(node, dir, node.name, asRoot);
    this.#warn(entry, setEntryMetadata(dir, node.name, node, asRoot));
    this.#written(entry, 0);
  }

  #written(entry: RestoreEntry, bytes: number): void {
    this.#result.files++;
    this.#result.bytes += bytes;
    if (entry.action === "replace") this.#result.replaced++;
    this.#on.onProgress?.(entry, bytes);
  }

  /**
   * Runs one entry's work, counted as running in `folder`; resolves with whether it succeeded, and then
   * gives back the slot it holds in `slots`, if any. A failure is a problem of that entry; a bug stops the
   * restore.
   */
  #run(
    folder: Folder,
    entry: RestoreEntry,
    work: () => Promise<void> | void,
    slots?: Slots,
  ): Promise<boolean> {
    let running: Promise<void>;
    try {
      running = Promise.resolve(work());
    } catch (error) {
      running = Promise.reject(error);
    }
    folder.enter();
    // One promise and two callbacks: what each file in flight holds until its worker answers.
    return running.then(() => {
      slots?.release();
      folder.leave();
      return true;
    }, (thrown) => {
      slots?.release();
      folder.leave();
      const error = explainRace(thrown);
      const kind = errorKind(error);
      if (kind === "bug") this.#bug ??= { error };
      else this.#problem({ ...entry, action: "fail", error: { kind, message: describeError(error) } });
      return false;
    });
  }

  #problem(problem: RestoreProblem): void {
    this.#result.problems.push(problem);
    this.#on.onProblem?.(problem);
  }

  #warn(entry: RestoreEntry, messages: readonly string[]): void {
    for (const message of messages) {
      const warning = { path: entry.path, message };
      this.#result.warnings.push(warning);
      this.#on.onWarning?.(warning);
    }
  }

  #stopOnBug(): void {
    if (this.#bug) throw this.#bug.error;
  }
}

/**
 * Gives the owner read, write and search rights on the folder `name` of `dir` where it is the caller's and
 * lacks them: a restore run again finds the folders it made with the snapshot's modes (0555, 0000), and as
 * another user than root could neither look in nor write in them. Its mode is set to the snapshot's again
 * once its entries are written. A folder of someone else's (or a symlink) is left as it is.
 */
function openToOwner(dir: DirHandle, name: string): void {
  let info: FileStat;
  try {
    info = dir.lstat(name);
  } catch {
    return; // opening it says what is wrong
  }
  if (info.type === "dir" && info.uid === Deno.uid() && (info.mode & 0o700) !== 0o700) {
    dir.setMode((info.mode & 0o7777) | 0o700, name);
  }
}
