/**
 * Reading snapshots without restoring them: list the entries below a path, compare two snapshots.
 *
 * @module
 */

import { type BlobId, type NodeType, type Repository, resolveTreePath, type TreeNode } from "../repo/mod.ts";

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

/** Lists every entry at and below `path` in a snapshot's tree, depth first, in name order. */
export async function* listTree(
  repository: Repository,
  root: BlobId,
  path = "/",
): AsyncGenerator<ListedEntry> {
  const { parts, node } = await resolveTreePath((id) => repository.loadTree(id), root, path);
  const prefix = parts.map((part) => `/${part}`).join("");
  if (node) yield entryOf(prefix, node);
  if (node && node.type !== "dir") return;
  const treeId = node ? node.subtree : root;
  if (treeId === undefined) return;
  yield* walk(repository, treeId, prefix);
}

async function* walk(repository: Repository, treeId: BlobId, prefix: string): AsyncGenerator<ListedEntry> {
  for (const node of (await repository.loadTree(treeId)).nodes) {
    const path = `${prefix}/${node.name}`;
    yield entryOf(path, node);
    if (node.type === "dir" && node.subtree) yield* walk(repository, node.subtree, path);
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

/** Yields what differs between two trees; identical subtrees are skipped without being read. */
export async function* diffTrees(
  repository: Repository,
  a: BlobId,
  b: BlobId,
  prefix = "",
): AsyncGenerator<Change> {
  if (a === b) return;
  const left = new Map((await repository.loadTree(a)).nodes.map((n) => [n.name, n]));
  const right = new Map((await repository.loadTree(b)).nodes.map((n) => [n.name, n]));
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  for (const name of names) {
    const before = left.get(name);
    const after = right.get(name);
    const path = `${prefix}/${name}`;
    if (!before) yield* everything("added", repository, after!, path);
    else if (!after) yield* everything("removed", repository, before, path);
    else if (before.type === "dir" && after.type === "dir") {
      if (folderChanged(before, after)) yield { change: "modified", path };
      yield* diffTrees(repository, before.subtree!, after.subtree!, path);
    } else if (differs(before, after)) yield { change: "modified", path };
  }
}

async function* everything(
  change: "added" | "removed",
  repository: Repository,
  node: TreeNode,
  path: string,
): AsyncGenerator<Change> {
  yield { change, path };
  if (node.type === "dir" && node.subtree) {
    for (const child of (await repository.loadTree(node.subtree)).nodes) {
      yield* everything(change, repository, child, `${path}/${child.name}`);
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
