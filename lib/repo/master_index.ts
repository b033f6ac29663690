/**
 * The in-memory index: which pack holds each blob, built from all index files (docs/format.md#index).
 *
 * @module
 */

import { BLOB_TYPE_CODES, BLOB_TYPES, type BlobType } from "./blob.ts";
import type { PackEntry } from "./pack.ts";

/** Where one blob is stored. */
export interface BlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  length: number;
  rawLength: number;
}

/** The content of one index file. */
export interface IndexFile {
  version: 1;
  packs: { id: string; blobs: [number, string, number, number, number][] }[];
}

/** Blob id → location, for every blob in every indexed pack. */
export class MasterIndex {
  #blobs = new Map<string, BlobLocation>();
  #packs = new Map<string, PackEntry[]>();

  /** Number of indexed blobs. */
  get size(): number {
    return this.#blobs.size;
  }

  /** Records the blobs of one pack. A blob already indexed elsewhere keeps its first location. */
  addPack(pack: string, entries: readonly PackEntry[]): void {
    this.#packs.set(pack, [...entries]);
    for (const entry of entries) {
      if (this.#blobs.has(entry.id)) continue;
      this.#blobs.set(entry.id, {
        pack,
        type: entry.type,
        offset: entry.offset,
        length: entry.length,
        rawLength: entry.rawLength,
      });
    }
  }

  /** Adds everything an index file lists. */
  addIndexFile(file: IndexFile): void {
    for (const pack of file.packs) {
      this.addPack(
        pack.id,
        pack.blobs.map(([type, id, offset, length, rawLength]) => ({
          type: BLOB_TYPES[type] ?? "data",
          id,
          offset,
          length,
          rawLength,
        })),
      );
    }
  }

  /** Where a blob is, or undefined. */
  lookup(id: string): BlobLocation | undefined {
    return this.#blobs.get(id);
  }

  /** True when the blob is indexed. */
  has(id: string): boolean {
    return this.#blobs.has(id);
  }

  /** Ids of every indexed pack. */
  packIds(): IterableIterator<string> {
    return this.#packs.keys();
  }

  /** The entries of one pack, as indexed. */
  packEntries(pack: string): readonly PackEntry[] | undefined {
    return this.#packs.get(pack);
  }

  /** All blob ids. */
  blobIds(): IterableIterator<string> {
    return this.#blobs.keys();
  }
}

/** Serializes packs and their entries as an index file. */
export function toIndexFile(packs: Iterable<{ id: string; entries: readonly PackEntry[] }>): IndexFile {
  const file: IndexFile = { version: 1, packs: [] };
  for (const pack of packs) {
    file.packs.push({
      id: pack.id,
      blobs: pack.entries.map((e) => [BLOB_TYPE_CODES[e.type], e.id, e.offset, e.length, e.rawLength]),
    });
  }
  return file;
}
