/**
 * A repository: config, keys, index, and typed access to blobs and metadata files over a backend
 * (docs/format.md).
 *
 * @module
 */

import type { Backend, FileKind } from "../backends/mod.ts";
import { blobIdBytes, randomBytes, sha256Hex, toHex } from "../crypto/mod.ts";
import { IntegrityError, NotFoundError, UserError } from "../errors.ts";
import { blobReadError, decodeBlob, encodeBlob, openBlob } from "./blob.ts";
import { addKey, type KeyMeta, type MasterKeys, newMasterKeys, unlock } from "./keys.ts";
import { type IndexFile, MasterIndex } from "./master_index.ts";
import type { Snapshot, Tree } from "./types.ts";

/** The repository config file (plain JSON: readable without a password). */
export interface RepositoryConfig {
  format: "kept";
  version: 1;
  id: string;
  created: string;
  chunker: { minSize: number; avgSize: number; maxSize: number };
}

/** kept's chunker parameters for format v1: min 256 KiB, average 1 MiB, max 8 MiB (frozen: shared by every new repository). */
export const CHUNKER_V1 = Object.freeze({
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 8 * 1024 * 1024,
});

/** A snapshot with its id. */
export interface SnapshotEntry {
  id: string;
  snapshot: Snapshot;
}

/** An open, unlocked repository. */
export class Repository {
  readonly backend: Backend;
  readonly config: RepositoryConfig;
  readonly keys: MasterKeys;
  readonly keyId: string;
  readonly index = new MasterIndex();
  #indexLoaded = false;
  /** Whole packs by id, most recently used last. Promises, so that concurrent readers share one read. */
  #packCache = new Map<string, Promise<Uint8Array>>();
  #packCacheLimit = 0;

  private constructor(backend: Backend, config: RepositoryConfig, keys: MasterKeys, keyId: string) {
    this.backend = backend;
    this.config = config;
    this.keys = keys;
    this.keyId = keyId;
  }

  /** Creates a new repository on an empty backend. Throws when one exists already. */
  static async init(backend: Backend, password: string, meta: KeyMeta): Promise<Repository> {
    if (await backend.stat({ kind: "config", name: "config" })) {
      throw new UserError(`A repository already exists at ${backend.location}`);
    }
    const config: RepositoryConfig = {
      format: "kept",
      version: 1,
      id: toHex(randomBytes(16)),
      created: meta.now.toISOString(),
      chunker: CHUNKER_V1,
    };
    const keys = newMasterKeys();
    // Key first, config last: a config marks a complete repository.
    const keyId = await addKey(backend, config.id, keys, password, meta);
    await backend.put(
      { kind: "config", name: "config" },
      new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"),
    );
    return new Repository(backend, config, keys, keyId);
  }

  /** Opens an existing repository with a password. */
  static async open(backend: Backend, password: string): Promise<Repository> {
    const config = await readConfig(backend);
    const { keyId, keys } = await unlock(backend, config.id, password);
    return new Repository(backend, config, keys, keyId);
  }

  /** The keyed id of a blob's plaintext, as hex. */
  blobId(data: Uint8Array): string {
    return toHex(blobIdBytes(this.keys.id, data));
  }

  /** Loads every index file (once). */
  async loadIndex(): Promise<void> {
    if (this.#indexLoaded) return;
    const names: string[] = [];
    for await (const entry of this.backend.list("index")) names.push(entry.name);
    const files = await mapLimit(names, 8, (name) => this.readMeta<IndexFile>("index", name));
    for (const file of files) this.index.addIndexFile(file);
    this.#indexLoaded = true;
  }

  /** Reads, authenticates and parses a metadata file (index, snapshot). */
  async readMeta<T>(kind: FileKind, name: string): Promise<T> {
    const bytes = await this.backend.get({ kind, name });
    if (sha256Hex(bytes) !== name) throw new IntegrityError(`${kind} file "${name}" does not match its id`);
    const plain = decodeBlob(this.keys.encrypt, bytes);
    if (!plain) throw new IntegrityError(`${kind} file "${name}" cannot be decrypted: damaged or foreign`);
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  }

  /** Seals and stores a metadata file; its name is the SHA-256 of the stored bytes. */
  async writeMeta(kind: FileKind, value: unknown): Promise<string> {
    const sealed = encodeBlob(this.keys.encrypt, new TextEncoder().encode(JSON.stringify(value)));
    const name = sha256Hex(sealed);
    await this.backend.put({ kind, name }, sealed);
    return name;
  }

  /** Keeps up to `packs` whole packs in memory for sequential blob reads (restore, check). */
  cachePacks(packs: number): void {
    this.#packCacheLimit = packs;
    if (packs === 0) this.#packCache.clear();
  }

  /**
   * Loads a blob's plaintext and verifies it against its id. Throws `IntegrityError` for damaged data
   * and `UserError` when the blob is not indexed.
   */
  async loadBlob(id: string): Promise<Uint8Array> {
    const location = this.index.lookup(id);
    if (!location) throw new IntegrityError(`Blob ${id.slice(0, 12)} is not in the index`);
    let sealed: Uint8Array;
    if (this.#packCacheLimit > 0) {
      const pack = await this.#loadPack(location.pack);
      sealed = pack.subarray(location.offset, location.offset + location.length);
      if (sealed.length !== location.length) throw blobReadError.truncatedPack(location.pack);
    } else {
      try {
        sealed = await this.backend.get({ kind: "data", name: location.pack }, {
          offset: location.offset,
          length: location.length,
        });
      } catch (error) {
        if (error instanceof NotFoundError) throw blobReadError.missingPack(id, location.pack);
        throw error;
      }
    }
    const plain = openBlob(this.keys, id, location.rawLength, sealed);
    if (!plain) throw blobReadError.damaged(id, location.pack);
    return plain;
  }

  #loadPack(pack: string): Promise<Uint8Array> {
    const cached = this.#packCache.get(pack);
    if (cached) {
      this.#packCache.delete(pack);
      this.#packCache.set(pack, cached);
      return cached;
    }
    const loading: Promise<Uint8Array> = this.backend.get({ kind: "data", name: pack }).catch((error) => {
      if (this.#packCache.get(pack) === loading) this.#packCache.delete(pack);
      if (error instanceof NotFoundError) throw new IntegrityError(`Pack ${pack.slice(0, 12)} is missing`);
      throw error;
    });
    this.#packCache.set(pack, loading);
    while (this.#packCache.size > this.#packCacheLimit) {
      this.#packCache.delete(this.#packCache.keys().next().value!);
    }
    return loading;
  }

  /** Loads and parses a tree blob. */
  async loadTree(id: string): Promise<Tree> {
    return JSON.parse(new TextDecoder().decode(await this.loadBlob(id))) as Tree;
  }

  /** Reads every snapshot, oldest first. */
  async listSnapshots(): Promise<SnapshotEntry[]> {
    const names: string[] = [];
    for await (const entry of this.backend.list("snapshots")) names.push(entry.name);
    const snapshots = await mapLimit(
      names,
      8,
      async (id) => ({ id, snapshot: await this.readMeta<Snapshot>("snapshots", id) }),
    );
    return snapshots.sort((a, b) =>
      a.snapshot.time.localeCompare(b.snapshot.time) || a.id.localeCompare(b.id)
    );
  }

  /**
   * Finds a snapshot by id, unique id prefix, or `latest`, among the snapshots that match `filter`
   * (one plan's, one host's): `latest` is the newest of those.
   */
  async findSnapshot(ref: string, filter: SnapshotFilter = {}): Promise<SnapshotEntry> {
    const all = (await this.listSnapshots()).filter((entry) => matchesFilter(entry, filter));
    const among = describeFilter(filter);
    if (ref === "latest") {
      const latest = all.at(-1);
      if (!latest) throw new UserError(`No snapshots${among} in ${this.backend.location}`);
      return latest;
    }
    if (!/^[0-9a-f]{1,64}$/.test(ref)) {
      throw new UserError(`Invalid snapshot "${ref}": give an id, a unique id prefix, or "latest"`);
    }
    const matches = all.filter((s) => s.id.startsWith(ref));
    if (matches.length === 0) throw new UserError(`No snapshot "${ref}"${among} in ${this.backend.location}`);
    if (matches.length > 1) {
      throw new UserError(`Snapshot prefix "${ref}" is ambiguous: it matches ${matches.length} snapshots`);
    }
    return matches[0]!;
  }
}

/** Narrows which snapshots {@link Repository.findSnapshot} considers. */
export interface SnapshotFilter {
  plan?: string | undefined;
  host?: string | undefined;
}

/** True when a snapshot is of the filter's plan and from its host (where those are given). */
export function matchesFilter(entry: SnapshotEntry, filter: SnapshotFilter): boolean {
  return (!filter.plan || entry.snapshot.plan === filter.plan) &&
    (!filter.host || entry.snapshot.host === filter.host);
}

function describeFilter(filter: SnapshotFilter): string {
  const parts = [
    ...(filter.plan ? [`of plan "${filter.plan}"`] : []),
    ...(filter.host ? [`from host "${filter.host}"`] : []),
  ];
  return parts.length > 0 ? ` ${parts.join(" ")}` : "";
}

/** Reads the plain config file, with a clear error when the folder is no kept repository. */
export async function readConfig(backend: Backend): Promise<RepositoryConfig> {
  let bytes: Uint8Array;
  try {
    bytes = await backend.get({ kind: "config", name: "config" });
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new UserError(`No kept repository at ${backend.location}`, {
        hint: "create one with `kept init`",
      });
    }
    throw error;
  }
  let config: RepositoryConfig;
  try {
    config = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new IntegrityError(`The config file of ${backend.location} is damaged`);
  }
  if (config.format !== "kept") throw new UserError(`${backend.location} is not a kept repository`);
  if (config.version !== 1) {
    throw new UserError(
      `Repository at ${backend.location} has format version ${config.version}; this kept reads 1`,
    );
  }
  return config;
}

/** Runs `fn` over `items` with at most `limit` promises in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}
