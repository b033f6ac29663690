/**
 * Backs up a plan's sources into a repository: walk (with excludes), reuse unchanged files from the
 * parent snapshot, chunk and store changed files on all cores, write trees, index, then the snapshot.
 *
 * @module
 */

import { join } from "node:path";
import { describeError } from "../errors.ts";
import { DEFAULT_COMPRESSION_LEVEL, type PackSink } from "../repo/mod.ts";
import { toHex } from "../crypto/mod.ts";
import type { Repository, SnapshotEntry } from "../repo/mod.ts";
import {
  asBlobId,
  type BlobId,
  emptySnapshotStats,
  type NodeType,
  type NodeXattr,
  type Snapshot,
  type SnapshotStats,
  type Tree,
  type TreeNode,
} from "../repo/mod.ts";
import { VERSION } from "../version.ts";
import { describePath, groupName, nameText, platform, userName } from "../platform/mod.ts";
import { type ChunkedFile, ChunkPool, FileReadError, type FileToRead } from "./_chunk_pool.ts";
import type { ChunkHints } from "./_chunk_protocol.ts";
import type { BackupSpec } from "./backup_spec.ts";
import { type EntryStat, lstatEntry } from "./entry_stat.ts";
import { readXattrs } from "./xattrs.ts";
import { ExcludeMatcher, type FolderRules, LEFT_OUT } from "./excludes.ts";
import {
  type FolderIdentity,
  type FolderScan,
  type FolderScans,
  scanFolder,
  type ScannedEntry,
} from "./folder_scan.ts";
import { hasExactTimes, isUnchanged, writtenSince } from "./file_changed.ts";
import { Slots } from "../workers/mod.ts";
import { compareText } from "../compare_text.ts";

/** Options of {@link backup}. */
export interface BackupOptions {
  plan: BackupSpec;
  destination: string;
  host: string;
  username: string;
  /** When the backup started: the snapshot's time, unless {@link time} is given. */
  now: Date;
  /**
   * Records the snapshot under this time instead (`kept backup --time`): the parent is then the newest
   * snapshot not after it, and `now` is recorded beside it as `started`, for the next backup's change
   * detection (see {@link parentScanStart}).
   */
  time?: Date | undefined;
  /** Scan and compare only: read no file content, write nothing. */
  dryRun?: boolean;
  /** Chunking workers (default: the number of cores). */
  workers?: number;
  /** Folders already read, by {@link FolderScans.start} while the repository was being opened. */
  scans?: FolderScans;
  /** Called for every file or folder that is skipped or changed while read. */
  onWarning?: (message: string) => void;
  /**
   * Receives, once the backup has started storing, a function that writes the index of every pack stored so
   * far: an interrupted backup calls it, so that the next one reuses that data (docs/format.md#write-order).
   */
  onCheckpoint?: (checkpoint: () => Promise<void>) => void;
  /** Hears each file that is read (or, in a dry run, would be): new, or changed since the parent snapshot. */
  onFile?: (path: string, change: FileChange) => void;
  /**
   * Receives, as the walk starts, the counts the backup keeps up to date while it runs. They are not
   * pushed: the caller reads them when it likes (a progress line, 4 times a second), so a million files
   * cost a few additions each and no call.
   */
  watchProgress?: (progress: BackupProgress) => void;
}

/** How far a backup has got (see {@link BackupOptions.watchProgress}). Sizes are as scanned. */
export interface BackupProgress {
  /** Regular files the walk has met so far, unchanged ones included, and their size: growing totals. */
  readonly filesSeen: number;
  readonly bytesSeen: number;
  /** Files unchanged since the parent snapshot (done once decided), stored, or found unreadable. */
  readonly filesDone: number;
  readonly bytesDone: number;
  /** The walk has met every entry: the totals are final. */
  readonly walked: boolean;
  /**
   * The file being read: the oldest of those handed to the workers and not yet stored (workers take files
   * in batches, in the order they are handed out, so it is the one holding the others up). Undefined
   * while none is, and in a dry run.
   */
  readonly current: string | undefined;
}

/** {@link BackupProgress} as the walk updates it. */
class WalkProgress implements BackupProgress {
  filesSeen = 0;
  bytesSeen = 0;
  filesDone = 0;
  walked = false;
  /** Bytes of the files done. */
  #bytesFinished = 0;
  /**
   * Bytes of new blobs stored from files not yet done: a large file counts as it is read, not only once
   * it is done (a line of "692 B of 900 MiB, ETA 296:32:31" while three large files were read). Not told
   * apart by file: a file done takes its size off, so the sum never runs ahead of the files read.
   */
  #bytesStreamed = 0;

  get bytesDone(): number {
    // A file that grew while it was read must not take the count past what the walk saw.
    return Math.min(this.#bytesFinished + this.#bytesStreamed, this.bytesSeen);
  }
  /** Files being read by the order they were handed out: no more than are in flight (512). */
  readonly #reading = new Map<number, string>();
  #handedOut = 0;

  get current(): string | undefined {
    for (const path of this.#reading.values()) return path;
    return undefined;
  }

  /** Counts a regular file the walk met, of `size` bytes as scanned. */
  seen(size: number): void {
    this.filesSeen++;
    this.bytesSeen += size;
  }

  /** Counts a file done without being read (unchanged, or a dry run). */
  done(size: number): void {
    this.filesDone++;
    this.#bytesFinished += size;
  }

  /** Counts the plain bytes of new blobs of files being read. */
  streamed(bytes: number): void {
    this.#bytesStreamed += bytes;
  }

  /** Counts a file handed to the workers; returns the number {@link stored} takes. */
  reading(path: string): number {
    this.#reading.set(this.#handedOut, path);
    return this.#handedOut++;
  }

  /** Counts a file stored (or found unreadable): `number` is what {@link reading} gave, `size` as scanned. */
  stored(number: number, size: number): void {
    this.#reading.delete(number);
    this.#bytesStreamed -= Math.min(this.#bytesStreamed, size);
    this.done(size);
  }
}

/** Why a file is read: it is not in the parent snapshot, or it changed since. */
export type FileChange = "new" | "changed";

/** What a backup did. `snapshotId` is absent for dry runs. */
export interface BackupResult {
  snapshotId?: string;
  parentId?: string;
  stats: SnapshotStats;
  warnings: string[];
  /** Temporary files of interrupted earlier writes that this backup removed (see {@link LEFTOVER_AGE_MS}). */
  removedLeftovers?: { files: number; bytes: number };
  /** Why removing them failed: the snapshot is saved all the same. */
  leftoversError?: string;
}

/**
 * A backup killed while it writes leaves a temporary file (up to a pack, 16 MiB) in the repository; the
 * next backup removes those not written to for this long. Without the repository's lock (roadmap) one may
 * belong to a backup still running, whose open pack grows with every MiB of new data it finds. One that
 * finds none for a whole day would lose its open pack: its commit, and so that backup, then fails, and
 * nothing already stored is lost.
 */
export const LEFTOVER_AGE_MS = 24 * 3600_000;

interface WalkContext {
  matcher: ExcludeMatcher;
  plan: BackupSpec;
  stats: SnapshotStats;
  warn: (message: string) => void;
  /** Hears each file that is read: new, or changed since the parent snapshot (`backup -v`). */
  onFile?: ((path: string, change: FileChange) => void) | undefined;
  /** Stores a file's content, then calls `done` or `failed` (undefined in a dry run). */
  chunk?: (
    file: FileToRead,
    previous: readonly string[] | undefined,
    done: (file: ChunkedFile) => void,
    failed: (error: Error) => void,
  ) => void;
  /** Stores a tree and returns its id (a dry run only computes the id). */
  saveTree: (tree: Tree) => Promise<BlobId>;
  loadTree: (id: BlobId) => Promise<Tree | undefined>;
  hasBlob: (id: string) => boolean;
  /** Content of hard-linked files already read in this run, by device:inode. */
  hardLinks: Map<string, Promise<ChunkedFile | undefined>>;
  /** When the parent snapshot's backup started (ms), for {@link isUnchanged}. */
  parentTime: number | undefined;
  /** The platform reads nanosecond times and extended attributes (FFI), not Deno's API (the fallback). */
  exact: boolean;
  /** The parent snapshot says its times are exact (`Snapshot.exactTimes`), even on whole seconds. */
  parentExact: boolean;
  /** The plan's sources as a trie: a walk that meets a mount point looks there for sources on it. */
  sources: SourceTrie;
  /** Reports a problem with a file that is still backed up (not counted as skipped). */
  notice: (message: string) => void;
  /** Bounds the files being read at once, so the walk never runs far ahead of the workers. */
  slots: Slots;
  /** Folders read ahead of the walk (see folder_scan.ts). */
  scans?: FolderScans;
  /** Entries of the folders scanned and not yet stored: bounds how many new folders are open at once. */
  openEntries: number;
  /** Folders waiting for the scan a worker makes (their entries are not in `openEntries` yet). */
  scansAwaited: number;
  progress: WalkProgress;
  /** Folders and sources being handed out: none once the walk has met every entry (see {@link walkEnds}). */
  handingOut: number;
  /** Subfolders whose hand-out has begun on the current call stack and not yet awaited anything. */
  stackedFolders: number;
  /** A source lies inside another: the walk reaches it from the outer one (see {@link withNestedSources}). */
  nestedSources: boolean;
}

/** Files in flight between the walk and the workers: enough to keep both cores busy, no more. */
const FILES_IN_FLIGHT = 512;

/**
 * New folders start alongside their siblings only while the folders open (scanned, tree not yet stored)
 * hold fewer entries than this; past it they are walked depth first like the parent's. Without a bound a
 * tree of new folders was held whole until its last file was read: 3 GiB for a million small files.
 */
const OPEN_ENTRIES = 4096;

/**
 * A folder is handed out on its parent's call stack until something awaits (so is each folder on the way
 * to a source): a tree ~1,300 folders deep overflowed the stack. Past this many levels on one stack a
 * folder goes on from a fresh one.
 */
const STACKED_FOLDERS = 64;

/**
 * Runs one backup of `options.plan` into `repository`. Unreadable files are reported and skipped. Long
 * because it is the backup's one sequence, each step a call (index and parent, the walk's context as one
 * object, the walk, the packs' end, the snapshot), with the cleanup that must wrap the walk.
 */
export async function backup(repository: Repository, options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  // Trees are read blob by blob: after a few backups a snapshot's trees lie in many small packs, and
  // caching whole packs read them again and again (and held them: 330 instead of 215 MiB).
  repository.cachePacks(0);
  // Both at once: on remote storage each starts with a listing, a round trip.
  const [, parent] = await Promise.all([repository.loadIndex(), findParent(repository, options)]);
  if (parent) options.scans?.readAheadInWorker();
  const parentTime = parent ? parentScanStart(parent.snapshot) : undefined;
  const stats = emptySnapshotStats();
  const sink = repository.packSink();
  if (!options.dryRun) options.onCheckpoint?.(() => sink.checkpoint());
  // Started with the first file that must be read: a backup where nothing changed needs no workers.
  // Starting them takes a core tens of milliseconds, so when the folders scanned ahead already show a
  // file written since the parent, they start now rather than when the walk gets there.
  let pool: ChunkPool | undefined;
  const startPool = () =>
    chunkPool(
      repository,
      sink,
      options.workers ?? navigator.hardwareConcurrency ?? 2,
      (bytes) => context.progress.streamed(bytes),
    );
  const sources = sourceTrie(options.plan.sources);

  const context: WalkContext = {
    matcher: new ExcludeMatcher(options.plan),
    plan: options.plan,
    stats,
    warn: (message) => {
      stats.skipped++;
      warn(message);
    },
    saveTree: (tree) => saveTree(repository, sink, tree, options.dryRun ?? false),
    loadTree: async (id) => {
      try {
        return await repository.loadTree(id);
      } catch (error) {
        warn(`cannot read the parent snapshot's tree ${id.slice(0, 12)}: ${describeError(error)}`);
        return undefined;
      }
    },
    hasBlob: (id) => sink.has(id),
    hardLinks: new Map(),
    parentTime,
    exact: platform().kind === "ffi",
    parentExact: parent?.snapshot.exactTimes === true,
    sources,
    notice: warn,
    onFile: options.onFile,
    slots: new Slots(FILES_IN_FLIGHT),
    openEntries: 0,
    scansAwaited: 0,
    progress: new WalkProgress(),
    handingOut: 0,
    stackedFolders: 0,
    nestedSources: hasNestedSources(sources),
    ...(options.scans ? { scans: options.scans } : {}),
  };
  options.watchProgress?.(context.progress);
  if (!options.dryRun) {
    if (options.scans?.some((info) => writtenSince(info, parentTime))) pool = startPool();
    context.chunk = (file, previous, done, failed) => {
      if (previous) file.hints = chunkHints(repository, previous);
      (pool ??= startPool()).readFile(file, done, failed);
    };
  }

  let rootTree: BlobId;
  try {
    rootTree = await backupSources(parent?.snapshot.tree, context);
    context.progress.walked = true; // already, unless there was nothing to walk
    await sink.finish();
  } catch (error) {
    await sink.discard().catch(() => {}); // a pack half written through is not left behind
    throw error;
  } finally {
    await pool?.close();
  }
  stats.addedBlobs = sink.addedBlobs;
  stats.addedBytes = sink.addedBytes;
  stats.durationMs = Math.round(performance.now() - started);
  // The parent is named in a dry run too: it is what the files were compared with.
  if (options.dryRun) return { ...(parent ? { parentId: parent.id } : {}), stats, warnings };

  // Last: a snapshot only ever names data and index files that are already stored. What interrupted
  // writers left is removed beside it (best effort, never failing the backup).
  const leftovers = removeLeftovers(repository);
  const snapshotId = await repository.writeMeta(
    "snapshots",
    snapshotRecord(options, rootTree, parent, stats, context.exact),
  );
  return {
    snapshotId,
    ...(parent ? { parentId: parent.id } : {}),
    stats,
    warnings,
    ...await leftovers,
  };
}

/** Starts the workers that chunk, seal and dedup file contents into `sink`. */
function chunkPool(
  repository: Repository,
  sink: PackSink,
  workers: number,
  onStreamed: (bytes: number) => void,
): ChunkPool {
  const keys = repository.workerKeys();
  return new ChunkPool({
    workers,
    encryptKey: keys.encrypt,
    idKey: keys.id,
    chunkerKey: keys.chunker,
    params: repository.config.chunker,
    level: DEFAULT_COMPRESSION_LEVEL,
    known: repository.index.sharedIds(),
    onStreamed,
  }, sink);
}

/** Stores a tree blob unless it exists (a dry run only computes its id); returns its id. */
async function saveTree(
  repository: Repository,
  sink: PackSink,
  tree: Tree,
  dryRun: boolean,
): Promise<BlobId> {
  const bytes = new TextEncoder().encode(JSON.stringify(tree));
  const idBytes = repository.blobIdBytes(bytes);
  const id = asBlobId(toHex(idBytes));
  if (!dryRun && !sink.has(id)) await sink.add("tree", idBytes, repository.sealBlob(bytes), bytes.length);
  return id;
}

/** The snapshot file's content for a finished backup. */
function snapshotRecord(
  options: BackupOptions,
  tree: BlobId,
  parent: SnapshotEntry | undefined,
  stats: SnapshotStats,
  exactTimes: boolean,
): Snapshot {
  const time = (options.time ?? options.now).toISOString();
  const started = options.now.toISOString();
  return {
    version: 1,
    time,
    ...(started !== time ? { started } : {}),
    host: options.host,
    username: options.username,
    plan: options.plan.name,
    destination: options.destination,
    tags: [...options.plan.tags],
    paths: [...options.plan.sources],
    tree,
    ...(parent ? { parent: parent.id } : {}),
    ...(exactTimes ? { exactTimes: true } : {}),
    program: `kept ${VERSION}`,
    stats,
  };
}

/** Removes what interrupted writes left in the repository, best effort: it never fails the backup. */
async function removeLeftovers(
  repository: Repository,
): Promise<Pick<BackupResult, "removedLeftovers" | "leftoversError">> {
  try {
    const cleaned = await repository.removeLeftovers(LEFTOVER_AGE_MS);
    if (!cleaned || cleaned.removed.length === 0) return {};
    return { removedLeftovers: { files: cleaned.removed.length, bytes: cleaned.bytes } };
  } catch (error) {
    return { leftoversError: describeError(error) };
  }
}

/**
 * The newest snapshot of the same plan from the same host that is not newer than this one (as restic
 * chooses): unchanged files are taken from it. A snapshot recorded with a later `--time` is not the parent
 * of every backup that follows it, and one recorded earlier compares with the history before it.
 */
async function findParent(
  repository: Repository,
  options: BackupOptions,
): Promise<SnapshotEntry | undefined> {
  const limit = (options.time ?? options.now).getTime();
  const snapshots = await repository.listSnapshots();
  return snapshots.filter((s) =>
    s.snapshot.plan === options.plan.name && s.snapshot.host === options.host &&
    Date.parse(s.snapshot.time) <= limit
  ).at(-1);
}

/**
 * When a snapshot's backup started (ms): its `started` where `--time` recorded it under another time,
 * else its `time`. The next backup's change detection compares with it ({@link isUnchanged}).
 */
function parentScanStart(snapshot: Snapshot): number {
  const started = typeof snapshot.started === "string" ? Date.parse(snapshot.started) : NaN;
  return Number.isNaN(started) ? Date.parse(snapshot.time) : started;
}

interface SourceTrie {
  children: Map<string, SourceTrie>;
  /** Set when this path is itself a source: everything below it is backed up. */
  isSource: boolean;
}

/** The sources as a trie of path components; the root is `/`. */
function sourceTrie(sources: readonly string[]): SourceTrie {
  const root: SourceTrie = { children: new Map(), isSource: false };
  for (const source of sources) {
    let node = root;
    for (const part of source.split("/").filter((p) => p !== "")) {
      let child = node.children.get(part);
      if (!child) node.children.set(part, child = { children: new Map(), isSource: false });
      node = child;
    }
    node.isSource = true;
  }
  return root;
}

/** True when a source of `trie` lies inside another source. */
function hasNestedSources(trie: SourceTrie): boolean {
  for (const child of trie.children.values()) {
    if (child.isSource ? child.children.size > 0 : hasNestedSources(child)) return true;
  }
  return false;
}

/** An entry of a folder being walked; `leftOut` when the excludes leave it out but a source is inside it. */
interface WalkEntry extends ScannedEntry {
  leftOut?: true;
}

/**
 * `entries` with the entries on the way to a source below `path` that the excludes left out (a pattern, an
 * ignore file, a marker), marked `leftOut`: a source is always in the snapshot, kept empty where the
 * excludes leave it out or a folder it is in (docs/plans.md#excludes), and the walk reaches a source inside
 * another only through the outer one.
 */
function withNestedSources(path: string, entries: WalkEntry[], context: WalkContext): WalkEntry[] {
  const below = sourcesAt(context.sources, path)?.children;
  if (below === undefined || below.size === 0) return entries;
  const found = new Set(entries.map((entry) => entry.name));
  const added = [...entries];
  for (const name of below.keys()) {
    if (found.has(name)) continue;
    const childPath = join(path, name);
    try {
      added.push({ name, path: childPath, info: lstatEntry(childPath), leftOut: true });
    } catch (error) {
      context.warn(`${describePath(childPath)}: cannot read source: ${describeError(error)}`);
    }
  }
  return added;
}

/** The trie node of `path`: undefined when no source is on or below it. */
function sourcesAt(trie: SourceTrie, path: string): SourceTrie | undefined {
  let node: SourceTrie | undefined = trie;
  for (const part of path.split("/")) if (part !== "") node = node?.children.get(part);
  return node;
}

/**
 * Sources keep their absolute paths inside the snapshot: `/etc` and `/var/www` become a root folder
 * holding `etc` and `var/www`, so a restore recreates the same layout below its target. With `/` among
 * them, the root folder is a source like any other: its listing is the snapshot's root tree.
 */
async function backupSources(parentRootId: BlobId | undefined, context: WalkContext): Promise<BlobId> {
  const root = context.sources;
  if (!root.isSource) {
    const parentRoot = parentRootId ? await context.loadTree(parentRootId) : undefined;
    return (await backupVirtualFolder("/", root, parentRoot, parentRootId, context)).id;
  }
  context.handingOut++; // until the root's backup has started (its folders then count themselves)
  let info: EntryStat;
  try {
    info = lstatEntry("/");
  } catch (error) {
    walkEnds(context);
    context.warn(`/: cannot read source: ${describeError(error)}`);
    return await context.saveTree({ nodes: [] });
  }
  // The parent snapshot's root tree, as the node of a folder that holds it.
  const parentNode: TreeNode | undefined = parentRootId
    ? { name: "/", type: "dir", mode: 0, mtime: 0, uid: 0, gid: 0, subtree: parentRootId }
    : undefined;
  const entry = backupFolder("/", "/", info, parentNode, [], info.dev, context);
  walkEnds(context);
  return (await entry)?.subtree ?? await context.saveTree({ nodes: [] });
}

/** A folder on the way to a source: recorded with its metadata but only the chosen children. */
async function backupVirtualFolder(
  path: string,
  trie: SourceTrie,
  parentTree: Tree | undefined,
  parentTreeId: BlobId | undefined,
  context: WalkContext,
): Promise<{ id: BlobId; reused: boolean }> {
  const parentNodes = new Map(parentTree?.nodes.map((n) => [n.name, n]));
  context.handingOut++; // until every child below has counted itself
  if (context.stackedFolders >= STACKED_FOLDERS) await null;
  const children = [...trie.children].map(async ([name, child]) => {
    const childPath = join(path, name);
    const parentNode = parentNodes.get(name);
    context.handingOut++; // until this child's backup has started (its folders then count themselves)
    let info: EntryStat;
    try {
      info = lstatEntry(childPath);
    } catch (error) {
      walkEnds(context);
      context.warn(`${describePath(childPath)}: cannot read source: ${describeError(error)}`);
      return undefined;
    }
    if (child.isSource) {
      if (info.type === "file") await context.slots.acquire(); // released by backupFile
      const entry = backupEntry(childPath, name, info, parentNode, [], info.dev, context);
      walkEnds(context);
      return await entry;
    }
    if (info.type !== "dir") {
      walkEnds(context);
      context.warn(
        info.type === "symlink"
          ? `${
            describePath(childPath)
          }: is a symlink, which a backup does not follow, so the sources below ` +
            `it are missing: name the path it leads to`
          : `${describePath(childPath)}: is not a folder, so the sources below it are missing`,
      );
      return undefined;
    }
    const subtreeParent = parentNode?.subtree ? await context.loadTree(parentNode.subtree) : undefined;
    context.stackedFolders++; // an async function: it returns at its first await, never throws
    const backingUp = backupVirtualFolder(childPath, child, subtreeParent, parentNode?.subtree, context);
    context.stackedFolders--;
    walkEnds(context);
    const listing = await backingUp;
    countFolder(context, listing);
    return { ...metadata(childPath, name, "dir", info, context), subtree: listing.id };
  });
  walkEnds(context);
  const nodes = await Promise.all(children);
  return await saveOrReuseTree(sortNodes(nodes), parentTree, parentTreeId, context);
}

/**
 * Stores a folder's listing, unless it is exactly its parent snapshot's: then the parent's tree is
 * reused without serializing and hashing it again (most folders of a repeat backup).
 */
async function saveOrReuseTree(
  nodes: TreeNode[],
  parentTree: Tree | undefined,
  parentTreeId: BlobId | undefined,
  context: WalkContext,
): Promise<{ id: BlobId; reused: boolean }> {
  if (parentTree && parentTreeId && sameNodes(nodes, parentTree.nodes)) {
    return { id: parentTreeId, reused: true };
  }
  return { id: await context.saveTree({ nodes }), reused: false };
}

/**
 * One folder or source less is being handed out. A folder's subfolders start (and count themselves) while
 * it is still handing out, so the count only reaches zero once the walk has met every entry.
 */
function walkEnds(context: WalkContext): void {
  if (--context.handingOut === 0) context.progress.walked = true;
}

/** Counts a folder of the snapshot, and whether its listing was reused. */
function countFolder(context: WalkContext, listing: { reused: boolean }): void {
  context.stats.dirs++;
  if (listing.reused) context.stats.unchangedDirs++;
}

/** True when two lists of nodes record exactly the same entries (field by field, content id by id). */
function sameNodes(a: readonly TreeNode[], b: readonly TreeNode[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameNode(a[i]!, b[i]!)) return false;
  return true;
}

function sameNode(a: TreeNode, b: TreeNode): boolean {
  // for…in, not Object.keys().every(): no arrays or closures for each of a million unchanged files.
  let fields = 0;
  for (const key in a) {
    fields++;
    const x = a[key as keyof TreeNode];
    const y = b[key as keyof TreeNode];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !sameXattr(x[i], y[i])) return false;
  }
  for (const _ in b) fields--;
  return fields === 0;
}

/** True for two extended attributes (of `TreeNode.xattrs`) with the same name and value. */
function sameXattr(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const x = a as NodeXattr;
  const y = b as NodeXattr;
  return x.name === y.name && x.value === y.value;
}

function sortNodes(nodes: (TreeNode | undefined)[]): TreeNode[] {
  return nodes.filter((n): n is TreeNode => n !== undefined).sort((a, b) => compareText(a.name, b.name));
}

/** Backs up one path of any type; undefined when it is skipped. */
async function backupEntry(
  path: string,
  name: string,
  info: EntryStat,
  parentNode: TreeNode | undefined,
  rules: readonly FolderRules[],
  rootDevice: number,
  context: WalkContext,
): Promise<TreeNode | undefined> {
  if (info.type === "dir") {
    return await backupFolder(path, name, info, parentNode, rules, rootDevice, context);
  }
  if (info.type === "file") return await backupFile(path, name, info, parentNode, context);
  if (info.type === "symlink") {
    let target: string;
    try {
      target = nameText(platform().readLink(path));
    } catch (error) {
      context.warn(`${describePath(path)}: cannot read link: ${describeError(error)}`);
      return undefined;
    }
    return { ...metadata(path, name, "symlink", info, context), target };
  }
  // "unknown": a type this platform does not name, recorded with its metadata as restic does.
  const type: NodeType = info.type === "unknown" ? "file" : info.type;
  return { ...metadata(path, name, type, info, context), ...(info.rdev ? { rdev: info.rdev } : {}) };
}

async function backupFolder(
  path: string,
  name: string,
  info: EntryStat,
  parentNode: TreeNode | undefined,
  inherited: readonly FolderRules[],
  rootDevice: number,
  context: WalkContext,
  handedOut?: () => void,
): Promise<TreeNode | undefined> {
  const node = metadata(path, name, "dir", info, context);
  let folder: HandedOutFolder | undefined;
  context.handingOut++;
  try {
    if (context.stackedFolders >= STACKED_FOLDERS) await null;
    if (context.plan.oneFileSystem && info.dev !== rootDevice) {
      // A mount point: each source stays on its own file system (docs/plans.md). One that is itself a
      // source is walked on its file system; any other is kept as an empty folder, as restic and borg do,
      // holding only the sources below it. Mount points are few: this looks nothing up for a file.
      const nested = sourcesAt(context.sources, path);
      if (nested?.isSource) rootDevice = info.dev;
      else {
        const listing = nested
          ? await backupVirtualFolder(
            path,
            nested,
            parentNode?.subtree ? await context.loadTree(parentNode.subtree) : undefined,
            parentNode?.subtree,
            context,
          )
          : { id: await context.saveTree({ nodes: [] }), reused: false };
        countFolder(context, listing);
        return { ...node, subtree: listing.id };
      }
    }
    folder = await handOutFolder(path, info, parentNode, inherited, rootDevice, context);
  } finally {
    handedOut?.();
    walkEnds(context);
  }
  if (!folder) return undefined;
  try {
    await folder.files.done;
    const listing = await saveOrReuseTree(
      sortNodes(await settled(folder.children)),
      folder.parentTree,
      parentNode?.subtree,
      context,
    );
    countFolder(context, listing);
    return { ...node, subtree: listing.id };
  } finally {
    context.openEntries -= folder.children.length;
  }
}

/**
 * A folder whose entries are all handed out: their nodes (files being read fill theirs in when `files`
 * says so; subfolders are promises) and its parent tree. Its entries count in
 * {@link WalkContext.openEntries} until its tree is stored.
 */
interface HandedOutFolder {
  children: Child[];
  files: FilesInFlight;
  parentTree: Tree | undefined;
}

type Child = TreeNode | Promise<TreeNode | undefined> | undefined;

/** The children's nodes, once every promise among them has settled. */
async function settled(children: Child[]): Promise<(TreeNode | undefined)[]> {
  const nodes: (TreeNode | undefined)[] = [];
  for (const child of children) nodes.push(child instanceof Promise ? await child : child);
  return nodes;
}

/**
 * Counts a folder's files being read, with no promise per file: `done` settles when the last one is in
 * and the folder is handed out, or at the first failure (a worker or the destination failing).
 */
class FilesInFlight {
  /** Files being read, plus one for the hand-out until {@link handedOut}. */
  #count = 1;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  readonly done = new Promise<void>((resolve, reject) => {
    this.#resolve = resolve;
    this.#reject = reject;
  });

  constructor() {
    this.done.catch(() => {}); // seen by the folder's await; not unhandled while it is still handing out
  }

  start(): void {
    this.#count++;
  }

  finish(): void {
    if (--this.#count === 0) this.#resolve();
  }

  handedOut(): void {
    this.finish();
  }

  fail(error: unknown): void {
    this.#reject(error);
  }
}

/**
 * Scans a folder and starts the backup of every entry. A subfolder the parent snapshot has is handed out
 * depth first: the next sibling waits until its whole subtree has been handed out (not read), so a repeat
 * backup holds the parent trees and listings of the folders on the current path only. A new subfolder is
 * started alongside its siblings: it has no parent tree to hold, and the walk reaches its large files
 * early (a file is chunked by one worker, so large files found last leave one core with a long tail).
 */
async function handOutFolder(
  path: string,
  info: EntryStat,
  parentNode: TreeNode | undefined,
  inherited: readonly FolderRules[],
  rootDevice: number,
  context: WalkContext,
): Promise<HandedOutFolder | undefined> {
  // Awaited only when it must be: a walk that yields for every folder keeps more of them open (a first
  // backup of 100,000 small files peaked at 390 MiB with an await here, 290 without).
  const taken = scanOf(path, info, inherited, context);
  const scan = taken instanceof Promise ? await taken : taken;
  if (scan.kind === "unreadable") {
    context.warn(scan.problem);
    return undefined;
  }
  // exclude_if_present leaves a folder out, unless a source is in it or it is one: then it holds only the
  // way to its sources, as a folder that `excludes` match does (docs/plans.md#excludes).
  if (scan.kind === "excluded" && !sourcesAt(context.sources, path)) return undefined;
  const { entries: found, rules, folder } = scan.kind === "excluded"
    ? { entries: [], rules: LEFT_OUT, folder: undefined }
    : scan;
  if (scan.kind === "read") { for (const problem of scan.problems) context.warn(problem); }
  const entries: WalkEntry[] = context.nestedSources ? withNestedSources(path, found, context) : found;
  const parentTree = parentNode?.type === "dir" && parentNode.subtree
    ? await context.loadTree(parentNode.subtree)
    : undefined;
  const parentNodes = new Map(parentTree?.nodes.map((n) => [n.name, n]));

  const children: Child[] = [];
  const files = new FilesInFlight();
  context.openEntries += entries.length;
  // A child can fail while this loop still waits (for a slot, or a subfolder): the rejection is seen by
  // backupFolder later, and must not count as unhandled now (Deno would exit at once).
  const add = (child: Child) => {
    if (child instanceof Promise) child.catch(() => {});
    children.push(child);
  };
  for (const { name, path: childPath, info: childInfo, leftOut } of entries) {
    const parentChild = parentNodes.get(name);
    if (childInfo.type === "dir") {
      let subtreeHandedOut = () => {};
      const handedOut = new Promise<void>((resolve) => subtreeHandedOut = resolve);
      context.stackedFolders++; // an async function: it returns at its first await, never throws
      add(
        backupFolder(
          childPath,
          name,
          childInfo,
          parentChild,
          leftOut ? LEFT_OUT : rules,
          rootDevice,
          context,
          subtreeHandedOut,
        ),
      );
      context.stackedFolders--;
      // Depth first where the parent snapshot has the folder, when many entries are open (see above), or
      // while a folder waits for its scan: its entries are not counted yet.
      if (parentChild?.subtree || context.openEntries > OPEN_ENTRIES || context.scansAwaited > 0) {
        await handedOut;
      }
      continue;
    }
    if (childInfo.type === "file") {
      const unchanged = reuseUnchanged(childPath, name, childInfo, parentChild, context);
      if (unchanged) {
        add(unchanged);
        continue;
      }
      const slot = context.slots.acquire(); // given back by backupChangedFile
      if (slot) await slot;
      const at = children.length;
      children.push(undefined);
      files.start();
      const done = (node: TreeNode | undefined) => {
        children[at] = node;
        files.finish();
      };
      const file = { path: childPath, name, info: childInfo, folder };
      backupChangedFile(file, parentChild, context, done, (error) => files.fail(error));
      continue;
    }
    add(backupEntry(childPath, name, childInfo, parentChild, rules, rootDevice, context));
  }
  files.handedOut();
  return { children, files, parentTree };
}

/** A folder's scan: one made ahead, or one made now; a promise only while a worker still makes it. */
function scanOf(
  path: string,
  info: EntryStat,
  inherited: readonly FolderRules[],
  context: WalkContext,
): FolderScan | Promise<FolderScan> {
  const taken = context.scans?.take(path, inherited, info);
  if (!(taken instanceof Promise)) return taken ?? scanFolder(path, inherited, context.matcher, info);
  context.scansAwaited++;
  return taken.finally(() => context.scansAwaited--);
}

/** A file to read: where, what the walk's lstat saw, and the folder it was found in (none for a source). */
interface ChangedFile {
  path: string;
  name: string;
  info: EntryStat;
  folder: FolderIdentity | undefined;
}

/** Backs up one regular file whose slot the caller took: from the parent snapshot if it is unchanged. */
function backupFile(
  path: string,
  name: string,
  info: EntryStat,
  parentNode: TreeNode | undefined,
  context: WalkContext,
): TreeNode | Promise<TreeNode | undefined> {
  const unchanged = reuseUnchanged(path, name, info, parentNode, context);
  if (unchanged) {
    context.slots.release();
    return unchanged;
  }
  return new Promise((resolve, reject) =>
    backupChangedFile({ path, name, info, folder: undefined }, parentNode, context, resolve, reject)
  );
}

/**
 * Backs up a new or changed regular file whose slot the caller took, then calls `done` with its node
 * (undefined when it could not be read: reported and skipped) or `failed` (the workers or the destination
 * failed). Callbacks, not promises: a file waiting for a worker lives long enough for V8 to move what it
 * holds to the old space, and a tree of small files has millions (see docs/performance.md).
 */
function backupChangedFile(
  entry: ChangedFile,
  parentNode: TreeNode | undefined,
  context: WalkContext,
  done: (node: TreeNode | undefined) => void,
  failed: (error: unknown) => void,
): void {
  const { path, name, info } = entry;
  // Read by a worker: it reads the extended attributes through the file it opens.
  const node = metadata(path, name, "file", info, context, context.chunk ? "worker" : "path");
  const change: FileChange = parentNode?.type === "file" ? "changed" : "new";
  const progress = context.progress;
  progress.seen(info.size);
  context.onFile?.(path, change);
  if (!context.chunk) {
    context.slots.release();
    countStored(context.stats, change, info.size);
    progress.done(info.size);
    node.content = [];
    return done(node);
  }
  const previous = parentNode?.type === "file" ? parentNode.content : undefined;
  const reading = progress.reading(path);
  const read = (result: ChunkedFile | undefined) => {
    context.progress.stored(reading, node.size!); // the size as scanned, so that done ≤ seen
    done(fileNode(path, node, change, result, context));
  };
  const file: FileToRead = {
    path,
    size: info.size,
    mtime: info.mtime,
    mtimeNs: info.mtimeNs,
    ino: info.ino,
    dev: info.dev,
    folder: entry.folder,
    hints: undefined,
  };
  if (info.nlink > 1) {
    // Hard links are few: a promise per inode is shared by its names.
    const key = `${info.dev}:${info.ino}`;
    let shared = context.hardLinks.get(key);
    if (shared) context.slots.release();
    else {
      shared = new Promise((resolve, reject) => readFile(file, previous, context, resolve, reject));
      context.hardLinks.set(key, shared);
    }
    shared.then(read, failed);
    return;
  }
  readFile(file, previous, context, read, failed);
}

/**
 * Reads and stores a file's content, then calls `done` (with undefined, reported, when the file cannot be
 * read) or `failed` when the workers or the destination fail. Gives back its slot.
 */
function readFile(
  file: FileToRead,
  previous: readonly string[] | undefined,
  context: WalkContext,
  done: (file: ChunkedFile | undefined) => void,
  failed: (error: unknown) => void,
): void {
  const read = (result: ChunkedFile) => {
    context.slots.release();
    done(result);
  };
  const unread = (error: unknown) => {
    context.slots.release();
    // Only the file's own problem is reported and skipped; a worker or the destination failing fails the
    // backup (skipping every file from then on would make a snapshot that looks merely partial).
    if (!(error instanceof FileReadError)) return failed(error);
    context.warn(`${describePath(file.path)}: cannot read file: ${describeError(error)}`);
    done(undefined);
  };
  try {
    context.chunk!(file, previous, read, unread);
  } catch (error) {
    unread(error);
  }
}

/**
 * Counts a file stored (in a dry run, one that would be): new and changed files are counted once stored,
 * so that `files` is new + changed + unchanged, and a file that cannot be read only counts as skipped.
 */
function countStored(stats: SnapshotStats, change: FileChange, size: number): void {
  stats.files++;
  if (change === "changed") stats.changedFiles++;
  else stats.newFiles++;
  stats.bytes += size;
}

/**
 * The node of a file that was read (undefined when it could not be: skipped): its metadata as scanned,
 * content, size and mtime as read.
 */
function fileNode(
  path: string,
  node: TreeNode,
  change: FileChange,
  result: ChunkedFile | undefined,
  context: WalkContext,
): TreeNode | undefined {
  if (!result) return undefined;
  if (result.changed) {
    context.notice(`${describePath(path)}: file changed while it was read; the snapshot may hold a mix`);
  }
  countStored(context.stats, change, result.size);
  for (const problem of result.problems ?? []) context.notice(problem);
  if (result.xattrs && context.exact) node.xattrs = result.xattrs;
  // Set in place (the keys keep their order): a copy per file would be garbage the size of the node.
  node.size = result.size;
  node.mtime = result.mtime;
  if (result.mtimeNs !== 0) node.mtimeNs = result.mtimeNs;
  else delete node.mtimeNs;
  node.content = result.content;
  return node;
}

/**
 * How the parent snapshot cut a changed file (see ChunkHints), when that can help: more than one chunk
 * (the last never is a hint), and every chunk's length known from the index.
 */
function chunkHints(repository: Repository, previous: readonly string[]): ChunkHints | undefined {
  if (previous.length < 2) return undefined;
  const lengths: number[] = [];
  for (const id of previous) {
    const location = repository.index.lookup(id);
    if (!location) return undefined;
    lengths.push(location.rawLength);
  }
  // The parent tree's list is never changed, and sending the job to a worker (maybe later) copies it.
  return { ids: previous, lengths };
}

/**
 * The node of a file that has not changed since the parent snapshot, with the parent's content; undefined
 * when the file must be read. Synchronous: most files of a backup take this path, and an async call
 * per file would cost more than the lstat.
 */
function reuseUnchanged(
  path: string,
  name: string,
  info: EntryStat,
  parentNode: TreeNode | undefined,
  context: WalkContext,
): TreeNode | undefined {
  if (
    !parentNode ||
    !isUnchanged(parentNode, info, {
      scannedAt: context.parentTime,
      exactTimes: context.exact,
      exactPrevious: context.parentExact,
    }) ||
    !parentNode.content?.every(context.hasBlob)
  ) {
    return undefined;
  }
  context.stats.files++;
  context.stats.unchangedFiles++;
  context.stats.bytes += info.size;
  context.progress.seen(info.size);
  context.progress.done(info.size);
  // Setting or removing an xattr changes ctime: with ctime compared to the nanosecond, the parent's are
  // still the file's, and a listxattr per unchanged file (as costly as its lstat) is saved.
  const exactParent = context.parentExact || hasExactTimes(parentNode);
  const xattrsFrom = context.exact && exactParent ? parentNode : "path";
  return { ...metadata(path, name, "file", info, context, xattrsFrom), content: parentNode.content };
}

/**
 * Where a node's extended attributes come from (FFI only): read by path now (`"path"`), those of a parent
 * snapshot's node known not to have changed, or the chunk worker that reads the file (`"worker"`: through
 * the open file, with no path looked up; {@link fileNode} sets them).
 */
type XattrsFrom = "path" | "worker" | TreeNode;

/**
 * The metadata every node records: from lstat, the owner's names, and (FFI only) the extended attributes
 * as `xattrsFrom` says. Optional fields are left out when empty (docs/format.md#trees).
 */
function metadata(
  path: string,
  name: string,
  type: NodeType,
  info: EntryStat,
  context: WalkContext,
  xattrsFrom: XattrsFrom = "path",
): TreeNode {
  const node: TreeNode = {
    name,
    type,
    mode: info.mode & 0o7777,
    mtime: info.mtime,
    uid: info.uid,
    gid: info.gid,
  };
  if (info.mtimeNs !== 0) node.mtimeNs = info.mtimeNs;
  const user = userName(info.uid);
  if (user !== undefined) node.user = user;
  const group = groupName(info.gid);
  if (group !== undefined) node.group = group;
  if (type === "file") {
    node.size = info.size;
    node.ctime = info.ctime;
    if (info.ctimeNs !== 0) node.ctimeNs = info.ctimeNs;
    node.inode = info.ino;
    node.device = info.dev;
    if (info.nlink > 1) node.links = info.nlink;
  }
  if (context.exact && xattrsFrom !== "worker") {
    const xattrs = xattrsFrom === "path" ? xattrsOf(path, context) : xattrsFrom.xattrs;
    if (xattrs !== undefined) node.xattrs = xattrs;
  }
  return node;
}

/** The extended attributes of `path` itself (a symlink's own); see `readXattrs()`. */
function xattrsOf(path: string, context: WalkContext): NodeXattr[] | undefined {
  const fs = platform();
  const source = {
    listXattrs: () => fs.listXattrs(path),
    getXattr: (name: Uint8Array) => fs.getXattr(path, name),
  };
  return readXattrs(source, path, context.notice);
}
