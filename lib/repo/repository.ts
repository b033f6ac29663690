/**
 * A repository: config, keys, index, and typed access to blobs and metadata files over a backend
 * (docs/format.md).
 *
 * @module
 */

import {
  asBackend,
  type Backend,
  CachingBackend,
  type CleanOptions,
  type CleanResult,
  eachLimited,
  type FileEntry,
  type FileKind,
  type RememberedKey,
} from "../backends/mod.ts";
import { blobIdBytes, randomBytes, sha256Hex, toHex } from "../crypto/mod.ts";
import { AlreadyExistsError, IntegrityError, NotFoundError, UsageError, UserError } from "../errors.ts";
import { blobReadError, decodeBlob, encodeBlob, openBlob } from "./blob.ts";
import {
  addKey,
  holdsKeyFile,
  KEY_FILE_MAX_BYTES,
  type KeyMeta,
  type ListedKey,
  listKeys,
  type MasterKeys,
  newMasterKeys,
  type OnSkippedKey,
  openKeyFile,
  unlock,
} from "./keys.ts";
import { type IndexFile, MasterIndex } from "./master_index.ts";
import { IndexFileColumns } from "./_index_file_bytes.ts";
import { PackReader } from "./pack_reader.ts";
import { PackSink } from "./pack_sink.ts";
import { LISTING_LAG_MS, type LockFile, type LockStore } from "./lock.ts";
import {
  type BlobId,
  isStoredFileName,
  type PackId,
  type Snapshot,
  type SnapshotId,
  type Tree,
} from "./types.ts";
import { LruCache } from "../lru_cache.ts";
import { discard } from "../memory.ts";
import { CHUNKER_V1, orphanedKind, readConfig, type RepositoryConfig } from "./config.ts";
import { readBounded } from "./_read_bounded.ts";
import { indexProblem, snapshotProblem } from "./_meta_shapes.ts";
import { compareText } from "../compare_text.ts";

/** A snapshot with its id. */
export interface SnapshotEntry {
  id: SnapshotId;
  snapshot: Snapshot;
}

/** How a new repository is made: who makes it and when, and (for tests) its key cost and randomness. */
export interface InitOptions extends KeyMeta {
  /** Source of the repository id and master keys (default: the system's secure random generator). */
  random?: (length: number) => Uint8Array;
  /** Waits (tests make it instant): see `claimConfig`. */
  sleep?: (ms: number) => Promise<void>;
}

/** How {@linkcode Repository.open} reports what it leaves out and goes on without. */
export interface OpenOptions {
  /** Hears each damaged file left out (one line, naming it); the file is also in `damagedFiles`. */
  onWarning?: ((message: string) => void) | undefined;
  /**
   * The key being derived from a remembered key file ({@link unlockEarly}), started before the storage was
   * reached; `null` when the caller looked and nothing is remembered. Default: the caching backend's
   * remembered key, derived from now.
   */
  early?: EarlyUnlock | null | undefined;
  /**
   * Hears that the password's key derivation starts (scrypt: a fifth of a second of another core): work
   * that would hold up the reads before it (the config, the key files) can start beside it then.
   */
  onKeyDerivation?: (() => void) | undefined;
}

/** The password's key, being derived from the key file that opened a repository last time. */
export interface EarlyUnlock {
  repository: string;
  keyId: string;
  /** Undefined when the password does not open that key file. */
  keys: Promise<MasterKeys | undefined>;
}

/** Starts deriving the password's key from `remembered` (nothing is trusted until `Repository.open` checks). */
export function unlockEarly(
  remembered: RememberedKey | undefined,
  password: string,
  onKeyDerivation?: () => void,
): EarlyUnlock | undefined {
  if (!remembered) return undefined;
  const { repository, keyId, bytes } = remembered;
  return { repository, keyId, keys: openKeyFile(keyId, bytes, repository, password, onKeyDerivation) };
}

/** A metadata file left out because it is damaged, malformed or too large: the rest is used without it. */
export interface DamagedFile {
  kind: "snapshots" | "index" | "keys";
  name: string;
  /** Why, in one line naming the file. */
  reason: string;
  /** For a key file that belongs to another repository: that repository's id. */
  otherRepository?: string;
}

/** What listing snapshots or loading the index does with a damaged file: leave it out, or stop (prune). */
export interface DamagedFilePolicy {
  /** "skip" (default): leave it out with a warning; "fail": throw its `IntegrityError`. */
  damaged?: "skip" | "fail";
}

/** The largest metadata files read (docs/format.md#bounds): bytes as stored. */
export const META_MAX_BYTES: Readonly<Record<"snapshots" | "index" | "locks", number>> = Object.freeze({
  snapshots: 16 * 1024 * 1024,
  index: 512 * 1024 * 1024,
  locks: 64 * 1024,
});

/**
 * An open, unlocked repository. Use cases reach its storage only through what it offers: blobs and trees,
 * metadata files, a {@linkcode PackReader}, a {@linkcode PackSink}, keys management; workers get the keys
 * they need from {@linkcode Repository.workerKeys}.
 */
export class Repository {
  readonly #backend: Backend;
  readonly config: RepositoryConfig;
  readonly #keys: MasterKeys;
  /** The key file this repository was opened with. */
  readonly keyId: string;
  readonly index = new MasterIndex();
  /** Read access to the pack files. */
  readonly packs: PackReader;
  #indexLoaded = false;
  /** The index files {@linkcode loadIndex} read, by name. */
  #indexFiles: string[] = [];
  /** Whole packs by id, most recently used last. Promises, so that concurrent readers share one read. */
  #packCache = new LruCache<PackId, Promise<Uint8Array>>(0);
  #packCacheLimit = 0;
  readonly #onWarning: (message: string) => void;
  readonly #damagedFiles: DamagedFile[] = [];
  /** Run before anything that makes data known or removes it (see {@link guardWrites}). */
  #writeGuard: () => Promise<void> = () => Promise.resolve();

  private constructor(
    backend: Backend,
    config: RepositoryConfig,
    keys: MasterKeys,
    keyId: string,
    options: OpenOptions & { damagedFiles?: DamagedFile[] } = {},
  ) {
    this.#backend = backend;
    this.config = config;
    this.#keys = keys;
    this.keyId = keyId;
    this.packs = new PackReader(backend);
    this.#onWarning = options.onWarning ?? (() => {});
    this.#damagedFiles.push(...options.damagedFiles ?? []);
  }

  /** Creates a new repository on an empty backend. Throws when one exists already. */
  static async init(backend: Backend, password: string, options: InitOptions): Promise<Repository> {
    if (await backend.stat({ kind: "config", name: "config" })) {
      throw new UserError(`A repository already exists at ${backend.location}`);
    }
    const orphaned = await orphanedKind(backend);
    if (orphaned !== undefined) {
      throw new UserError(
        `Not creating a repository at ${backend.location}: it holds the ${orphaned} files of one whose config ` +
          `file is missing, which a new repository would hide`,
        { hint: "put its config file back from a copy, or move these files away to start anew" },
      );
    }
    const { random = randomBytes, sleep = wait, ...meta } = options;
    const config: RepositoryConfig = {
      format: "kept",
      version: 1,
      id: toHex(random(16)),
      created: meta.now.toISOString(),
      chunker: CHUNKER_V1,
    };
    const keys = newMasterKeys(random);
    // Key first, config last: a config marks a complete repository.
    const keyId = await addKey(backend, config.id, keys, password, meta);
    await claimConfig(backend, config, keyId, sleep);
    return new Repository(backend, config, keys, keyId);
  }

  /**
   * Opens an existing repository with a password. Damaged key files are left out with a warning (unless the
   * key remembered from the last run opens it: then the others are not read); so are damaged snapshot and
   * index files, later, as they are read.
   */
  static async open(backend: Backend, password: string, options: OpenOptions = {}): Promise<Repository> {
    const cache = asBackend(backend, CachingBackend);
    // Remote storage takes a tenth of a second or more to connect, sign and answer: the password's key is
    // derived from the key file that opened the repository last time meanwhile, and used only when storage
    // still has that repository and that key file (docs/destinations.md#the-cache).
    const early = options.early === undefined
      ? unlockEarly(await cache?.rememberedKey(), password, options.onKeyDerivation)
      : options.early ?? undefined;
    // Asked beside the config: one round trip less before the key can be used. Around the cache: storage
    // must still hold that key file, intact.
    const keyStored = early && holdsKeyFile(cache?.unwrap() ?? backend, early.keyId);
    keyStored?.catch(() => {}); // awaited below unless the config cannot be read
    const config = await readConfig(backend);
    const damagedFiles: DamagedFile[] = [];
    if (early && early.repository === config.id && await keyStored) {
      const keys = await early.keys;
      if (keys) return new Repository(backend, config, keys, early.keyId, { ...options, damagedFiles });
    }
    const { keyId, keys } = await unlock(
      backend,
      config.id,
      password,
      skippedKey(backend.location, damagedFiles, options),
      options.onKeyDerivation,
    );
    await cache?.rememberKey(config.id, keyId);
    return new Repository(backend, config, keys, keyId, { ...options, damagedFiles });
  }

  /** The stored bytes of the key file this repository was opened with. */
  keyFileBytes(): Promise<Uint8Array> {
    const what = `Key file "${this.keyId}"`;
    return readBounded(this.#backend, { kind: "keys", name: this.keyId }, KEY_FILE_MAX_BYTES, what);
  }

  /** The metadata files left out so far because they are damaged (key files at open; then snapshots, index). */
  get damagedFiles(): readonly DamagedFile[] {
    return this.#damagedFiles;
  }

  /** Records a damaged file (once) and warns about it. */
  #skipDamaged(kind: DamagedFile["kind"], name: string, reason: string): void {
    if (this.#damagedFiles.some((file) => file.kind === kind && file.name === name)) return;
    this.#damagedFiles.push({ kind, name, reason });
    this.#onWarning(leftOut(this.#backend.location, reason));
  }

  /** Where the repository is stored, for messages ("/srv/backup", "s3://host/bucket/prefix"). */
  get location(): string {
    return this.#backend.location;
  }

  /** The keyed id of a blob's plaintext, as hex. */
  blobId(data: Uint8Array): BlobId {
    return toHex(this.blobIdBytes(data)) as BlobId;
  }

  /** The keyed id of a blob's plaintext, as bytes. */
  blobIdBytes(data: Uint8Array): Uint8Array {
    return blobIdBytes(this.#keys.id, data);
  }

  /** Compresses and seals a blob's plaintext as it is stored in a pack. */
  sealBlob(data: Uint8Array): Uint8Array {
    return encodeBlob(this.#keys.encrypt, data);
  }

  /** The keys worker threads need to chunk, seal and verify blobs themselves (never logged or stored). */
  workerKeys(): MasterKeys {
    return this.#keys;
  }

  /**
   * A new writer of blobs into packs and index files (docs/format.md#write-order). With `copies` (prune's
   * repack), blobs the index has already are stored again: only blobs added through this sink are skipped.
   */
  packSink(options: { copies?: boolean } = {}): PackSink {
    return new PackSink({
      backend: this.#backend,
      encryptKey: this.#keys.encrypt,
      index: this.index,
      writeIndex: (text) => this.#writeMetaText("index", text),
      ...(options.copies ? { copies: true } : {}),
      storingTreePack: (id) => asBackend(this.#backend, CachingBackend)?.addTreePack(id),
    });
  }

  /**
   * Removes the temporary files that writers killed mid-write left, if last written more than `olderThanMs`
   * before `options.now`; `dryRun` only reports them. Storage that leaves nothing behind reports nothing.
   */
  removeLeftovers(olderThanMs: number, options: CleanOptions = {}): Promise<CleanResult> {
    return this.#backend.cleanTemporaryFiles(olderThanMs, options);
  }

  /**
   * Every key file of the repository, oldest first; `otherRepository` marks those that opening found to
   * belong to another repository (which it tells only of key files the password opens).
   */
  async listKeys(): Promise<ListedKey[]> {
    const listed = await listKeys(this.#backend, (name, reason) => this.#skipDamaged("keys", name, reason));
    return listed.map((key) => {
      const other = this.#damagedFiles.find((file) => file.kind === "keys" && file.name === key.id)
        ?.otherRepository;
      return other === undefined ? key : { ...key, otherRepository: other };
    });
  }

  /**
   * Seals the master keys under another password as a new key file; returns its id. Call it under an
   * exclusive lock.
   *
   * @throws {UserError} when the key in use was removed since the repository was opened.
   */
  async addKey(password: string, meta: KeyMeta): Promise<string> {
    await this.#checkKeyInUse("add a key");
    return await addKey(this.#backend, this.config.id, this.#keys, password, meta);
  }

  /**
   * Removes a key file; never the one this repository was opened with, so that one key always remains.
   * Call it under an exclusive lock.
   *
   * @throws {UserError} when `id` is the key in use, or the key in use was removed since the repository
   * was opened.
   */
  async removeKey(id: string): Promise<void> {
    const short = id.slice(0, 12);
    if (id === this.keyId) throw new UserError(`Key ${short} is the one in use`);
    // The key in use remains, so the repository keeps a key.
    await this.#checkKeyInUse(`remove key ${short}`);
    await this.#backend.delete({ kind: "keys", name: id });
  }

  /**
   * Changes the password: stores a key file for the new one, then removes the key in use. Killed between
   * the two, both passwords open the repository, and none is lost. Returns the new key's id. Call it under
   * an exclusive lock.
   *
   * @throws {UserError} when the key in use was removed since the repository was opened.
   */
  async changePassword(password: string, meta: KeyMeta): Promise<string> {
    const id = await this.addKey(password, meta);
    await this.#backend.delete({ kind: "keys", name: this.keyId });
    return id;
  }

  /**
   * Refuses to change keys when the key this repository was opened with is no longer stored: another
   * process removed it between our open and our lock, and removing another key now could leave none; nor
   * may a password that was just revoked add a key.
   */
  async #checkKeyInUse(action: string): Promise<void> {
    const listed = await listKeys(this.#backend);
    if (listed.some((key) => key.id === this.keyId)) return;
    throw new UserError(
      `Cannot ${action}: key ${this.keyId.slice(0, 12)}, which the password opened, was removed meanwhile`,
      { hint: "another process changed the keys: run `kept key list` with a password that still works" },
    );
  }

  /**
   * Loads every index file (once). A damaged one is left out with a warning (`policy.damaged` "skip", the
   * default): the blobs only it lists are then unknown, so a backup stores them again and a restore that
   * needs them says so; `kept check` names the snapshots affected.
   *
   * @throws {IntegrityError} for a damaged index file with `damaged: "fail"`; storage errors always.
   */
  async loadIndex(policy: DamagedFilePolicy = {}): Promise<void> {
    if (this.#indexLoaded) return;
    const entries: FileEntry[] = [];
    for await (const entry of storedFiles(this.#backend, "index")) entries.push(entry);
    const names: string[] = [];
    // Each file is added as soon as it and those listed before it are read, and then dropped: holding
    // every parsed file until the last arrived cost 3.6 GiB at ten million blobs, against 1 GiB this way.
    // Files wait for those before them as stored bytes (compressed), and are opened only to be added.
    const columns = new IndexFileColumns();
    await forEachInOrder(
      entries,
      this.#backend.capabilities.connections,
      (entry) =>
        this.#readSealed("index", entry.name, entry.size).catch((error) =>
          this.#leftOut("index", entry.name, policy, error)
        ),
      (sealed, i) => {
        if (sealed === undefined) return;
        const name = entries[i]!.name;
        try {
          this.#addIndexFile(name, sealed, columns);
          names.push(name);
        } catch (error) {
          this.#leftOut("index", name, policy, error);
        }
      },
    );
    this.#indexFiles = names;
    this.#indexLoaded = true;
    this.#cacheTreePacks();
  }

  /** Tells a metadata cache in front of the storage which packs hold trees (it keeps those whole). */
  #cacheTreePacks(): void {
    const cache = asBackend(this.#backend, CachingBackend);
    if (cache === undefined) return;
    const trees: PackId[] = [];
    for (const pack of this.index.packIds()) {
      if (this.index.packType(pack) === "tree") trees.push(pack);
    }
    cache.cacheTreePacks(trees);
  }

  /** The names of the index files {@linkcode loadIndex} read (empty before it ran). */
  get indexFiles(): readonly string[] {
    return this.#indexFiles;
  }

  /**
   * Removes an index file (prune, after the index files that replace it are stored:
   * docs/format.md#prune). A missing one is no error.
   */
  async removeIndexFile(name: string): Promise<void> {
    await this.#writeGuard();
    await this.#backend.delete({ kind: "index", name });
  }

  /**
   * Removes pack files (prune, once no index file names them: docs/format.md#prune), in as few requests
   * as the storage allows. Missing ones are no error.
   */
  async removePacks(ids: readonly PackId[]): Promise<void> {
    await this.#writeGuard();
    await this.#backend.deleteMany("data", ids);
  }

  /**
   * Reads, authenticates and parses a metadata file (index, snapshot, lock) of at most
   * {@linkcode META_MAX_BYTES}; `knownSize` (from a listing) saves asking storage for it.
   *
   * @throws {IntegrityError} when it is too large, does not match its name, or does not open.
   */
  async readMeta<T>(kind: keyof typeof META_MAX_BYTES, name: string, knownSize?: number): Promise<T> {
    return parseMeta<T>(
      `${kind} file "${name}"`,
      this.#openMeta(kind, name, await this.#readSealed(kind, name, knownSize)),
    );
  }

  /** A metadata file's stored bytes, checked against its name. */
  async #readSealed(
    kind: keyof typeof META_MAX_BYTES,
    name: string,
    knownSize?: number,
  ): Promise<Uint8Array> {
    const what = `${kind} file "${name}"`;
    const bytes = await readBounded(this.#backend, { kind, name }, META_MAX_BYTES[kind], what, knownSize);
    if (sha256Hex(bytes) !== name) throw new IntegrityError(`${what} does not match its id`);
    return bytes;
  }

  /** A metadata file's plaintext, from the bytes {@link #readSealed} read. */
  #openMeta(kind: FileKind, name: string, sealed: Uint8Array): Uint8Array {
    const plain = decodeBlob(this.#keys.encrypt, sealed);
    if (!plain) throw new IntegrityError(`${kind} file "${name}" cannot be decrypted: damaged or foreign`);
    return plain;
  }

  /**
   * A listed snapshot or index file, checked against `problem`; undefined when it is damaged and left out,
   * or was removed since it was listed (forget, prune).
   */
  async #readListed<T>(
    kind: "snapshots" | "index",
    entry: FileEntry,
    problem: (value: unknown) => string | undefined,
    policy: DamagedFilePolicy,
  ): Promise<T | undefined> {
    try {
      const value = await this.readMeta<unknown>(kind, entry.name, entry.size);
      const wrong = problem(value);
      if (wrong) throw new IntegrityError(`${kind} file "${entry.name}" is damaged: ${wrong}`);
      return value as T;
    } catch (error) {
      return this.#leftOut(kind, entry.name, policy, error);
    }
  }

  /**
   * Undefined for a listed file that `error` says is damaged and `policy` leaves out, or that was removed
   * since it was listed (forget, prune); throws any other error.
   */
  #leftOut(kind: "snapshots" | "index", name: string, policy: DamagedFilePolicy, error: unknown): undefined {
    if (error instanceof NotFoundError) return undefined;
    if (!(error instanceof IntegrityError) || policy.damaged === "fail") throw error;
    this.#skipDamaged(kind, name, error.message);
    return undefined;
  }

  /**
   * Opens an index file and adds it to the index, or throws IntegrityError when it is damaged. Frees `sealed`
   * (the caller's last use of it) and, once added, the plaintext: see docs/performance.md#the-c-allocator.
   */
  #addIndexFile(name: string, sealed: Uint8Array, columns: IndexFileColumns): void {
    const plain = this.#openMeta("index", name, sealed);
    discard(sealed);
    if (this.index.addIndexFileBytes(plain, columns)) return discard(plain);
    const what = `index file "${name}"`;
    const file = parseMeta<unknown>(what, plain);
    const wrong = indexProblem(file);
    if (wrong) throw new IntegrityError(`${what} is damaged: ${wrong}`);
    this.index.addIndexFile(file as IndexFile);
  }

  /**
   * Runs `guard` before every index file and snapshot is written and before packs, index files or snapshots
   * are removed; when it rejects, that write or removal fails with its error and does not happen. The guard
   * is the lock's: a lock taken optimistically (docs/format.md#locks) must be confirmed before anything
   * makes the data stored under it known (packs alone are leftovers nobody uses; an index file is what
   * later backups deduplicate against), and a lock another process removed as stale no longer protects
   * what this one counts on.
   */
  guardWrites(guard: () => Promise<void>): void {
    this.#writeGuard = guard;
  }

  /**
   * Seals and stores a metadata file; its name is the SHA-256 of the stored bytes. Index files and
   * snapshots wait for the guard {@link guardWrites} set.
   */
  writeMeta(kind: FileKind, value: unknown): Promise<string> {
    return this.#writeMetaText(kind, new TextEncoder().encode(JSON.stringify(value)));
  }

  /** As {@link writeMeta}, given the file's JSON text. */
  async #writeMetaText(kind: FileKind, text: Uint8Array): Promise<string> {
    if (kind === "snapshots" || kind === "index") await this.#writeGuard();
    const sealed = encodeBlob(this.#keys.encrypt, text);
    const name = sha256Hex(sealed);
    await this.#backend.put({ kind, name }, sealed);
    return name;
  }

  /** The lock files (docs/format.md#locks), sealed like other metadata: what lib/repo/lock.ts works on. */
  lockStore(): LockStore {
    const backend = this.#backend;
    return {
      location: backend.location,
      atomicCreate: backend.capabilities.atomicCreate,
      list: () => storedFiles(backend, "locks"),
      read: (name, size) => this.readMeta<LockFile>("locks", name, size),
      write: (lock) => this.writeMeta("locks", lock),
      remove: (name) => backend.delete({ kind: "locks", name }),
    };
  }

  /** Removes a snapshot file (forget). The data it names stays until prune. */
  async removeSnapshot(id: SnapshotId): Promise<void> {
    await this.#writeGuard();
    await this.#backend.delete({ kind: "snapshots", name: id });
    // A damaged file that is gone is no longer left out of anything (prune stops while one is).
    const damaged = this.#damagedFiles.findIndex((file) => file.kind === "snapshots" && file.name === id);
    if (damaged >= 0) this.#damagedFiles.splice(damaged, 1);
  }

  /** Keeps up to `packs` whole packs in memory for sequential blob reads (restore, check). */
  cachePacks(packs: number): void {
    this.#packCacheLimit = packs;
    this.#packCache.resize(packs);
  }

  /**
   * Loads a blob's plaintext and verifies it against its id. Throws `IntegrityError` for damaged data
   * and `UserError` when the blob is not indexed.
   */
  async loadBlob(id: BlobId): Promise<Uint8Array> {
    const location = this.index.lookup(id);
    if (!location) throw blobReadError.notIndexed(id);
    let sealed: Uint8Array;
    if (this.#packCacheLimit > 0) {
      const pack = await this.#loadPack(location.pack);
      sealed = pack.subarray(location.offset, location.offset + location.length);
      if (sealed.length !== location.length) throw blobReadError.truncatedPack(location.pack);
    } else {
      try {
        sealed = await this.#backend.get({ kind: "data", name: location.pack }, {
          offset: location.offset,
          length: location.length,
        });
      } catch (error) {
        if (error instanceof NotFoundError) throw blobReadError.missingPack(id, location.pack);
        throw error;
      }
    }
    const plain = openBlob(this.#keys, id, location.rawLength, sealed);
    if (!plain) throw blobReadError.damaged(id, location.pack);
    return plain;
  }

  #loadPack(pack: PackId): Promise<Uint8Array> {
    const cached = this.#packCache.get(pack);
    if (cached) return cached;
    const loading: Promise<Uint8Array> = this.packs.read(pack).catch((error) => {
      if (this.#packCache.peek(pack) === loading) this.#packCache.delete(pack);
      throw error;
    });
    this.#packCache.set(pack, loading);
    return loading;
  }

  /** Loads and parses a tree blob. */
  async loadTree(id: BlobId): Promise<Tree> {
    return JSON.parse(new TextDecoder().decode(await this.loadBlob(id))) as Tree;
  }

  /**
   * Reads every snapshot, oldest first. A damaged one is left out with a warning (`policy.damaged` "skip",
   * the default), so that one bad file does not stop every command; prune asks for "fail".
   *
   * @throws {IntegrityError} for a damaged snapshot file with `damaged: "fail"`; storage errors always.
   */
  async listSnapshots(policy: DamagedFilePolicy = {}): Promise<SnapshotEntry[]> {
    const entries: FileEntry[] = [];
    for await (const entry of storedFiles(this.#backend, "snapshots")) entries.push(entry);
    const read = await mapLimit(
      entries,
      this.#backend.capabilities.connections,
      (entry) => this.#readListed<Snapshot>("snapshots", entry, snapshotProblem, policy),
    );
    const snapshots: SnapshotEntry[] = [];
    read.forEach((snapshot, i) => {
      if (snapshot) snapshots.push({ id: entries[i]!.name as SnapshotId, snapshot });
    });
    return snapshots.sort((a, b) => compareText(a.snapshot.time, b.snapshot.time) || compareText(a.id, b.id));
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
      if (!latest) throw new UserError(`No snapshots${among} in ${this.#backend.location}`);
      return latest;
    }
    if (!/^[0-9a-f]{1,64}$/.test(ref)) {
      throw new UsageError(`Invalid snapshot "${ref}": give an id, a unique id prefix, or "latest"`);
    }
    const matches = all.filter((s) => s.id.startsWith(ref));
    const damaged = this.#damagedFiles.find((file) => file.kind === "snapshots" && file.name.startsWith(ref));
    if (matches.length === 0 && damaged) throw new IntegrityError(damaged.reason);
    if (matches.length === 0) {
      throw new UserError(`No snapshot "${ref}"${among} in ${this.#backend.location}`);
    }
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

/** An `OnSkippedKey` that records the key file as damaged and warns. */
function skippedKey(location: string, damagedFiles: DamagedFile[], options: OpenOptions): OnSkippedKey {
  return (name, reason, otherRepository) => {
    damagedFiles.push({ kind: "keys", name, reason, ...(otherRepository ? { otherRepository } : {}) });
    options.onWarning?.(leftOut(location, reason));
  };
}

/** A metadata file's plaintext as JSON; `what` names the file. */
function parseMeta<T>(what: string, plain: Uint8Array): T {
  try {
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  } catch {
    throw new IntegrityError(`${what} is damaged: it is not JSON`);
  }
}

/** The warning for a damaged file left out: which repository, which file and why. */
function leftOut(location: string, reason: string): string {
  return `${location}: ${reason}: left out`;
}

/**
 * Calls `fn` on each item, at most `limit` at once, and `use` with each result in the order of `items`
 * as soon as it and those before it are there; results wait for a slow one before them at most
 * `4 * limit` deep (no new item starts while that many wait). Rejects with the first failure.
 */
export async function forEachInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  use: (result: R, index: number) => void,
): Promise<void> {
  const ready = new Map<number, R>();
  let next = 0;
  let used = 0;
  let waiting: (() => void)[] = [];
  const run = async () => {
    while (next < items.length) {
      if (next - used >= 4 * limit) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      const i = next++;
      ready.set(i, await fn(items[i]!));
      while (ready.has(used)) {
        const result = ready.get(used)!;
        ready.delete(used);
        use(result, used++);
      }
      const woken = waiting;
      waiting = [];
      for (const resolve of woken) resolve();
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(limit, items.length)) }, run));
}

/** Runs `fn` over `items` with at most `limit` promises in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  await eachLimited(items, limit, async (item, i) => {
    results[i] = await fn(item);
  });
  return results;
}

/**
 * Stores the config of a repository being created, whose key `keyId` is stored already; two `kept init` at
 * once must not both think they made it (the loser's password would open nothing). Looks once more after
 * the key's derivation, which takes a good part of a second; where storage has no atomic create (S3 checks,
 * then writes), it reads the config back once a write made at the same time is surely visible, and the
 * one whose config is not there gives up. Either way the loser removes its key.
 *
 * @throws {UserError} naming the location when another init got there first.
 */
async function claimConfig(
  backend: Backend,
  config: RepositoryConfig,
  keyId: string,
  wait: (ms: number) => Promise<void>,
): Promise<void> {
  const handle = { kind: "config", name: "config" } as const;
  const lost = async () => {
    await backend.delete({ kind: "keys", name: keyId }).catch(() => {});
    return new UserError(
      `Another kept init created a repository at ${backend.location} at the same time; this one gave up ` +
        "and removed its key (open it with that init's password, then `kept key add` yours)",
    );
  };
  if (await backend.stat(handle)) throw await lost();
  try {
    await backend.put(handle, new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"));
  } catch (error) {
    if (error instanceof AlreadyExistsError) throw await lost();
    throw error;
  }
  if (backend.capabilities.atomicCreate) return;
  await wait(2 * LISTING_LAG_MS);
  if ((await readConfig(backend)).id !== config.id) throw await lost();
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The files of `kind` the repository stored: a file whose name is no SHA-256 is not one, whatever put it
 * there, and must never be read as one, or removed as a damaged or stale one.
 */
async function* storedFiles(backend: Backend, kind: Exclude<FileKind, "config">): AsyncGenerator<FileEntry> {
  for await (const entry of backend.list(kind)) {
    if (isStoredFileName(entry.name)) yield entry;
  }
}
