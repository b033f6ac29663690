// Writes hand-made trees and snapshots through the repository's own APIs, for snapshots no backup would
// produce (unsafe names, duplicate entries): what an attacker with the password, or a bug, could store.

import { blobIdBytes } from "../../lib/crypto/mod.ts";
import type { PackSink } from "../../lib/repo/pack_sink.ts";
import { encodeBlob } from "../../lib/repo/blob.ts";
import type { Repository } from "../../lib/repo/repository.ts";
import { emptySnapshotStats, type Snapshot, type TreeNode } from "../../lib/repo/types.ts";
import type { BlobId } from "../../lib/repo/mod.ts";

const BASE = { mode: 0o644, mtime: 1_600_000_000_000, uid: 0, gid: 0 };

/** Builds nodes whose blobs go into one pack sink; `snapshot()` stores everything and a snapshot. */
export class SnapshotCrafter {
  #repository: Repository;
  #sink: PackSink;
  #pending: Promise<void>[] = [];

  constructor(repository: Repository) {
    this.#repository = repository;
    this.#sink = repository.packSink();
  }

  /** A file node holding `content`, as one blob. */
  file(name: string, content: string | Uint8Array): TreeNode {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    return { ...BASE, name, type: "file", size: bytes.length, content: [this.#store("data", bytes)] };
  }

  /** A folder node listing `nodes` as given (unsorted, duplicates kept). */
  dir(name: string, nodes: TreeNode[]): TreeNode {
    return { ...BASE, name, type: "dir", mode: 0o755, subtree: this.tree(nodes) };
  }

  /** A symlink node. */
  symlink(name: string, target: string): TreeNode {
    return { ...BASE, name, type: "symlink", mode: 0o777, target };
  }

  /** Stores a tree blob and returns its id. */
  tree(nodes: TreeNode[]): BlobId {
    return this.#store("tree", new TextEncoder().encode(JSON.stringify({ nodes })));
  }

  /** Stores the root tree, every pending blob and index, then a snapshot; returns the snapshot id. */
  async snapshot(nodes: TreeNode[], plan = "crafted"): Promise<string> {
    const tree = this.tree(nodes);
    await Promise.all(this.#pending);
    await this.#sink.finish();
    const snapshot: Snapshot = {
      version: 1,
      time: new Date().toISOString(),
      host: "crafted",
      username: "mallory",
      plan,
      destination: "local",
      tags: [],
      paths: ["/"],
      tree,
      program: "hand-made",
      stats: emptySnapshotStats(),
    };
    return await this.#repository.writeMeta("snapshots", snapshot);
  }

  #store(type: "data" | "tree", bytes: Uint8Array): BlobId {
    const keys = this.#repository.workerKeys();
    const id = this.#repository.blobId(bytes);
    const adding = this.#sink.add(
      type,
      blobIdBytes(keys.id, bytes),
      encodeBlob(keys.encrypt, bytes),
      bytes.length,
    );
    if (adding) this.#pending.push(adding);
    return id;
  }
}
