/**
 * A local cache of a remote repository's metadata, as a backend wrapper: keys, index and snapshot files, and
 * the packs the repository marks as holding trees, are kept under `<root>/<repository id>/` so that
 * `snapshots`, `plan`, `ls` and incremental backups do not download them again. See docs/destinations.md#cache.
 *
 * Every stored file is named by the SHA-256 of its bytes (docs/format.md#files), so a cached copy is checked
 * against its name each time it is used: a damaged or foreign copy is dropped and downloaded again, never
 * used. The cache is best effort: when it cannot be written (full disk, read-only home), kept goes on
 * without it.
 *
 * @module
 */

import { closeSync } from "node:fs";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import type { ByteRange, FileEntry, FileKind, Handle } from "./backend.ts";
import { handlePath } from "./backend.ts";
import { BackendWrapper } from "./wrapper.ts";
import { openRegularSync, preadFullSync } from "../regular_file.ts";
import { LruCache } from "../lru_cache.ts";
import type { Backend } from "./backend.ts";
import { describeError, UserError } from "../errors.ts";
import { compareText } from "../compare_text.ts";
import { WARM_UNLOCK_FOLDER } from "./cache_root.ts";

/** Tree pack copies kept open at once: a snapshot's trees lie in few packs. */
const OPEN_COPIES = 16;

/** The kinds whose files are always cached: small, read by every command, never changed. */
const METADATA_KINDS: ReadonlySet<FileKind> = new Set(["keys", "index", "snapshots"]);

/** Kinds whose cached copies are dropped when a complete listing no longer shows them. */
const PRUNED_ON_LIST: ReadonlySet<FileKind> = new Set(["keys", "index", "snapshots", "data"]);

/** A key file that opened a repository before (see {@link CachingBackend.rememberedKey}). */
export interface RememberedKey {
  repository: string;
  keyId: string;
  bytes: Uint8Array;
}

/** Counts of what the cache did, for tests and the bench. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Cached copies that did not match their name and were downloaded again. */
  rejected: number;
}

/**
 * A {@linkcode Backend} that keeps copies of metadata files in a local folder. It learns the repository id
 * from the config file as that passes through (`Repository.open` reads it first), and caches nothing before:
 * the cache of one repository can never serve another.
 */
export class CachingBackend extends BackendWrapper {
  readonly #root: string;
  #folder: string | undefined;
  #treePacks = new Set<string>();
  /** Tree packs whose cached copy was checked in this run (false: it could not be stored). */
  readonly #verifiedPacks = new Map<string, Promise<boolean>>();
  /**
   * Descriptors of the tree packs' copies read in this run: a folder's tree then costs one `pread` instead
   * of an open, a seek, a read and a close, each a trip through Deno's thread pool (a no-change backup or
   * a restore reads every folder's tree).
   */
  readonly #openCopies = new LruCache<string, number>(OPEN_COPIES, (_, fd) => closeSync(fd));
  readonly stats: CacheStats = { hits: 0, misses: 0, rejected: 0 };

  /** Caches `inner`'s metadata under `root` (e.g. `~/.cache/kept`), in a folder per repository id. */
  constructor(inner: Backend, root: string) {
    super(inner);
    this.#root = root;
  }

  /** The folder of this repository's cache, once its config has been read. */
  get folder(): string | undefined {
    return this.#folder;
  }

  /**
   * Marks the packs that hold tree blobs (the index knows them): they are then cached whole on their first
   * read, and ranges are served from the copy.
   */
  cacheTreePacks(packIds: Iterable<string>): void {
    this.#treePacks = new Set(packIds);
  }

  /** Marks one more pack as holding trees, before it is stored: `put` then keeps a copy of it. */
  addTreePack(packId: string): void {
    this.#treePacks.add(packId);
  }

  override async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (handle.kind === "config") return this.#learnId(await this.inner.get(handle, range));
    const path = this.#pathOf(handle);
    if (path === undefined) return this.inner.get(handle, range);
    if (range !== undefined && handle.kind === "data") return await this.#readTreePack(handle, path, range);
    const whole = await this.#cached(path, handle.name) ?? await this.#download(handle, path);
    return range === undefined ? whole : whole.slice(range.offset, range.offset + range.length);
  }

  /**
   * A range of a tree pack: the whole pack is downloaded (or its copy checked) once per run, then ranges
   * are read from the copy, so that a folder costs a local read, not a request.
   */
  async #readTreePack(handle: Handle, path: string, range: ByteRange): Promise<Uint8Array> {
    let ready = this.#verifiedPacks.get(handle.name);
    if (ready === undefined) {
      ready = this.#cached(path, handle.name)
        .then(async (copy) => copy !== undefined || (await this.#download(handle, path), existsFile(path)));
      this.#verifiedPacks.set(handle.name, ready);
    }
    if (!await ready) return this.inner.get(handle, range);
    try {
      return this.#readCopy(path, range);
    } catch {
      // The copy went away (kept cache clean, another process's listing): read from storage.
      this.#verifiedPacks.delete(handle.name);
      return this.inner.get(handle, range);
    }
  }

  /** `range` of the copy at `path`, through a descriptor kept open; throws when the copy is shorter. */
  #readCopy(path: string, range: ByteRange): Uint8Array {
    let fd = this.#openCopies.get(path);
    if (fd === undefined) {
      fd = openCopy(path).fd;
      this.#openCopies.set(path, fd);
    }
    const bytes = new Uint8Array(range.length);
    if (preadFullSync(fd, bytes, range.offset) < bytes.length) {
      throw new RangeError(`The cached copy "${path}" is shorter than expected`);
    }
    return bytes;
  }

  /** Closes the copies' descriptors, then the storage behind. */
  override close(): Promise<void> {
    this.#openCopies.clear();
    return super.close();
  }

  override async put(handle: Handle, data: Uint8Array): Promise<void> {
    await this.inner.put(handle, data);
    // What a backup writes (its index, snapshot and tree packs), the next run reads: keep it.
    const path = this.#pathOf(handle);
    if (path !== undefined) await this.#store(path, data);
  }

  override async delete(handle: Handle): Promise<void> {
    await this.inner.delete(handle);
    const path = this.#pathOf(handle);
    if (path !== undefined) await removeQuietly(path);
  }

  override async deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    await this.inner.deleteMany(kind, names);
    for (const name of names) {
      const path = this.#pathOf({ kind, name });
      if (path !== undefined) await removeQuietly(path);
    }
  }

  override list(kind: FileKind): AsyncIterable<FileEntry> {
    const listing = this.inner.list(kind);
    const folder = this.#folder;
    if (folder === undefined || !PRUNED_ON_LIST.has(kind)) return listing;
    return this.#listAndPrune(listing, kind, folder);
  }

  /** Passes listed entries on; once the listing is complete, drops cached files it no longer shows. */
  async *#listAndPrune(listing: AsyncIterable<FileEntry>, kind: FileKind, folder: string) {
    const seen = new Set<string>();
    for await (const entry of listing) {
      seen.add(entry.name);
      yield entry;
    }
    for (const name of await cachedNames(folder, kind)) {
      if (!seen.has(name)) await removeQuietly(join(folder, handlePath({ kind, name })));
    }
  }

  /** Where `handle` is cached, or undefined when it is not cached (yet). */
  #pathOf(handle: Handle): string | undefined {
    if (this.#folder === undefined) return undefined;
    const cached = METADATA_KINDS.has(handle.kind) ||
      (handle.kind === "data" && this.#treePacks.has(handle.name));
    return cached ? join(this.#folder, handlePath(handle)) : undefined;
  }

  /**
   * The key file that opened the repository at this location last time, as cached, with the repository's
   * id ({@link rememberKey}): the password's key can then be derived while storage is still being reached.
   * Nothing here is trusted: `Repository.open` uses it only once storage's config has that id and storage
   * still holds that key file. Undefined when there is none, or the copy does not match its name.
   */
  rememberedKey(): Promise<RememberedKey | undefined> {
    return rememberedKeyAt(this.#root, this.location);
  }

  /** Remembers which key file opened repository `repository` at this location (best effort). */
  async rememberKey(repository: string, keyId: string): Promise<void> {
    const record = new TextEncoder().encode(JSON.stringify({ repository, key: keyId }) + "\n");
    await this.#store(this.#locationRecord(), record);
  }

  #locationRecord(): string {
    return locationRecord(this.#root, this.location);
  }

  /** Sets the cache folder from the config's id; a config kept cannot parse turns the cache off. */
  #learnId(config: Uint8Array): Uint8Array {
    try {
      const id = JSON.parse(new TextDecoder().decode(config))?.id;
      if (typeof id === "string" && /^[0-9a-f]{32}$/.test(id)) this.#folder = join(this.#root, id);
    } catch {
      // Repository.open reports the damaged config; without an id nothing is cached.
    }
    return config;
  }

  /** The cached copy of a file if it is there and matches its name. */
  async #cached(path: string, name: string): Promise<Uint8Array | undefined> {
    const copy = readCopy(path, name);
    if (!copy) return undefined;
    if (copy.matches) {
      this.stats.hits++;
      return copy.bytes;
    }
    this.stats.rejected++;
    await removeQuietly(path);
    return undefined;
  }

  async #download(handle: Handle, path: string): Promise<Uint8Array> {
    this.stats.misses++;
    const bytes = await this.inner.get(handle);
    // Only a copy that matches its name is kept: the repository reports a damaged file itself.
    if (sha256Hex(bytes) === handle.name) await this.#store(path, bytes);
    return bytes;
  }

  /** Writes a copy atomically (a temporary name, then rename), quietly giving up when it cannot. */
  async #store(path: string, bytes: Uint8Array): Promise<void> {
    const temporary = `${path}.tmp-${crypto.randomUUID()}`;
    try {
      await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await Deno.writeFile(temporary, bytes, { mode: 0o600 });
      await Deno.rename(temporary, path);
    } catch {
      await removeQuietly(temporary);
    }
  }
}

/**
 * The copy at `path`, open, with its size. Only a regular file: a FIFO in a copy's place would otherwise
 * hang every command that reads the cache (it is then downloaded and stored over).
 */
function openCopy(path: string): { fd: number; size: number } {
  const opened = openRegularSync(path);
  if (opened === undefined) throw new TypeError(`The cached copy "${path}" is not a regular file`);
  return opened;
}

/** The whole copy at `path` (see {@link openCopy}). */
function readRegularFile(path: string): Uint8Array {
  const { fd, size } = openCopy(path);
  try {
    const bytes = new Uint8Array(size);
    if (preadFullSync(fd, bytes, 0) < size) throw new RangeError(`The cached copy "${path}" shrank`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

async function existsFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The names of the cached files of one kind (data packs sit in two-digit subfolders). */
async function cachedNames(folder: string, kind: FileKind): Promise<string[]> {
  const top = join(folder, kind);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(top)) {
      if (kind !== "data") {
        if (entry.isFile && !entry.name.includes(".tmp-")) names.push(entry.name);
        continue;
      }
      if (!entry.isDirectory) continue;
      for await (const inner of Deno.readDir(join(top, entry.name))) {
        if (inner.isFile && !inner.name.includes(".tmp-")) names.push(inner.name);
      }
    }
  } catch {
    // No cache folder for this kind yet.
  }
  return names;
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // Already gone, or the cache folder is not writable: the cache is best effort.
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Where the key that opened the repository at `location` is remembered: by the location's hash. */
function locationRecord(root: string, location: string): string {
  return join(root, "locations", `${sha256Hex(new TextEncoder().encode(location))}.json`);
}

/**
 * {@link CachingBackend.rememberedKey} for the cache under `root` of the storage at `location`, before that
 * storage is reached: a caller can derive the key while it connects.
 */
export async function rememberedKeyAt(root: string, location: string): Promise<RememberedKey | undefined> {
  let record: unknown;
  try {
    record = JSON.parse(await Deno.readTextFile(locationRecord(root, location)));
  } catch {
    return undefined;
  }
  const { repository, key } = (record ?? {}) as Record<string, unknown>;
  if (typeof repository !== "string" || !/^[0-9a-f]{32}$/.test(repository)) return undefined;
  if (typeof key !== "string" || !/^[0-9a-f]{64}$/.test(key)) return undefined;
  const copy = readCopy(join(root, repository, handlePath({ kind: "keys", name: key })), key);
  // A copy that does not match its name is replaced when the key file is next read through the cache.
  return copy?.matches ? { repository, keyId: key, bytes: copy.bytes } : undefined;
}

/** The cached copy at `path` and whether it matches its name; undefined when it cannot be read. */
function readCopy(path: string, name: string): { bytes: Uint8Array; matches: boolean } | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path);
  } catch {
    return undefined;
  }
  return { bytes, matches: sha256Hex(bytes) === name };
}

/** One repository's cache folder, as `kept cache` shows it. */
export interface CachedRepository {
  /** The repository id (the folder's name). */
  id: string;
  /** The bytes of its cached files. */
  bytes: number;
  /** How many files it holds. */
  files: number;
}

/** The repositories cached under `root` (none when it does not exist), by id. */
export async function listCache(root: string): Promise<CachedRepository[]> {
  const found: CachedRepository[] = [];
  for (const entry of await readDirOrNothing(root)) {
    if (!entry.isDirectory || !/^[0-9a-f]{32}$/.test(entry.name)) continue;
    found.push({ id: entry.name, ...await folderSize(join(root, entry.name)) });
  }
  return found.sort((a, b) => compareText(a.id, b.id));
}

/** Removes the cache of every repository under `root` (only kept's folders), and returns what they held. */
export async function cleanCache(root: string): Promise<CachedRepository[]> {
  const removed = await listCache(root);
  for (const repository of removed) await Deno.remove(join(root, repository.id), { recursive: true });
  // Which key opened which location, and the key files a run starts unlocking with before it reads its plan
  // (lib/destinations/warm_unlock.ts): useless without the copies.
  for (const folder of ["locations", WARM_UNLOCK_FOLDER]) {
    await Deno.remove(join(root, folder), { recursive: true }).catch(() => {});
  }
  return removed;
}

async function folderSize(path: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readDirOrNothing(path)) {
    const child = join(path, entry.name);
    if (entry.isDirectory) {
      const inner = await folderSize(child);
      bytes += inner.bytes;
      files += inner.files;
    } else if (entry.isFile) {
      bytes += (await Deno.lstat(child)).size;
      files++;
    }
  }
  return { bytes, files };
}

/**
 * The entries of a cache folder, none when it does not exist.
 *
 * @throws {UserError} naming the folder when it cannot be read (a file in its place, permissions).
 */
async function readDirOrNothing(path: string): Promise<Deno.DirEntry[]> {
  try {
    return await Array.fromAsync(Deno.readDir(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    const why = error instanceof Deno.errors.NotADirectory ? "it is not a folder" : describeError(error);
    throw new UserError(`Cannot read the cache folder "${path}": ${why}`, { cause: error });
  }
}
