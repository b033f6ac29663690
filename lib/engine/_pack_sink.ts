// Collects sealed blobs into packs, stores full packs, and writes index files for what it stored.
// Order of writes (docs/format.md#write-order): a pack is stored before any index names it, and every
// index is stored before the snapshot that needs it.

import { toHex } from "../crypto/mod.ts";
import type { BlobType } from "../repo/blob.ts";
import { toIndexFile } from "../repo/master_index.ts";
import { PackBuilder, type PackEntry } from "../repo/pack.ts";
import type { Repository } from "../repo/repository.ts";

/** Target size of a pack file. */
export const PACK_SIZE = 16 * 1024 * 1024;
/** Packs per index file written during a backup. */
const PACKS_PER_INDEX = 32;
/** Packs being stored at once. */
const UPLOADS_IN_FLIGHT = 2;

/** Called when a blob's bytes are stored (or turned out to be duplicates), to release back-pressure. */
export type Release = () => void;

/** Packs blobs for one repository; dedups against the index and everything added through it. */
export class PackSink {
  #repository: Repository;
  #builders: Record<BlobType, PackBuilder> = { data: new PackBuilder(), tree: new PackBuilder() };
  #releases: Record<BlobType, Release[]> = { data: [], tree: [] };
  #added = new Set<string>();
  #uploads = new Set<Promise<void>>();
  #unindexed: { id: string; entries: PackEntry[] }[] = [];
  #failure: unknown;
  /** Blobs and sealed bytes added to the repository. */
  addedBlobs = 0;
  addedBytes = 0;

  constructor(repository: Repository) {
    this.#repository = repository;
  }

  /** True when the repository has the blob or it was added in this run. */
  has(id: string): boolean {
    return this.#added.has(id) || this.#repository.index.has(id);
  }

  /** Adds a sealed blob unless it is known; `release` runs once its bytes are stored or dropped. */
  async add(type: BlobType, id: Uint8Array, sealed: Uint8Array, rawLength: number, release?: Release) {
    this.#throwIfFailed();
    const hex = toHex(id);
    if (this.has(hex)) {
      release?.();
      return;
    }
    this.#added.add(hex);
    const builder = this.#builders[type];
    builder.add(type, id, sealed, rawLength);
    if (release) this.#releases[type].push(release);
    this.addedBlobs++;
    this.addedBytes += sealed.length;
    if (builder.size >= PACK_SIZE) await this.#flush(type);
  }

  async #flush(type: BlobType): Promise<void> {
    const builder = this.#builders[type];
    if (builder.count === 0) return;
    const releases = this.#releases[type];
    this.#builders[type] = new PackBuilder();
    this.#releases[type] = [];
    while (this.#uploads.size >= UPLOADS_IN_FLIGHT) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    const pack = builder.finish(this.#repository.keys.encrypt);
    const upload = (async () => {
      await this.#repository.backend.put({ kind: "data", name: pack.id }, pack.bytes);
      this.#repository.index.addPack(pack.id, pack.entries);
      this.#unindexed.push({ id: pack.id, entries: pack.entries });
      for (const release of releases) release();
      if (this.#unindexed.length >= PACKS_PER_INDEX) await this.#writeIndex();
    })().catch((error) => {
      this.#failure ??= error;
    });
    this.#uploads.add(upload);
    upload.finally(() => this.#uploads.delete(upload));
  }

  async #writeIndex(): Promise<void> {
    const packs = this.#unindexed;
    this.#unindexed = [];
    if (packs.length > 0) await this.#repository.writeMeta("index", toIndexFile(packs));
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Stores every pending pack and the index files naming them. */
  async finish(): Promise<void> {
    await this.#flush("data");
    await this.#flush("tree");
    await Promise.all(this.#uploads);
    this.#throwIfFailed();
    await this.#writeIndex();
  }
}
