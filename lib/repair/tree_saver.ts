// Stores the trees of repaired snapshots through a pack sink, as a backup stores its trees; in a dry run it
// only works out their ids.

import { toHex } from "../crypto/mod.ts";
import { asBlobId, type BlobId, type PackSink, type Tree } from "../repo/mod.ts";
import type { TreeSaver } from "./repair_snapshots.ts";

/** What saving a tree needs of a repository. */
export interface TreeStore {
  blobIdBytes(data: Uint8Array): Uint8Array;
  sealBlob(data: Uint8Array): Uint8Array;
}

/** Saves trees into `sink` (none: a dry run, ids only); a tree already stored is not stored again. */
export function sinkTreeSaver(store: TreeStore, sink: PackSink | undefined): TreeSaver {
  return {
    async saveTree(tree: Tree): Promise<BlobId> {
      const bytes = new TextEncoder().encode(JSON.stringify(tree));
      const idBytes = store.blobIdBytes(bytes);
      const id = asBlobId(toHex(idBytes));
      if (sink !== undefined && !sink.has(id)) {
        await sink.add("tree", idBytes, store.sealBlob(bytes), bytes.length);
      }
      return id;
    },
  };
}
