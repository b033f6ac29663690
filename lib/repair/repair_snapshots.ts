/**
 * `kept repair snapshots`: writes a new snapshot in place of each one that needs data the repository no
 * longer holds (after `repair index` dropped a lost pack's blobs). A folder whose tree cannot be read
 * becomes an empty folder; a file whose content needs a blob no index names keeps the part before the first
 * such blob. The new snapshot keeps the old one's time, plan and host, carries the tag `repaired` and names
 * the snapshot it replaces (`repairedFrom`); its files, folders and bytes are counted again from what it
 * keeps (the other stats are the original backup's). The old one is removed only when asked (`--forget`),
 * after its replacement is stored. Whether a data blob is
 * there is decided by the index alone: run `repair index` first (docs/repair.md).
 *
 * @module
 */

import { IntegrityError } from "../errors.ts";
import {
  asSnapshotId,
  type BlobId,
  type BlobLocation,
  type Snapshot,
  type SnapshotEntry,
  type SnapshotId,
  type Tree,
  type TreeNode,
} from "../repo/mod.ts";

/** The tag a repaired snapshot carries. */
export const REPAIRED_TAG = "repaired";

/** What repairing snapshots reads. */
export interface SnapshotRepairSource {
  readonly index: { lookup(id: string): BlobLocation | undefined };
  /** Loads a tree; throws an `IntegrityError` when it is not indexed, its pack is gone, or it is damaged. */
  loadTree(id: BlobId): Promise<Tree>;
}

/** Stores trees (or, in a dry run, only works out their ids). */
export interface TreeSaver {
  saveTree(tree: Tree): Promise<BlobId>;
}

/** One loss, at a path relative to the snapshot's root (folders joined with "/"). */
export interface Loss {
  path: string;
  /** "folder": its tree could not be read, it is empty now; "file": its content was cut. */
  kind: "folder" | "file";
  /** For a file: the bytes it had, and the bytes it keeps. */
  bytes?: { had: number; kept: number };
}

/** What happened to one snapshot. */
export interface SnapshotRepair {
  id: SnapshotId;
  time: string;
  plan: string;
  losses: Loss[];
  /** The snapshot to write in its place: its trees are saved, it is not. */
  replacement: Snapshot;
}

/** A tree's rewrite: its new id, what it lost (paths relative to it), and what it holds below it. */
interface Rewritten {
  id: BlobId;
  losses: Loss[];
  contents: Contents;
}

/** What a snapshot's stats count of a tree: its folders and regular files, at every depth, and their bytes. */
interface Contents {
  files: number;
  dirs: number;
  bytes: number;
}

/**
 * Works out the repair of `snapshots`, saving the trees their replacements need through `saver`: one entry
 * per snapshot that lost something, with the snapshot to write in its place ({@linkcode storeRepairs}).
 */
export async function repairSnapshots(
  source: SnapshotRepairSource,
  saver: TreeSaver,
  snapshots: readonly SnapshotEntry[],
): Promise<SnapshotRepair[]> {
  const rewriter = new TreeRewriter(source, saver);
  const repairs: SnapshotRepair[] = [];
  for (const { id, snapshot } of snapshots) {
    const rewritten = await rewriter.rewrite(snapshot.tree);
    if (rewritten.losses.length === 0) continue;
    repairs.push({
      id,
      time: snapshot.time,
      plan: snapshot.plan,
      losses: rewritten.losses,
      replacement: {
        ...snapshot,
        stats: { ...snapshot.stats, ...rewritten.contents },
        tree: rewritten.id,
        tags: [...snapshot.tags.filter((tag) => tag !== REPAIRED_TAG), REPAIRED_TAG],
        repairedFrom: id,
      },
    });
  }
  return repairs;
}

/** Where repaired snapshots go. */
export interface SnapshotRepairTarget {
  writeMeta(kind: "snapshots", value: Snapshot): Promise<string>;
  removeSnapshot(id: SnapshotId): Promise<void>;
}

/**
 * Writes each replacement (once the trees it names are stored), then, with `forget`, removes the snapshot
 * it replaces. Returns the new snapshots' ids, in the order of `repairs`.
 */
export async function storeRepairs(
  target: SnapshotRepairTarget,
  repairs: readonly SnapshotRepair[],
  options: { forget?: boolean } = {},
): Promise<SnapshotId[]> {
  const written: SnapshotId[] = [];
  for (const repair of repairs) {
    written.push(asSnapshotId(await target.writeMeta("snapshots", repair.replacement)));
    if (options.forget) await target.removeSnapshot(repair.id);
  }
  return written;
}

/** Rewrites trees without what is lost, each tree once (snapshots share most of theirs). */
class TreeRewriter {
  readonly #source: SnapshotRepairSource;
  readonly #saver: TreeSaver;
  readonly #done = new Map<BlobId, Promise<Rewritten>>();
  #emptyTree: Promise<BlobId> | undefined;

  constructor(source: SnapshotRepairSource, saver: TreeSaver) {
    this.#source = source;
    this.#saver = saver;
  }

  rewrite(id: BlobId): Promise<Rewritten> {
    let rewritten = this.#done.get(id);
    if (rewritten === undefined) {
      rewritten = this.#rewrite(id);
      this.#done.set(id, rewritten);
    }
    return rewritten;
  }

  async #rewrite(id: BlobId): Promise<Rewritten> {
    let tree: Tree;
    try {
      tree = await this.#source.loadTree(id);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      this.#emptyTree ??= this.#saver.saveTree({ nodes: [] });
      const contents = { files: 0, dirs: 0, bytes: 0 };
      return { id: await this.#emptyTree, losses: [{ path: "", kind: "folder" }], contents };
    }
    const losses: Loss[] = [];
    const nodes: TreeNode[] = [];
    const contents = { files: 0, dirs: 0, bytes: 0 };
    for (const node of tree.nodes) {
      const { node: kept, losses: below, contents: under } = await this.#rewriteNode(node);
      nodes.push(kept);
      for (const loss of below) {
        losses.push({ ...loss, path: loss.path ? `${node.name}/${loss.path}` : node.name });
      }
      if (kept.type === "dir") contents.dirs++;
      if (kept.type === "file") {
        contents.files++;
        contents.bytes += kept.size ?? 0;
      }
      if (under) {
        contents.files += under.files;
        contents.dirs += under.dirs;
        contents.bytes += under.bytes;
      }
    }
    if (losses.length === 0) return { id, losses, contents };
    return { id: await this.#saver.saveTree({ ...tree, nodes }), losses, contents };
  }

  async #rewriteNode(node: TreeNode): Promise<{ node: TreeNode; losses: Loss[]; contents?: Contents }> {
    if (node.subtree !== undefined) {
      const rewritten = await this.rewrite(node.subtree);
      return {
        node: rewritten.losses.length ? { ...node, subtree: rewritten.id } : node,
        losses: rewritten.losses,
        contents: rewritten.contents,
      };
    }
    if (node.content === undefined) return { node, losses: [] };
    const lost = node.content.findIndex((blob) => this.#source.index.lookup(blob) === undefined);
    if (lost < 0) return { node, losses: [] };
    const content = node.content.slice(0, lost);
    const kept = content.reduce((sum, blob) => sum + this.#source.index.lookup(blob)!.rawLength, 0);
    const loss: Loss = { path: "", kind: "file", bytes: { had: node.size ?? 0, kept } };
    return { node: { ...node, content, size: kept }, losses: [loss] };
  }
}
