/**
 * Reading snapshots without restoring them: list the entries below a path, compare two snapshots.
 *
 * @module
 */

import { IntegrityError } from "../errors.ts";
import {
  type BlobId,
  type NodeType,
  type Repository,
  resolveTreePath,
  type Tree,
  type TreeNode,
  type TreePath,
} from "../repo/mod.ts";

/** What browsing reads: trees. */
export type TreeLoader = Pick<Repository, "loadTree">;

/**
 * A folder of a snapshot whose listing (its tree) cannot be read: damaged, in a missing pack, or in no
 * index. Names the folder, the snapshot it is in by its root tree, and what went wrong.
 */
export class UnreadableFolderError extends IntegrityError {
  /** The folder's path in the snapshot, `/` for its root. */
  readonly path: string;
  /** The root tree of the snapshot the folder is in. */
  readonly root: BlobId;
  /** Why its tree cannot be read, naming the blob and its pack. */
  readonly reason: string;

  constructor(path: string, root: BlobId, cause: IntegrityError) {
    super(`Cannot read folder ${JSON.stringify(path)}: ${cause.message}`, { cause });
    this.name = "UnreadableFolderError";
    this.path = path;
    this.root = root;
    this.reason = cause.message;
  }
}

/** Where a tree is: the snapshot's root tree, and the folder's path in it ("" for the root). */
interface FolderAt {
  root: BlobId;
  path: string;
}

/** The tree of the folder `at`, or an {@link UnreadableFolderError} naming the folder when it cannot be read. */
async function loadFolder(source: TreeLoader, id: BlobId, at: FolderAt): Promise<Tree> {
  try {
    return await source.loadTree(id);
  } catch (error) {
    if (error instanceof IntegrityError) throw new UnreadableFolderError(at.path || "/", at.root, error);
    throw error;
  }
}

/** One listed entry. */
export interface ListedEntry {
  path: string;
  type: NodeType;
  mode: number;
  /** Milliseconds since the epoch, and nanoseconds past them when not 0 (docs/format.md#trees). */
  mtime: number;
  mtimeNs?: number;
  size?: number;
  target?: string;
}

/**
 * Lists every entry at and below `path` in a snapshot's tree, depth first, in name order.
 *
 * @throws {UnreadableFolderError} when the tree of a folder on the way or below cannot be read (after the
 * entries before it); a `UserError` when `path` is not in the snapshot.
 */
export async function* listTree(
  source: TreeLoader,
  root: BlobId,
  path = "/",
): AsyncGenerator<ListedEntry> {
  const { parts, node } = await resolve(source, root, path);
  const prefix = parts.map((part) => `/${part}`).join("");
  if (node) yield entryOf(prefix, node);
  if (node && node.type !== "dir") return;
  const treeId = node ? node.subtree : root;
  if (treeId === undefined) return;
  yield* walk(source, treeId, { root, path: prefix });
}

/** {@link resolveTreePath}, naming the folder on the way whose tree cannot be read. */
async function resolve(source: TreeLoader, root: BlobId, path: string): Promise<TreePath> {
  let loads = 0;
  let failed: IntegrityError | undefined;
  const load = async (id: BlobId) => {
    loads++;
    try {
      return await source.loadTree(id);
    } catch (error) {
      if (error instanceof IntegrityError) failed = error;
      throw error;
    }
  };
  try {
    return await resolveTreePath(load, root, path);
  } catch (error) {
    if (failed === undefined || error !== failed) throw error;
    // The walk reads the root's tree, then that of each folder on the path in turn: the folder that failed
    // is the one of the first `loads - 1` parts, whose trees were read. Their names as the trees spell them:
    const asked = path.split("/").filter((part) => part !== "" && part !== ".");
    const { parts } = await resolveTreePath(load, root, asked.slice(0, loads - 1).join("/"));
    throw new UnreadableFolderError(`/${parts.join("/")}`, root, failed);
  }
}

/**
 * Every entry below the folder `treeId`, depth first in the trees' order. Iterative, not recursive: a tree
 * as deep as a path may be long (~2,000 folders) overflowed the call stack through nested generators.
 */
async function* walk(source: TreeLoader, treeId: BlobId, at: FolderAt): AsyncGenerator<ListedEntry> {
  /** The folders on the current path: their entries, the next one to list, where they are. */
  const open = [{ nodes: (await loadFolder(source, treeId, at)).nodes, next: 0, at }];
  while (open.length > 0) {
    const folder = open.at(-1)!;
    const node = folder.nodes[folder.next++];
    if (node === undefined) {
      open.pop();
      continue;
    }
    const path = `${folder.at.path}/${node.name}`;
    yield entryOf(path, node);
    if (node.type === "dir" && node.subtree) {
      const below = { root: folder.at.root, path };
      open.push({ nodes: (await loadFolder(source, node.subtree, below)).nodes, next: 0, at: below });
    }
  }
}

function entryOf(path: string, node: TreeNode): ListedEntry {
  return {
    path,
    type: node.type,
    mode: node.mode,
    mtime: node.mtime,
    ...(node.mtimeNs ? { mtimeNs: node.mtimeNs } : {}),
    ...(node.size !== undefined ? { size: node.size } : {}),
    ...(node.target !== undefined ? { target: node.target } : {}),
  };
}

/** One difference between two snapshots. */
export interface Change {
  change: "added" | "removed" | "modified";
  path: string;
}

/**
 * Yields what differs between the trees of two snapshots, `a` and `b` their root trees; identical subtrees
 * are skipped without being read.
 *
 * @throws {UnreadableFolderError} when the tree of a folder to compare cannot be read (after the changes
 * before it).
 */
export function diffTrees(source: TreeLoader, a: BlobId, b: BlobId): AsyncGenerator<Change> {
  return diffFolders(source, { a, b }, a, b, "");
}

/** Two folders being compared: their entries by name, the names of both in order, the next one to compare. */
interface ComparedFolders {
  left: Map<string, TreeNode>;
  right: Map<string, TreeNode>;
  names: string[];
  next: number;
  prefix: string;
}

/** Iterative, not recursive, as {@link walk}: one frame per folder on the current path. */
async function* diffFolders(
  source: TreeLoader,
  roots: { a: BlobId; b: BlobId },
  a: BlobId,
  b: BlobId,
  prefix: string,
): AsyncGenerator<Change> {
  const compare = async (a: BlobId, b: BlobId, prefix: string): Promise<ComparedFolders> => {
    const left = new Map(
      (await loadFolder(source, a, { root: roots.a, path: prefix })).nodes.map((n) => [n.name, n]),
    );
    const right = new Map(
      (await loadFolder(source, b, { root: roots.b, path: prefix })).nodes.map((n) => [n.name, n]),
    );
    return { left, right, names: [...new Set([...left.keys(), ...right.keys()])].sort(), next: 0, prefix };
  };
  const open: ComparedFolders[] = a === b ? [] : [await compare(a, b, prefix)];
  while (open.length > 0) {
    const folders = open.at(-1)!;
    const name = folders.names[folders.next++];
    if (name === undefined) {
      open.pop();
      continue;
    }
    const before = folders.left.get(name);
    const after = folders.right.get(name);
    const path = `${folders.prefix}/${name}`;
    if (!before) yield* everything("added", source, after!, { root: roots.b, path });
    else if (!after) yield* everything("removed", source, before, { root: roots.a, path });
    else if (before.type === "dir" && after.type === "dir") {
      if (folderChanged(before, after)) yield { change: "modified", path };
      // Identical subtrees are skipped without being read.
      if (before.subtree !== after.subtree) open.push(await compare(before.subtree!, after.subtree!, path));
    } else {
      if (differs(before, after)) yield { change: "modified", path };
      // A folder that became a file (or the other way round): what was in it went, or came.
      if (before.type === "dir") yield* everything("removed", source, before, { root: roots.a, path }, false);
      if (after.type === "dir") yield* everything("added", source, after, { root: roots.b, path }, false);
    }
  }
}

/**
 * `node` at `at` (unless `self` is false) and everything below it, all added or all removed: depth first,
 * with a stack of its own.
 */
async function* everything(
  change: "added" | "removed",
  source: TreeLoader,
  node: TreeNode,
  at: FolderAt,
  self = true,
): AsyncGenerator<Change> {
  const pending = [{ node, at }];
  while (pending.length > 0) {
    const { node, at } = pending.pop()!;
    if (self) yield { change, path: at.path };
    self = true;
    if (node.type !== "dir" || !node.subtree) continue;
    const children = (await loadFolder(source, node.subtree, at)).nodes;
    for (let i = children.length - 1; i >= 0; i--) {
      pending.push({ node: children[i]!, at: { root: at.root, path: `${at.path}/${children[i]!.name}` } });
    }
  }
}

/**
 * A folder's own change: its mode or owner. Not its time alone: that changes whenever an entry is added,
 * removed or renamed (listed themselves), and for the folders above a source whenever anything happens
 * in them, such as in /tmp.
 */
function folderChanged(a: TreeNode, b: TreeNode): boolean {
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || xattrsOf(a) !== xattrsOf(b);
}

/** Whether two entries differ in anything a restore would set: times to the nanosecond, xattrs included. */
function differs(a: TreeNode, b: TreeNode): boolean {
  return a.type !== b.type || a.mode !== b.mode || a.mtime !== b.mtime ||
    (a.mtimeNs ?? 0) !== (b.mtimeNs ?? 0) || a.target !== b.target || a.uid !== b.uid || a.gid !== b.gid ||
    a.rdev !== b.rdev || xattrsOf(a) !== xattrsOf(b) || (a.content ?? []).join() !== (b.content ?? []).join();
}

/** A node's extended attributes as one comparable string (a tree lists them sorted by name: docs/format.md#trees). */
function xattrsOf(node: TreeNode): string {
  return JSON.stringify(node.xattrs ?? []);
}
