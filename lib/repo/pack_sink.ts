// Collects sealed blobs into packs, stores full packs, and writes index files for what it stored.
// Order of writes (docs/format.md#write-order): a pack is stored before any index names it, and every
// index is stored before the snapshot that needs it.

import { toHex } from "../crypto/mod.ts";
import type { Backend } from "../backends/mod.ts";
import type { BlobType } from "./blob.ts";
import type { MasterIndex } from "./master_index.ts";
import { IndexText } from "./_index_text.ts";
import { PackBuilder, type PackEntry, PackWriter } from "./pack.ts";
import type { PackId } from "./types.ts";

/** Target size of a pack file. */
export const PACK_SIZE = 16 * 1024 * 1024;
/** Packs per index file written during a backup. */
const PACKS_PER_INDEX = 32;
/**
 * Blobs per index file, at most: packs of small files hold ~20,000 blobs each, and 32 of them (their entries
 * and then the index file's text) held ~200 MiB until the index file was written.
 */
const BLOBS_PER_INDEX = 50_000;
/**
 * An index file is written at the latest this long after the first pack it would name was stored, so that a
 * backup killed at any moment leaves at most a minute of its data unindexed (the next backup reuses the rest).
 */
const INDEX_EVERY_MS = 60_000;
/** Packs being stored at once, besides the one being filled. */
const UPLOADS_IN_FLIGHT = 1;
/** Room above PACK_SIZE for the pack's header: 41 bytes a blob, so 1 MiB fits 25,000 blobs. */
const HEADER_ROOM = 1024 * 1024;
/** Blobs gathered before a write, where packs are written through (`capabilities.writeThrough`). */
const STAGING_BYTES = 1024 * 1024;

/** A pack being filled: in memory (then `put`), or written through as it fills. */
type OpenPack = PackBuilder | PackWriter;

/** Called when a blob's bytes are in a pack (or turned out to be duplicates), to release back-pressure. */
export type Release = () => void;

/** What a {@linkcode PackSink} writes through: made by `Repository.packSink()`. */
export interface PackStore {
  backend: Backend;
  /** Seals each pack's header. */
  encryptKey: Uint8Array;
  /** Learns every pack once it is stored; answers which blobs exist already. */
  index: MasterIndex;
  /** Seals and stores an index file, given as its JSON text. */
  writeIndex(text: Uint8Array): Promise<unknown>;
  /**
   * Store blobs the index has already (prune's repack copies them to new packs): only blobs added through
   * this sink are skipped as duplicates.
   */
  copies?: boolean;
  /** Told a tree pack's id just before it is stored (a metadata cache then keeps a copy as it goes up). */
  storingTreePack?(id: PackId): void;
}

/** Packs blobs for one repository; dedups against the index and everything added through it. */
export class PackSink {
  #store: PackStore;
  /** The pack each type's blobs go to; opened with its first blob. */
  #packs: Record<BlobType, OpenPack | undefined> = { data: undefined, tree: undefined };
  /**
   * Pack buffers whose upload finished, for the next packs of their type: a fresh 17 MiB buffer per pack is
   * freed only when V8 next collects its old space, so a large backup held several at once.
   */
  #spareBuffers: Record<BlobType, Uint8Array[]> = { data: [], tree: [] };
  /** Where packs that are written through gather blobs between writes, per type. */
  #staging: Record<BlobType, Uint8Array | undefined> = { data: undefined, tree: undefined };
  /**
   * Ids added in this run whose packs are not in the index yet; the index answers for the rest (a set of
   * every id a large backup adds would cost ~110 bytes a blob, on top of the index).
   */
  #added = new Set<string>();
  #uploads = new Set<Promise<void>>();
  #unindexed = new IndexText();
  /** When the oldest pack not yet in an index file was stored (performance.now()). */
  #unindexedSince = 0;
  /** Per type: the last add still waiting for a pack to close; later adds of the type queue behind it. */
  #waiting: Record<BlobType, Promise<void> | undefined> = { data: undefined, tree: undefined };
  #failure: unknown;
  /** Blobs and sealed bytes added to the repository. */
  addedBlobs = 0;
  addedBytes = 0;

  constructor(store: PackStore) {
    this.#store = store;
  }

  /**
   * The pack `type`'s next blob goes to. Packs are written through where the backend can (a local folder):
   * two 17 MiB pack buffers (one filling, one being stored) become a 1 MiB staging buffer per type. Elsewhere
   * they are built in reused buffers and stored with `put` (a writer that gathers would copy each pack once
   * more, into fresh memory).
   */
  #pack(type: BlobType): OpenPack {
    const open = this.#packs[type];
    if (open) return open;
    const backend = this.#store.backend;
    let pack: OpenPack;
    if (backend.capabilities.writeThrough) {
      // One pack of a type is written at a time, and finishing it frees its staging buffer: one per type
      // serves them all. (Tree packs were built in memory: ~6 MiB of a backup of 100,000 small files,
      // 17-34 MiB of a million's.)
      pack = new PackWriter(
        backend.openWriter("data"),
        this.#staging[type] ??= new Uint8Array(STAGING_BYTES),
      );
    } else {
      // Built in memory, a pack gets its whole buffer at once: grown by doubling from 1 MiB it passed through
      // 1 + 2 + … + 32 MiB (the header of a full pack overflows 16), and memory is only touched as it fills.
      pack = new PackBuilder(this.#spareBuffer(type));
    }
    return this.#packs[type] = pack;
  }

  #spareBuffer(type: BlobType): Uint8Array {
    return this.#spareBuffers[type].pop() ?? new Uint8Array(PACK_SIZE + HEADER_ROOM);
  }

  /** True when the repository has the blob or it was added in this run. */
  has(id: string): boolean {
    // Most calls come from unchanged files, while nothing is pending: hashing their ids' strings for an
    // empty set cost as much as the index lookup.
    return (this.#added.size !== 0 && this.#added.has(id)) ||
      (!this.#store.copies && this.#store.index.has(id));
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
    if (!this.#waiting[type] && this.#fits(type, sealed.length)) {
      // Most blobs: into the open pack at once, with no closure (a tree of small files adds millions).
      let released = false;
      try {
        this.#addNow(type, id, sealed, rawLength);
        released = true;
        release?.();
      } catch (error) {
        this.#failure ??= error; // see fail() below
        if (!released) release?.();
        throw error;
      }
      return undefined;
    }
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

  /** True when a blob of `length` sealed bytes goes into `type`'s open pack without closing it first. */
  #fits(type: BlobType, length: number): boolean {
    return (this.#packs[type]?.size ?? 0) + length <= PACK_SIZE;
  }

  /** Number of blobs added in this run whose packs are not in the index yet. */
  get unindexedBlobs(): number {
    return this.#added.size;
  }

  /** Settles once every blob of `type` added so far is in a pack (undefined: they all are). */
  added(type: BlobType): Promise<void> | undefined {
    return this.#waiting[type];
  }

  /**
   * Stores a blob unless it is known, then calls `release`; when the open pack is too full for it, first
   * waits for the pack to close (and returns that promise; `release` is called after).
   */
  #addNow(
    type: BlobType,
    id: Uint8Array,
    sealed: Uint8Array,
    rawLength: number,
    release?: Release,
  ): Promise<void> | undefined {
    this.#throwIfFailed();
    const hex = toHex(id);
    // The index asked by bytes: decoding the hex back costs more than the lookup (a blob per small file).
    if (this.#added.has(hex) || (!this.#store.copies && this.#store.index.hasIdBytes(id))) {
      release?.();
      return undefined;
    }
    this.#added.add(hex); // before waiting, so that a later add of the same blob skips it
    // A pack closes before the blob that would take it past PACK_SIZE, so its buffer never grows.
    if (!this.#fits(type, sealed.length)) {
      return this.#flush(type).then(() => this.#putInPack(type, id, sealed, rawLength, release));
    }
    this.#putInPack(type, id, sealed, rawLength, release);
    return undefined;
  }

  #putInPack(type: BlobType, id: Uint8Array, sealed: Uint8Array, rawLength: number, release?: Release): void {
    this.#pack(type).add(type, id, sealed, rawLength);
    this.addedBlobs++;
    this.addedBytes += sealed.length;
    release?.();
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
    const pack = this.#packs[type];
    if (!pack || pack.count === 0) return;
    while (this.#uploads.size >= UPLOADS_IN_FLIGHT) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    this.#packs[type] = undefined;
    const key = this.#store.encryptKey;
    const backend = this.#store.backend;
    let id: PackId;
    let entries: PackEntry[];
    let store: () => Promise<void>;
    if (pack instanceof PackWriter) {
      try {
        ({ id, entries } = pack.finish(key));
      } catch (error) {
        await pack.abort(); // writing its end failed: drop the temporary file
        throw error;
      }
      store = () => pack.commit(id);
    } else {
      const built = pack.finish(key);
      ({ id, entries } = built);
      store = async () => {
        if (type === "tree") this.#store.storingTreePack?.(id);
        await backend.put({ kind: "data", name: id }, built.bytes);
        // Stored (a backend's put keeps no reference to the bytes): the buffer serves the next pack.
        this.#spareBuffers[type].push(new Uint8Array(built.bytes.buffer));
      };
    }
    const upload = (async () => {
      await store();
      this.#store.index.addPack(id, entries);
      // A copying sink keeps its ids: the index cannot tell its blobs from the ones they copy.
      if (!this.#store.copies) { for (const entry of entries) this.#added.delete(entry.id); }
      if (this.#unindexed.packs === 0) this.#unindexedSince = performance.now();
      this.#unindexed.addPack(id, entries);
      if (
        this.#unindexed.packs >= PACKS_PER_INDEX || this.#unindexed.blobs >= BLOBS_PER_INDEX ||
        performance.now() - this.#unindexedSince >= INDEX_EVERY_MS
      ) {
        await this.#writeIndex();
      }
    })().catch((error) => {
      this.#failure ??= error;
    });
    this.#uploads.add(upload);
    upload.finally(() => this.#uploads.delete(upload));
  }

  /**
   * For a backup that failed: drops the packs still being filled (nothing names them) and waits for the
   * packs being stored, so that no file operation outlives the backup (a process that exits at once would
   * leave their temporary files behind).
   */
  async discard(): Promise<void> {
    // Blobs still coming from the workers must not open new packs now.
    this.#failure ??= new Error("the backup was abandoned");
    for (const type of ["data", "tree"] as const) {
      const pack = this.#packs[type];
      this.#packs[type] = undefined;
      if (pack instanceof PackWriter) await pack.abort();
    }
    await Promise.allSettled(this.#uploads);
  }

  /**
   * For a backup that is being interrupted: drops the packs still being filled (as {@link discard}: the
   * process ends next, and would leave their temporary files, up to a pack each, for a day), waits for the
   * packs being stored, then writes the index file of every pack stored, so that the next backup finds
   * their blobs instead of storing them again.
   */
  async checkpoint(): Promise<void> {
    await this.discard();
    await this.#writeIndex();
  }

  async #writeIndex(): Promise<void> {
    const text = this.#unindexed.take();
    if (text) await this.#store.writeIndex(text);
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
