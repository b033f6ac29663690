/**
 * Restores a snapshot (or a path inside it) below a target folder: contents verified blob by blob,
 * then modes, times, ownership (as root), symlinks and hard links. Never writes outside the target,
 * never replaces a file it did not write unless told to, and resumes after an interruption.
 *
 * @module
 */

import * as fs from "node:fs";
import ignore from "ignore";
import { sha256Hex } from "../crypto/mod.ts";
import { describeError, IntegrityError, UserError } from "../errors.ts";
import type { Repository } from "../repo/mod.ts";
import { isSafeName, type Tree, type TreeNode } from "../repo/mod.ts";
import type { Handle } from "../backends/mod.ts";
import type { BlobSource } from "./_restore_protocol.ts";
import { RestorePool } from "./_restore_pool.ts";
import { createSpecialFile } from "./special_files.ts";
import { Slots } from "../workers/mod.ts";

/** Options of {@link restore}. */
export interface RestoreOptions {
  /** Root tree of the snapshot. */
  tree: string;
  target: string;
  /** Restore only this path of the snapshot (e.g. `/etc/nginx`). */
  path?: string;
  /** gitignore-style patterns: restore only matching paths (and the folders leading to them). */
  include?: readonly string[];
  /** Replace existing files that differ from the snapshot. */
  overwrite?: boolean;
  onWarning?: (message: string) => void;
}

/** What a restore did. */
export interface RestoreResult {
  files: number;
  dirs: number;
  bytes: number;
  /** Files already present with the right size and time (a resumed restore). */
  skipped: number;
  errors: string[];
}

const PARTIAL_SUFFIX = ".kept-partial";
const IS_ROOT = Deno.uid() === 0;
/** Files handed to the workers at once: enough to keep each busy while the main thread walks trees. */
const FILES_IN_FLIGHT = 128;
/**
 * Folders walked whose files are not all written yet. Each holds its tree entry and a promise until then
 * (~4 KB): without a bound, a tree of a million folders with no plain files in them (Maildir, `.git/refs`)
 * would be walked to its end with all of them waiting.
 */
const FOLDERS_PENDING = 256;

/** Restores into `options.target`. Damaged data and unsafe names are reported as errors; the rest continues. */
export async function restore(repository: Repository, options: RestoreOptions): Promise<RestoreResult> {
  const localPath = (handle: Handle) => {
    const path = repository.packs.localPath(handle.name);
    if (path === undefined) throw new UserError(`Restoring from ${repository.location} is not supported yet`);
    return path;
  };
  await repository.loadIndex();
  // Trees only: file contents are read by the workers.
  repository.cachePacks(0);
  const pool = new RestorePool({
    workers: navigator.hardwareConcurrency ?? 2,
    encryptKey: repository.workerKeys().encrypt,
    idKey: repository.workerKeys().id,
  });
  try {
    return await restoreWith(repository, options, pool, localPath);
  } finally {
    pool.close();
  }
}

async function restoreWith(
  repository: Repository,
  options: RestoreOptions,
  pool: RestorePool,
  localPath: (handle: Handle) => string,
): Promise<RestoreResult> {
  const result: RestoreResult = { files: 0, dirs: 0, bytes: 0, skipped: 0, errors: [] };
  const fail = (message: string) => {
    result.errors.push(message);
    options.onWarning?.(message);
  };
  const target = fs.realpathSync(ensureFolder(options.target));
  const include = options.include && options.include.length > 0
    ? ignore().add([...options.include])
    : undefined;
  const hardLinks = new Map<string, string>();
  const slots = new Slots(FILES_IN_FLIGHT);
  const pendingFolders = new Slots(FOLDERS_PENDING);
  /** Folders this run created: nothing can exist in them yet, so their entries need no checks. */
  const freshFolders = new Set<string>();
  const exists = (path: string) => freshFolders.has(folderOf(path)) ? undefined : lstatOrUndefined(path);

  // Find the starting point: the whole snapshot or one path inside it.
  let startTree = options.tree;
  let startNode: TreeNode | undefined;
  const parts = (options.path ?? "/").split("/").filter((p) => p !== "" && p !== ".");
  let walkedPath = "";
  for (const [i, part] of parts.entries()) {
    const tree = await repository.loadTree(startTree);
    const node = tree.nodes.find((n) => n.name === part);
    if (!node) throw new UserError(`Path "${options.path}" is not in the snapshot`);
    walkedPath += `/${part}`;
    if (i === parts.length - 1) startNode = node;
    else if (node.type !== "dir" || !node.subtree) {
      throw new UserError(`Path "${walkedPath}" is not a folder`);
    } else startTree = node.subtree;
  }

  const wanted = (snapshotPath: string, isDir: boolean): boolean => {
    if (!include) return true;
    const rel = snapshotPath.slice(1);
    if (rel === "") return true;
    // A folder is entered when it or anything below it may match; files must match themselves.
    return include.ignores(rel + (isDir ? "/" : "")) || isDir;
  };

  /**
   * Restores one entry; `done` settles with whether it was restored. For a folder the returned promise
   * settles once it is walked (made, its files handed out, its subfolders walked) and `done` once its files
   * are written and its time is set: the walk goes on to the next folder meanwhile, so the workers are not
   * left idle at every folder's end. `siblings` settles once all that was handed out before this entry in
   * its folder is done. `partial`: the name a file is written under, see {@link partialNames}.
   */
  const restoreNode = async (
    node: TreeNode,
    folder: string,
    snapshotPath: string,
    forced: boolean,
    siblings: () => Promise<unknown>,
    partial = partialNames([node]).get(node.name)!,
  ): Promise<Outcome> => {
    if (!isSafeName(node.name)) {
      fail(`${snapshotPath}: unsafe name ${JSON.stringify(node.name)} in the snapshot; not restored`);
      return NOT_RESTORED;
    }
    const path = `${folder}/${node.name}`;
    const selfMatches = forced || !include ||
      include.ignores(snapshotPath.slice(1) + (node.type === "dir" ? "/" : ""));
    if (!wanted(snapshotPath, node.type === "dir")) return NOT_RESTORED;
    // Damaged data is reported like any other failure, once, with its path; the rest is restored.
    const failed = (error: unknown) => {
      fail(`${snapshotPath}: ${describeError(error)}`);
      return false;
    };
    try {
      if (node.type === "dir") {
        const walked = await restoreFolder(node, path, snapshotPath, selfMatches, siblings);
        return { done: walked.done.catch(failed) };
      }
      if (!selfMatches) return NOT_RESTORED;
      if (node.type === "file") await restoreFile(node, path, `${folder}/${partial}`, siblings);
      else if (node.type === "symlink") await restoreSymlink(node, path, siblings);
      else if (node.type === "socket") return NOT_RESTORED; // meaningless without its process, as in restic
      else await restoreSpecial(node, path, siblings);
      return RESTORED;
    } catch (error) {
      return { done: Promise.resolve(failed(error)) };
    }
  };

  /**
   * Removes what is in the way of an entry, or without `--overwrite` refuses with `${path} ${problem}`.
   * Removes it once everything handed out before it in its folder is done: where the file system ignores
   * case, `d` may be the folder `D` whose files are still being written, and putting a symlink in its
   * place first would send those writes where the link points.
   */
  const clearForOverwrite = async (path: string, problem: string, siblings: () => Promise<unknown>) => {
    if (!options.overwrite) throw new UserError(`${path} ${problem}`);
    await siblings();
    try {
      Deno.removeSync(path, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };

  const restoreFolder = async (
    node: TreeNode,
    path: string,
    snapshotPath: string,
    forced: boolean,
    siblings: () => Promise<unknown>,
  ): Promise<Outcome> => {
    const tree: Tree = node.subtree ? await repository.loadTree(node.subtree) : { nodes: [] };
    assertUniqueNames(tree, snapshotPath);
    const info = exists(path);
    let existed = info !== undefined;
    if (info && !info.isDirectory) {
      await clearForOverwrite(path, "exists and is not a folder (use --overwrite)", siblings);
      existed = false;
    }
    if (!existed) {
      Deno.mkdirSync(path, { mode: 0o700 });
      freshFolders.add(path);
    }
    const children: Promise<boolean>[] = [];
    const settled = () => Promise.all(children);
    const partials = partialNames(tree.nodes);
    for (const child of tree.nodes) {
      const childPath = `${snapshotPath}/${child.name}`;
      const partial = partials.get(child.name);
      // Plain files go in parallel; folders, links and hard-link groups in order (a link needs its first path).
      if (child.type === "file" && !(child.links && child.links > 1)) {
        await slots.acquire();
        const restored = restoreNode(child, path, childPath, forced, settled, partial);
        children.push(restored.then((outcome) => outcome.done).finally(() => slots.release()));
      } else {
        children.push((await restoreNode(child, path, childPath, forced, settled, partial)).done);
      }
    }
    // Walked: it now waits only for work already handed out, so holding the walk here cannot deadlock.
    await pendingFolders.acquire();
    const done = Promise.all(children).then(async (restored) => {
      if (!forced && !restored.includes(true) && !existed) {
        // Nothing below matched --include: leave no empty folder behind.
        Deno.removeSync(path);
        return false;
      }
      await applyMetadata(node, path); // last: writing the entries changed the folder's time
      result.dirs++;
      return true;
    });
    const release = () => pendingFolders.release();
    done.then(release, release);
    return { done };
  };

  const restoreFile = async (
    node: TreeNode,
    path: string,
    partial: string,
    siblings: () => Promise<unknown>,
  ) => {
    const linkKey = node.links && node.links > 1 ? `${node.device}:${node.inode}` : undefined;
    const linkedTo = linkKey ? hardLinks.get(linkKey) : undefined;
    const existing = exists(path);
    if (existing) {
      if (existing.isFile && existing.size === (node.size ?? 0) && existing.mtime?.getTime() === node.mtime) {
        // Already restored (a resumed restore).
        result.skipped++;
        if (linkKey && !linkedTo) hardLinks.set(linkKey, path);
        return;
      }
      await clearForOverwrite(
        path,
        "exists and differs from the snapshot (use --overwrite to replace it)",
        siblings,
      );
    }
    if (linkedTo) {
      Deno.linkSync(linkedTo, path);
      result.files++;
      return;
    }
    // An interrupted earlier run may have left its partial copy.
    if (exists(partial)) Deno.removeSync(partial);
    const blobs = (node.content ?? []).map((id): BlobSource => {
      const location = repository.index.lookup(id);
      if (!location) throw new IntegrityError(`Blob ${id.slice(0, 12)} is not in the index`);
      const { offset, length, rawLength } = location;
      const pack = localPath({ kind: "data", name: location.pack });
      return { id, pack, packName: location.pack, offset, length, rawLength };
    });
    // Just created by root in a folder of ours (mode 0700, no setgid): it already belongs to 0:0.
    const ownedByRoot = freshFolders.has(folderOf(path));
    const needsChown = IS_ROOT && !(ownedByRoot && node.uid === 0 && node.gid === 0);
    const written = await pool.write({
      partial,
      path,
      blobs,
      mode: node.mode,
      mtime: node.mtime,
      ...(needsChown ? { owner: { uid: node.uid, gid: node.gid } } : {}),
    }, node.size ?? 0);
    result.bytes += written; // added after the await: files written at once must not overwrite each other's count
    if (linkKey) hardLinks.set(linkKey, path);
    result.files++;
  };

  const restoreSpecial = async (node: TreeNode, path: string, siblings: () => Promise<unknown>) => {
    const existing = exists(path);
    if (existing) {
      if (sameSpecialType(existing, node) && (existing.rdev ?? 0) === (node.rdev ?? 0)) {
        result.skipped++;
        return;
      }
      await clearForOverwrite(path, "exists (use --overwrite to replace it)", siblings);
    }
    createSpecialFile(node, path, IS_ROOT);
    await applyMetadata(node, path);
    result.files++;
  };

  const restoreSymlink = async (node: TreeNode, path: string, siblings: () => Promise<unknown>) => {
    const existing = exists(path);
    if (existing) {
      if (existing.isSymlink && Deno.readLinkSync(path) === node.target) {
        result.skipped++;
        return;
      }
      await clearForOverwrite(path, "exists (use --overwrite to replace it)", siblings);
    }
    Deno.symlinkSync(node.target ?? "", path);
    if (IS_ROOT) fs.lchownSync(path, node.uid, node.gid);
    setSymlinkTime(path, node.mtime);
    result.files++;
  };

  const outcomes: Promise<boolean>[] = [];
  const settled = () => Promise.all(outcomes);
  if (startNode) {
    outcomes.push((await restoreNode(startNode, target, `/${parts.join("/")}`, false, settled)).done);
  } else {
    const tree = await repository.loadTree(startTree);
    assertUniqueNames(tree, "/");
    for (const node of tree.nodes) {
      outcomes.push((await restoreNode(node, target, `/${node.name}`, false, settled)).done);
    }
  }
  await Promise.all(outcomes);
  return result;
}

/** How restoring an entry ended, once `done` settles (see `restoreNode`). */
interface Outcome {
  done: Promise<boolean>;
}

const RESTORED: Outcome = { done: Promise.resolve(true) };
const NOT_RESTORED: Outcome = { done: Promise.resolve(false) };

/** Two entries with one name could let a symlink redirect the other's contents: refuse the tree. */
function assertUniqueNames(tree: Tree, path: string): void {
  const names = new Set<string>();
  for (const node of tree.nodes) {
    if (names.has(node.name)) throw new IntegrityError(`${path}: the snapshot lists "${node.name}" twice`);
    names.add(node.name);
  }
}

/**
 * The names the files of one folder are written under before they are renamed into place:
 * `NAME.kept-partial`, unless that is too long for a name or is itself an entry of the folder (or another
 * file's partial name); then `.kept-partial-HASH`, numbered if need be. Never an entry's name, so writing
 * or clearing one never touches another entry: a folder holding `a` and `a.kept-partial` had the second
 * renamed over the first's partial copy, and `a` restored with the wrong content. The same names in
 * every run, so a resumed restore clears what an interrupted one left.
 */
export function partialNames(nodes: readonly TreeNode[]): Map<string, string> {
  const used = new Set(nodes.map((node) => node.name));
  const partials = new Map<string, string>();
  const encoder = new TextEncoder();
  for (const node of nodes) {
    if (node.type !== "file") continue;
    let partial = `${node.name}${PARTIAL_SUFFIX}`;
    if (encoder.encode(partial).length > 255 || used.has(partial)) {
      const hashed = `${PARTIAL_SUFFIX}-${sha256Hex(encoder.encode(node.name)).slice(0, 32)}`;
      partial = hashed;
      for (let n = 1; used.has(partial); n++) partial = `${hashed}-${n}`;
    }
    used.add(partial);
    partials.set(node.name, partial);
  }
  return partials;
}

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

function ensureFolder(path: string): string {
  Deno.mkdirSync(path, { recursive: true });
  return path;
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function sameSpecialType(info: Deno.FileInfo, node: TreeNode): boolean {
  return node.type === "fifo"
    ? info.isFifo === true
    : node.type === "chardev"
    ? info.isCharDevice === true
    : node.type === "blockdev"
    ? info.isBlockDevice === true
    : false;
}

/** Sets owner (as root), mode and times of a folder, FIFO or device node. */
async function applyMetadata(node: TreeNode, path: string): Promise<void> {
  if (IS_ROOT) await Deno.chown(path, node.uid, node.gid);
  await Deno.chmod(path, node.mode);
  await Deno.utime(path, node.mtime / 1000, node.mtime / 1000);
}

/** Sets a symlink's own modification time (and access time). */
function setSymlinkTime(path: string, ms: number): void {
  if (ms >= 0) {
    fs.lutimesSync(path, ms / 1000, ms / 1000);
    return;
  }
  // node:fs silently turns times before 1970 into "now" and Deno has no lutime: let touch(1) do it.
  const abs = Math.abs(ms);
  const seconds = `-${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, "0")}`;
  let output: Deno.CommandOutput;
  try {
    output = new Deno.Command("touch", { args: ["-h", "-d", `@${seconds}`, "--", path], stdin: "null" })
      .outputSync();
  } catch (error) {
    throw new Error(
      `cannot set the time of the symlink to ${new Date(ms).toISOString()}: ${describeError(error)}`,
    );
  }
  if (!output.success) {
    const detail = new TextDecoder().decode(output.stderr).trim().split("\n")[0] ?? "";
    throw new Error(`cannot set the time of the symlink to ${new Date(ms).toISOString()}: ${detail}`);
  }
}
