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
/** Packs being stored at once, besides the one being filled. */
const UPLOADS_IN_FLIGHT = 1;
/** Room above PACK_SIZE for the pack's header: 41 bytes a blob, so 1 MiB fits 25,000 blobs. */
const HEADER_ROOM = 1024 * 1024;

/** Called when a blob's bytes are in a pack (or turned out to be duplicates), to release back-pressure. */
export type Release = () => void;

/** Packs blobs for one repository; dedups against the index and everything added through it. */
export class PackSink {
  #repository: Repository;
  #builders: Record<BlobType, PackBuilder>;
  /** Pack buffers whose upload finished, for the next packs. */
  #spareBuffers: Uint8Array[] = [];
  /**
   * Ids added in this run whose packs are not in the index yet; the index answers for the rest (a set of
   * every id a large backup adds would cost ~110 bytes a blob, on top of the index).
   */
  #added = new Set<string>();
  #uploads = new Set<Promise<void>>();
  #unindexed: { id: string; entries: PackEntry[] }[] = [];
  /** Per type: the last add still waiting for a pack to close; later adds of the type queue behind it. */
  #waiting: Record<BlobType, Promise<void> | undefined> = { data: undefined, tree: undefined };
  #failure: unknown;
  /** Blobs and sealed bytes added to the repository. */
  addedBlobs = 0;
  addedBytes = 0;

  constructor(repository: Repository) {
    this.#repository = repository;
    // Trees are small and rare: their pack grows from 1 MiB as needed.
    this.#builders = { data: this.#newBuilder("data"), tree: this.#newBuilder("tree") };
  }

  #newBuilder(type: BlobType): PackBuilder {
    if (type === "tree") return new PackBuilder();
    return new PackBuilder(this.#spareBuffers.pop() ?? new Uint8Array(PACK_SIZE + HEADER_ROOM));
  }

  /** True when the repository has the blob or it was added in this run. */
  has(id: string): boolean {
    return this.#added.has(id) || this.#repository.index.has(id);
  }

  /**
   * Adds a sealed blob unless it is known, and runs `release` once its bytes are copied into a pack (or
   * it was dropped as a duplicate). Returns undefined when that happened at once, or a promise when the
   * blob waits for a full pack to be closed (while uploads are behind); blobs of one type are always
   * added in call order, so callers need not wait for one add before making the next.
   */
  add(
    type: BlobType,
    id: Uint8Array,
    sealed: Uint8Array,
    rawLength: number,
    release?: Release,
  ): Promise<void> | undefined {
    // A blob that fails is dropped, but its bytes are released all the same (once): a worker waiting for
    // ring space must get to report its files, or the backup would hang instead of failing.
    let released = false;
    const releaseOnce = () => {
      if (!released) {
        released = true;
        release?.();
      }
    };
    const fail = (error: unknown): never => {
      // The id is already marked as added, so later adds of it are skipped: the sink as a whole must fail,
      // or a snapshot could name a blob that no pack holds.
      this.#failure ??= error;
      releaseOnce();
      throw error;
    };
    const waiting = this.#waiting[type];
    let pending: Promise<void> | undefined;
    try {
      pending = waiting
        ? waiting.then(() => this.#addNow(type, id, sealed, rawLength, releaseOnce))
        : this.#addNow(type, id, sealed, rawLength, releaseOnce);
    } catch (error) {
      fail(error);
    }
    return pending && this.#enqueue(type, pending.catch(fail));
  }

  /** Number of blobs added in this run whose packs are not in the index yet. */
  get unindexedBlobs(): number {
    return this.#added.size;
  }

  /** Settles once every blob of `type` added so far is in a pack (undefined: they all are). */
  added(type: BlobType): Promise<void> | undefined {
    return this.#waiting[type];
  }

  #addNow(
    type: BlobType,
    id: Uint8Array,
    sealed: Uint8Array,
    rawLength: number,
    release?: Release,
  ): Promise<void> | undefined {
    this.#throwIfFailed();
    const hex = toHex(id);
    if (this.has(hex)) {
      release?.();
      return undefined;
    }
    this.#added.add(hex); // before waiting, so that a later add of the same blob skips it
    const store = () => {
      this.#builders[type].add(type, id, sealed, rawLength);
      this.addedBlobs++;
      this.addedBytes += sealed.length;
      release?.();
    };
    // A pack closes before the blob that would take it past PACK_SIZE, so its buffer never grows.
    if (this.#builders[type].size + sealed.length > PACK_SIZE) return this.#flush(type).then(store);
    store();
    return undefined;
  }

  /** Makes later adds of `type` wait for `pending`, until it settles. */
  #enqueue(type: BlobType, pending: Promise<void>): Promise<void> {
    this.#waiting[type] = pending;
    const clear = () => {
      if (this.#waiting[type] === pending) this.#waiting[type] = undefined;
    };
    pending.then(clear, clear);
    return pending;
  }

  async #flush(type: BlobType): Promise<void> {
    const builder = this.#builders[type];
    if (builder.count === 0) return;
    while (this.#uploads.size >= UPLOADS_IN_FLIGHT) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    this.#builders[type] = this.#newBuilder(type);
    const pack = builder.finish(this.#repository.keys.encrypt);
    const upload = (async () => {
      await this.#repository.backend.put({ kind: "data", name: pack.id }, pack.bytes);
      if (type === "data") this.#spareBuffers.push(new Uint8Array(pack.bytes.buffer));
      this.#repository.index.addPack(pack.id, pack.entries);
      for (const entry of pack.entries) this.#added.delete(entry.id);
      this.#unindexed.push({ id: pack.id, entries: pack.entries });
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
    await this.#waiting.data;
    await this.#waiting.tree;
    await this.#flush("data");
    await this.#flush("tree");
    await Promise.all(this.#uploads);
    this.#throwIfFailed();
    await this.#writeIndex();
  }
}
