/**
 * A repository in a folder on a local or mounted file system. Layout: docs/format.md#files.
 *
 * Writes are atomic and never replace: each file is written to a temporary file in its kind's folder
 * (`data/`, `index/`, ...; the root for `config`), flushed to disk, then hard-linked to its name (which
 * fails when the name exists) and the folders are flushed. After a crash only temporary files (`.tmp-*`)
 * can be left over, and only directly in those folders: readers never see a partial file under its final
 * name, and `cleanTemporaryFiles()` finds the rest without listing the pack folders.
 *
 * @module
 */

import { closeSync, fstatSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { AlreadyExistsError, BackendError, MissingStorageError, NotFoundError } from "../errors.ts";
import {
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  checkHandle,
  checkRange,
  type CleanOptions,
  type CleanResult,
  deleteEach,
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type FileWriter,
  type Handle,
  handlePath,
} from "./backend.ts";
import { readFull } from "../read_full.ts";
import { openRegularSync, preadFullSync } from "../regular_file.ts";
import { LruCache } from "../lru_cache.ts";

/** Prefix of the temporary files written before they are linked to their final name. */
const TEMP_PREFIX = ".tmp-";

/** How many `stat` calls `list` keeps in flight at once. */
const STAT_CONCURRENCY = 32;

/** Operations worth having in flight at once on a local disk (as many as index loads always used). */
const LOCAL_CONNECTIONS = 8;

/** Options for {@linkcode LocalBackend.create} and {@linkcode LocalBackend.open}. */
export interface LocalBackendOptions {
  /**
   * Whether to publish files with a hard link (default true). File systems without hard links
   * (FAT, exFAT, some network shares) are detected on the first `put`; `false` skips the attempt.
   * Without hard links a file is published by rename after checking that the name is free, so two
   * processes storing the same name at the same instant may both succeed (one replacing the other).
   */
  hardLinks?: boolean;
}

/** A {@linkcode Backend} storing each file as a file under a root folder. */
export class LocalBackend implements Backend {
  /** The absolute path of the repository folder. */
  readonly location: string;
  #root: string;
  #hardLinks: boolean;
  /**
   * Open descriptors of recently read data files, most recent last. Packs never change once stored,
   * so a restore reading many blobs of one pack opens it once instead of once per blob.
   */
  #openPacks = new LruCache<string, number>(OPEN_PACKS, (_, fd) => closeSync(fd));

  private constructor(root: string, options: LocalBackendOptions) {
    this.#root = root;
    this.location = root;
    this.#hardLinks = options.hardLinks ?? true;
  }

  /**
   * Creates the repository folder (mode 0700, with missing parents) and one folder per file kind,
   * then opens it. An existing folder is reused when it holds nothing but a repository's own entries (an
   * interrupted init leaves some) and `lost+found`; checking that it holds no repository yet is the
   * repository layer's job.
   *
   * @throws {BackendError} (permanent) when the folder holds other files, which a repository must never
   * be mixed with (a prune would take files below `data/` for packs); when a folder cannot be created
   * (permanent for permission or space problems).
   */
  static async create(root: string, options: LocalBackendOptions = {}): Promise<LocalBackend> {
    const absolute = resolve(root);
    const others = await foreignEntries(absolute);
    if (others.length > 0) {
      const shown = others.slice(0, 3).map((name) => JSON.stringify(name)).join(", ");
      throw new BackendError(
        `Cannot create a repository in "${absolute}": it holds other files (${shown}` +
          `${others.length > 3 ? `, and ${others.length - 3} more` : ""}): give an empty folder or a new one`,
        { permanent: true },
      );
    }
    try {
      await Deno.mkdir(absolute, { recursive: true, mode: 0o700 });
      for (const kind of FILE_KINDS) {
        if (kind !== "config") await Deno.mkdir(join(absolute, kind), { recursive: true, mode: 0o700 });
      }
    } catch (error) {
      throw backendError(`Cannot create repository folder "${absolute}"`, error);
    }
    await syncFolder(absolute);
    await syncFolder(dirname(absolute));
    return await LocalBackend.open(absolute, options);
  }

  /**
   * Opens an existing repository folder. Only checks that the folder exists and can be read;
   * whether it holds a repository is decided by the repository layer (from the config file).
   *
   * @throws {MissingStorageError} naming the path when it does not exist.
   * @throws {BackendError} (permanent) naming the path when it is not a folder or unreadable.
   */
  static async open(root: string, options: LocalBackendOptions = {}): Promise<LocalBackend> {
    const absolute = resolve(root);
    const prefix = `Cannot open repository folder "${absolute}"`;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(absolute);
    } catch (error) {
      // No folder holds no repository, as a missing bucket holds none: `kept init` creates it.
      if (error instanceof Deno.errors.NotFound) {
        throw new MissingStorageError(`${prefix}: it does not exist`, absolute);
      }
      throw backendError(prefix, error);
    }
    if (!info.isDirectory) {
      throw new BackendError(`${prefix}: it is not a folder`, { permanent: true });
    }
    try {
      for await (const _ of Deno.readDir(absolute)) break;
    } catch (error) {
      throw backendError(prefix, error);
    }
    return new LocalBackend(absolute, options);
  }

  /**
   * Files in a local folder, written through and linked under their names: atomic creates as long as the
   * file system makes hard links (found out on the first write; then false from there on).
   */
  get capabilities(): BackendCapabilities {
    return {
      localFiles: true,
      atomicCreate: this.#hardLinks,
      connections: LOCAL_CONNECTIONS,
      writeThrough: true,
      flakyErrors: false,
    };
  }

  /** Undefined: this backend stores files itself. */
  unwrap(): undefined {
    return undefined;
  }

  /**
   * Where a file lies on this machine (whether or not it exists): lets worker threads read packs themselves
   * instead of through the main thread. Reach it through wrappers with `asBackend(backend, LocalBackend)`,
   * and only where `backend.capabilities.localFiles` says that reading around the wrappers is right.
   *
   * @throws {TypeError} for a name that would leave its folder (a bug in the caller).
   */
  localPath(handle: Handle): string {
    return join(this.#root, this.#relative(handle));
  }

  /**
   * Reads a whole file, or exactly `range.length` bytes from `range.offset`.
   *
   * @throws {NotFoundError} when the file does not exist.
   * @throws {BackendError} when reading fails, or (permanent, "truncated") when the file ends
   * before the requested bytes.
   * @throws {RangeError} when the range is not made of non-negative integers (a bug in the caller).
   */
  async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (range !== undefined) checkRange(range);
    if (range !== undefined && range.length > 0 && handle.kind === "data") {
      return this.#readPackRange(handle, range);
    }
    const relative = this.#relative(handle);
    const path = join(this.#root, relative);
    const action = `Cannot read "${relative}" in "${this.#root}"`;
    let file: Deno.FsFile;
    try {
      // Opening a FIFO blocks until someone writes to it: only a regular file is opened.
      if (!(await Deno.stat(path)).isFile) throw notRegular(action);
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new NotFoundError(`${action}: it does not exist`);
      }
      if (error instanceof BackendError) throw error;
      throw backendError(action, error);
    }
    try {
      let offset = 0;
      let length: number;
      if (range === undefined) {
        length = (await file.stat()).size;
      } else {
        offset = range.offset;
        length = range.length;
        if (length === 0) {
          const size = (await file.stat()).size;
          if (offset > size) throw truncated(action, range, size);
          return new Uint8Array(0);
        }
        await file.seek(offset, Deno.SeekMode.Start);
      }
      const buffer = new Uint8Array(length);
      if (await readFull(buffer, (rest) => file.read(rest)) < length) {
        throw truncated(action, { offset, length }, (await file.stat()).size);
      }
      return buffer;
    } catch (error) {
      if (error instanceof BackendError) throw error;
      throw backendError(action, error);
    } finally {
      file.close();
    }
  }

  /**
   * Stores a file atomically (temporary file, fsync, hard link, fsync of the folder), never
   * replacing an existing one. Creates missing folders (such as `data/ab/`) on the way.
   *
   * @throws {AlreadyExistsError} when a file of that name exists; its content is left unchanged.
   * @throws {BackendError} when writing fails (permanent for permission and space problems).
   */
  async put(handle: Handle, data: Uint8Array): Promise<void> {
    const relative = this.#relative(handle);
    const action = `Cannot store "${relative}" in "${this.#root}"`;
    const folder = this.#tempFolder(handle.kind);
    const temp = join(folder, TEMP_PREFIX + randomHex(8));
    let tempExists = false;
    try {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        await this.#createFolder(folder);
        file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
      }
      tempExists = true;
      try {
        let written = 0;
        while (written < data.length) written += await file.write(data.subarray(written));
        await file.sync();
      } finally {
        file.close();
      }
      await this.#name(temp, relative, action);
      tempExists = false;
    } catch (error) {
      if (tempExists) await Deno.remove(temp).catch(() => {});
      if (error instanceof BackendError) throw error;
      throw backendError(action, error);
    }
  }

  /**
   * Starts a file whose name is known only once it is complete: its bytes go straight to a temporary file
   * in the kind's folder (synchronous writes, so the caller may reuse them at once), and `commit` gives it
   * its name as `put` does (fsync, a link that never replaces, fsync of the folder). A writer killed before
   * its commit leaves only a temporary file, which `cleanTemporaryFiles()` removes.
   *
   * @throws {BackendError} when the temporary file cannot be created; `write` and `commit` throw it too.
   */
  openWriter(kind: FileKind): FileWriter {
    const folder = this.#tempFolder(kind);
    const temp = join(folder, TEMP_PREFIX + randomHex(8));
    const create = () => Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
    let file: Deno.FsFile;
    /** Whether the kind's folder had to be made again (a copy that dropped empty folders), as put does. */
    let madeFolder = false;
    try {
      try {
        file = create();
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        Deno.mkdirSync(folder, { recursive: true, mode: 0o700 });
        madeFolder = true;
        file = create();
      }
    } catch (error) {
      throw backendError(`Cannot write a new file in "${folder}"`, error);
    }
    let open = true;
    const close = () => {
      if (open) file.close();
      open = false;
    };
    const drop = async () => {
      close();
      await Deno.remove(temp).catch(() => {});
    };
    return {
      write: (data) => {
        try {
          for (let written = 0; written < data.length;) written += file.writeSync(data.subarray(written));
        } catch (error) {
          throw backendError(`Cannot write "${temp}"`, error);
        }
      },
      commit: async (name) => {
        const relative = this.#relative({ kind, name });
        const action = `Cannot store "${relative}" in "${this.#root}"`;
        try {
          await file.sync();
          close();
          await this.#name(temp, relative, action);
          if (madeFolder) await syncFolder(this.#root);
        } catch (error) {
          await drop();
          if (error instanceof BackendError) throw error;
          throw backendError(action, error);
        }
      },
      abort: drop,
    };
  }

  /**
   * Lists the files of one kind with their sizes and times. For `data` it walks the two-character
   * subfolders; temporary files and files in the wrong subfolder are skipped, so every listed
   * name can be read with `get`. A missing kind folder lists nothing.
   *
   * @throws {BackendError} when a folder cannot be read.
   */
  async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    if (kind === "config") {
      const entry = await this.stat({ kind: "config", name: "config" });
      if (entry !== undefined) yield entry;
      return;
    }
    const folder = join(this.#root, kind);
    if (kind !== "data") {
      yield* this.#listFolder(folder, kind, undefined);
      return;
    }
    for (const sub of await readFolder(folder, `Cannot list "${kind}" in "${this.#root}"`)) {
      if (!sub.isDirectory || sub.name.startsWith(".")) continue;
      yield* this.#listFolder(join(folder, sub.name), `data/${sub.name}`, sub.name);
    }
  }

  /**
   * Size and modification time of a file, or undefined when it does not exist.
   *
   * @throws {BackendError} when the file cannot be inspected.
   */
  async stat(handle: Handle): Promise<FileEntry | undefined> {
    const relative = this.#relative(handle);
    try {
      const info = await Deno.stat(join(this.#root, relative));
      if (!info.isFile) return undefined;
      return { name: handle.name, size: info.size, mtime: mtimeOf(info) };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw backendError(`Cannot inspect "${relative}" in "${this.#root}"`, error);
    }
  }

  /**
   * Removes a file; a missing file is not an error.
   *
   * @throws {BackendError} when the file exists but cannot be removed.
   */
  /** Removes files one by one; missing files are not an error. */
  deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    return deleteEach(this, kind, names);
  }

  async delete(handle: Handle): Promise<void> {
    const relative = this.#relative(handle);
    this.#forget(relative);
    try {
      await Deno.remove(join(this.#root, relative));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw backendError(`Cannot delete "${relative}" in "${this.#root}"`, error);
    }
  }

  /** Closes the descriptors kept open for ranged reads. */
  close(): Promise<void> {
    this.#openPacks.clear();
    return Promise.resolve();
  }

  /** A ranged read of a pack through a cached descriptor: one pread, no open, seek or close. */
  #readPackRange(handle: Handle, range: ByteRange): Uint8Array {
    const relative = this.#relative(handle);
    const action = `Cannot read "${relative}" in "${this.#root}"`;
    try {
      let open = this.#openPacks.get(relative);
      if (open === undefined) {
        open = openPackSync(join(this.#root, relative), action);
        this.#openPacks.set(relative, open);
      }
      const buffer = new Uint8Array(range.length);
      if (preadFullSync(open, buffer, range.offset) < range.length) {
        throw truncated(action, range, fstatSync(open).size);
      }
      return buffer;
    } catch (error) {
      if (error instanceof BackendError) throw error;
      if ((error as { code?: string }).code === "ENOENT") {
        throw new NotFoundError(`${action}: it does not exist`);
      }
      throw backendError(action, error);
    }
  }

  #forget(relative: string): void {
    const fd = this.#openPacks.peek(relative);
    if (fd === undefined) return;
    this.#openPacks.delete(relative);
    closeSync(fd);
  }

  /**
   * Removes temporary files left behind by writers that were killed between writing and linking.
   * Only files last modified more than `olderThanMs` before `options.now` (default: the current
   * time) are removed, so that writers still running in other processes are left alone. A pack
   * written through (`openWriter`) stays open while a backup finds its blobs, and its file changes
   * only with every MiB: without the repository's lock (roadmap) use an age of a day, not minutes.
   * Temporary files sit only directly in the root and the kind folders, so this reads a handful of
   * folders whatever the size of the repository. `dryRun` reports what would be removed.
   *
   * @throws {BackendError} when a folder cannot be read or a file cannot be removed.
   */
  cleanTemporaryFiles(olderThanMs: number, options: CleanOptions = {}): Promise<CleanResult> {
    const cutoff = (options.now ?? Date.now()) - olderThanMs;
    const result: CleanResult = { removed: [], bytes: 0 };
    const folders = [""];
    for (const kind of FILE_KINDS) if (kind !== "config") folders.push(kind);
    try {
      for (const folder of folders) {
        const action = `Cannot clean temporary files in "${join(this.#root, folder)}"`;
        for (const entry of readFolderSync(join(this.#root, folder), action)) {
          if (!entry.isFile || !entry.name.startsWith(TEMP_PREFIX)) continue;
          const relative = folder === "" ? entry.name : `${folder}/${entry.name}`;
          const path = join(this.#root, relative);
          try {
            const info = Deno.statSync(path);
            if (mtimeOf(info) > cutoff) continue;
            if (!options.dryRun) Deno.removeSync(path);
            result.removed.push(relative);
            result.bytes += info.size;
          } catch (error) {
            if (error instanceof Deno.errors.NotFound) continue;
            throw backendError(action, error);
          }
        }
      }
    } catch (error) {
      return Promise.reject(error); // synchronous calls, but errors still arrive as a rejection
    }
    return Promise.resolve(result);
  }

  /** The folder a file of `kind` is written in before it has its name. */
  #tempFolder(kind: FileKind): string {
    return kind === "config" ? this.#root : join(this.#root, kind);
  }

  /**
   * Gives a written and flushed temporary file its name, creating the name's folder (`data/ab/`) when it
   * is the first there, and flushes the folders: the name's, so that it survives a crash, and the temporary
   * file's, so that a crash does not bring the temporary name back.
   */
  async #name(temp: string, relative: string, action: string): Promise<void> {
    const path = join(this.#root, relative);
    try {
      await this.#publish(temp, path, action);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (!await exists(temp)) {
        // Removed by another backup's clean-up: this writer wrote nothing to it for a day (suspended?).
        throw new BackendError(`${action}: its temporary file was removed while it was being written`, {
          permanent: true,
        });
      }
      await this.#createFolder(dirname(path));
      await this.#publish(temp, path, action);
    }
    // After a hard link the temporary name still exists; after a rename it is gone.
    await Deno.remove(temp).catch(ignoreNotFound);
    await syncFolder(dirname(path));
    if (dirname(temp) !== dirname(path)) await syncFolder(dirname(temp));
  }

  /** The checked repository-relative path of a handle. */
  #relative(handle: Handle): string {
    checkHandle(handle);
    return handlePath(handle);
  }

  /** Gives the written temporary file its final name without ever replacing an existing file. */
  async #publish(temp: string, path: string, action: string): Promise<void> {
    if (this.#hardLinks) {
      try {
        await Deno.link(temp, path);
        return;
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) {
          throw new AlreadyExistsError(`${action}: a file of that name already exists`);
        }
        if (!LINK_UNSUPPORTED.has(errorCode(error) ?? "")) throw error;
        this.#hardLinks = false;
      }
    }
    if (await exists(path)) throw new AlreadyExistsError(`${action}: a file of that name already exists`);
    await Deno.rename(temp, path);
  }

  /** Creates a missing folder (and its parents) and flushes the folders that now name it. */
  async #createFolder(folder: string): Promise<void> {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    for (let parent = dirname(folder); parent.startsWith(this.#root); parent = dirname(parent)) {
      await syncFolder(parent);
      if (parent === this.#root) break;
    }
  }

  /** Yields the regular, non-temporary files of one folder, with sizes and times. */
  async *#listFolder(folder: string, label: string, prefix: string | undefined): AsyncGenerator<FileEntry> {
    const action = `Cannot list "${label}" in "${this.#root}"`;
    const names = (await readFolder(folder, action))
      .filter((entry) => !entry.isDirectory && !entry.name.startsWith("."))
      .map((entry) => entry.name)
      .filter((name) => prefix === undefined || name.slice(0, 2) === prefix);
    for (let start = 0; start < names.length; start += STAT_CONCURRENCY) {
      const batch = names.slice(start, start + STAT_CONCURRENCY);
      const infos = await Promise.all(batch.map(async (name) => {
        try {
          const info = await Deno.stat(join(folder, name));
          return info.isFile ? { name, size: info.size, mtime: mtimeOf(info) } : undefined;
        } catch (error) {
          // Deleted while we listed: it is no longer there, so it is rightly not listed.
          if (error instanceof Deno.errors.NotFound) return undefined;
          throw backendError(action, error);
        }
      }));
      for (const info of infos) if (info !== undefined) yield info;
    }
  }
}

/** A file that is there but is no regular file (a FIFO, a device, a folder): never opened for reading. */
function notRegular(action: string): BackendError {
  return new BackendError(`${action}: it is not a regular file`, { permanent: true });
}

/** The descriptor of the regular file at `path` (see `openRegularSync()`); anything else is refused. */
function openPackSync(path: string, action: string): number {
  const opened = openRegularSync(path);
  if (opened === undefined) throw notRegular(action);
  return opened.fd;
}

/** Error codes that say a file system cannot make hard links. */
const LINK_UNSUPPORTED = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/** Error codes after which retrying cannot help. */
const PERMANENT_CODES = new Set([
  "EACCES",
  "EPERM",
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EFBIG",
  "ENOTDIR",
  "EISDIR",
  "ENAMETOOLONG",
  "ELOOP",
  "EEXIST",
  "EINVAL",
]);

/** Short explanations for the errors users meet most, instead of the raw OS message. */
const REASONS: Record<string, string> = {
  ENOENT: "it does not exist",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is not a folder",
  EIO: "input/output error",
};

/** The POSIX code of a Deno or Node error ("ENOENT"), when it has one. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/** Wraps a file system error as a `BackendError` that says whether a retry can help. */
function backendError(action: string, error: unknown): BackendError {
  const code = errorCode(error);
  let permanent = code !== undefined && PERMANENT_CODES.has(code);
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotFound) {
    permanent = true;
  }
  const reason = (code === undefined ? undefined : REASONS[code]) ??
    (error instanceof Error ? error.message : String(error));
  return new BackendError(`${action}: ${reason}`, { permanent, cause: error });
}

/** Pack descriptors kept open for ranged reads. */
const OPEN_PACKS = 16;

/** The error for a read that needs bytes past the end of a file. */
function truncated(action: string, range: ByteRange, size: number): BackendError {
  return new BackendError(
    `${action}: truncated, wanted ${range.length} bytes at offset ${range.offset} but the file ends at ${size}`,
    { permanent: true },
  );
}

/** Whether anything is at `path` (a symlink counts, whatever it points to). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Reads a folder's entries, synchronously; a missing folder has none. */
function readFolderSync(folder: string, action: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(folder)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw backendError(action, error);
  }
}

/** Reads a folder's entries; a missing folder has none. */
async function readFolder(folder: string, action: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) entries.push(entry);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw backendError(action, error);
  }
  return entries;
}

/**
 * Flushes a folder so that names created or removed in it survive a crash. Platforms that
 * cannot open or flush a folder (Windows, some network file systems) are skipped.
 */
async function syncFolder(folder: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(folder, { read: true });
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (
      code !== undefined && ["EINVAL", "ENOTSUP", "EOPNOTSUPP", "EBADF", "EISDIR", "EPERM"].includes(code)
    ) return;
    throw error;
  } finally {
    handle.close();
  }
}

/** A file's modification time in ms since the epoch; 0 where the platform keeps none. */
function mtimeOf(info: Deno.FileInfo): number {
  return info.mtime?.getTime() ?? 0;
}

/** Ignores a "not found" error, rethrows anything else. */
function ignoreNotFound(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}

/** `bytes` random bytes as lowercase hex, for temporary file names. */
function randomHex(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (value) => value.toString(16).padStart(2, "0")).join("");
}

/**
 * The entries of an existing folder that are not a repository's own (its kind folders, `config`, temporary
 * files) nor a file system's `lost+found` (a freshly formatted disk mounted as the repository); none for a
 * folder that does not exist.
 */
async function foreignEntries(folder: string): Promise<string[]> {
  const own = new Set<string>([...FILE_KINDS, "lost+found"]);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!own.has(entry.name) && !entry.name.startsWith(TEMP_PREFIX)) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw backendError(`Cannot read folder "${folder}"`, error);
  }
  return names.sort();
}
