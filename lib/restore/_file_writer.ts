// Turns a file of the snapshot into jobs for the restore workers. Where packs are files on this machine,
// a job names them and the worker reads the blobs itself (pread, in parallel). Elsewhere, with a spool,
// the packs a file needs are downloaded whole into it first, and the workers read them there the same way
// (a large file goes in parts, so that it holds only a few packs at a time). Without one, the main thread
// reads the sealed blobs from storage, adjacent ones in one ranged read, and hands them to the worker in
// the job (through windows of the packs that serve many small files each); a large file then goes in parts,
// and the bytes read but not yet written are bounded.

import {
  type BlobLocation,
  blobReadError,
  type PackEntry,
  type PackId,
  type PackReader,
} from "../repo/mod.ts";
import { Slots } from "../workers/mod.ts";
import type { BlobSource, FileMetadata } from "./_restore_protocol.ts";
import type { FileToWrite, RestorePool } from "./_restore_pool.ts";
import type { DirHandle } from "../platform/mod.ts";
import { removeIfPresent } from "./_target_fs.ts";
import { PackWindows } from "./_pack_windows.ts";
import { PackSpool, type SpoolOptions } from "./_pack_spool.ts";

/** Remote packs one part of a spooled file holds at once. */
const PACKS_PER_PART = 4;

/** Where blobs lie and how to read the packs: what writing files needs of a repository. */
export interface BlobStore {
  readonly index: {
    lookup(id: string): BlobLocation | undefined;
    packEntries(pack: PackId): readonly PackEntry[] | undefined;
  };
  readonly packs: Pick<PackReader, "localPath" | "read">;
}

/** One file to write: its content into `partial`, renamed to `name` once complete, both in `dir`. */
export interface FileToRestore {
  /** The folder, open until the file is written (workers borrow it). */
  dir: DirHandle;
  partial: string;
  name: string;
  content: readonly string[];
  /** Set once its content is written, before its rename into place. */
  finish: FileMetadata;
}

/** Writes files through a {@linkcode RestorePool}. */
export class FileWriter {
  readonly #pool: RestorePool;
  readonly #store: BlobStore;
  /** Remote packs are read in windows that serve many small files each. */
  readonly #windows: PackWindows;
  /** Sealed bytes read from storage and not yet written. */
  readonly #inFlight: Slots;
  /** Sealed bytes of one part of a file: a quarter of the bound, so that several files move at once. */
  readonly #partBytes: number;
  /** Where remote packs are downloaded whole, when the caller gave a place for it. */
  readonly #spool: PackSpool | undefined;

  constructor(pool: RestorePool, store: BlobStore, bytesInFlight: number, spool?: SpoolOptions) {
    this.#pool = pool;
    this.#store = store;
    this.#windows = new PackWindows(store);
    this.#inFlight = new Slots(bytesInFlight);
    this.#partBytes = Math.max(1, Math.floor(bytesInFlight / 4));
    this.#spool = spool === undefined ? undefined : new PackSpool(store, spool);
  }

  /** Removes the spool, if there is one. */
  async close(): Promise<void> {
    await this.#spool?.close();
  }

  /**
   * Writes a file; resolves with its size. Throws an `IntegrityError` for a blob that is not indexed, and
   * rejects with one for damaged data, with an `IoError` when the file system or the storage refuses, and
   * with a `WorkerBugError` for a bug.
   */
  write(file: FileToRestore): Promise<number> {
    const blobs = file.content.map((id) => this.#locate(id));
    if (blobs.every((blob) => blob.pack !== undefined)) {
      // Not async: each file in flight then holds one promise less until its worker answers.
      const size = blobs.reduce((sum, blob) => sum + blob.rawLength, 0);
      const { partial, name, finish } = file;
      return this.#pool.write(
        { dir: file.dir.share(), partial, name, blobs, at: 0, create: true, finish },
        size,
      );
    }
    return this.#spool ? this.#writeSpooled(file, blobs, this.#spool) : this.#writeInParts(file, blobs);
  }

  /** Writes a file whose packs are remote from the spool, in parts of a few packs each. */
  #writeSpooled(file: FileToRestore, blobs: BlobSource[], spool: PackSpool): Promise<number> {
    return this.#writeParts(file, blobs, (start) => spooledPartEnd(blobs, start), async (part, job) => {
      const acquired = await acquireAll(spool, [...new Set(part.flatMap((b) => b.pack ? [] : [b.packName]))]);
      try {
        const local = part.map((blob) =>
          blob.pack !== undefined ? blob : { ...blob, pack: acquired.get(blob.packName)! }
        );
        return await this.#pool.write({ ...job, blobs: local }, sizeOf(part));
      } finally {
        for (const pack of acquired.keys()) spool.release(pack);
      }
    });
  }

  /**
   * Writes `file` part by part: `partEnd(start)` says where the part that starts at `start` ends, `write`
   * writes it given what every part's job shares; resolves with the file's size. A worker removes the
   * partial file of a part that fails; this removes what earlier parts wrote.
   */
  async #writeParts(
    file: FileToRestore,
    blobs: readonly BlobSource[],
    partEnd: (start: number) => number,
    write: (part: readonly BlobSource[], job: Omit<FileToWrite, "blobs">) => Promise<number>,
  ): Promise<number> {
    let start = 0;
    let at = 0;
    try {
      do {
        const end = partEnd(start);
        at = await write(blobs.slice(start, end), {
          dir: file.dir.share(),
          partial: file.partial,
          name: file.name,
          at,
          create: start === 0,
          ...(end === blobs.length ? { finish: file.finish } : {}),
        });
        start = end;
      } while (start < blobs.length);
    } catch (error) {
      if (start > 0) removeQuietly(file.dir, file.partial);
      throw error;
    }
    return at;
  }

  #locate(id: string): BlobSource {
    const location = this.#store.index.lookup(id);
    if (!location) throw blobReadError.notIndexed(id);
    const { pack: packName, offset, length, rawLength } = location;
    const pack = this.#store.packs.localPath(packName);
    return { id, packName, ...(pack !== undefined ? { pack } : {}), offset, length, rawLength };
  }

  /** Writes a file from storage without a spool: its sealed blobs read here, in parts of bounded bytes. */
  #writeInParts(file: FileToRestore, blobs: BlobSource[]): Promise<number> {
    return this.#writeParts(file, blobs, (start) => this.#partEnd(blobs, start), async (part, job) => {
      const remote = part.reduce((sum, blob) => sum + (blob.pack === undefined ? blob.length : 0), 0);
      const waiting = this.#inFlight.acquire(remote);
      if (waiting) await waiting;
      try {
        const { sources, sealed } = await this.#read(part, remote);
        return await this.#pool.write(
          { ...job, blobs: sources, ...(remote > 0 ? { sealed } : {}) },
          sizeOf(part),
        );
      } finally {
        this.#inFlight.release(remote);
      }
    });
  }

  /** Where the part that starts at `start` ends: as many blobs as fit in a part's bytes, at least one. */
  #partEnd(blobs: readonly BlobSource[], start: number): number {
    let bytes = 0;
    let end = start;
    while (end < blobs.length) {
      const blob = blobs[end]!;
      const length = blob.pack === undefined ? blob.length : 0;
      if (end > start && bytes + length > this.#partBytes) break;
      bytes += length;
      end++;
    }
    return end;
  }

  /** Reads the blobs of `part` that have no local pack file; blobs that follow each other in a pack at once. */
  async #read(
    part: readonly BlobSource[],
    remote: number,
  ): Promise<{ sources: BlobSource[]; sealed: Uint8Array }> {
    // Memory of our own: its buffer is transferred to the worker, and must not be one that the storage
    // (or a cache in front of it) still holds.
    const sealed = new Uint8Array(remote);
    const sources: BlobSource[] = [];
    let filled = 0;
    for (let i = 0; i < part.length;) {
      const first = part[i]!;
      if (first.pack !== undefined) {
        sources.push(first);
        i++;
        continue;
      }
      let end = i + 1;
      let length = first.length;
      while (end < part.length && follows(part[end]!, first, length)) length += part[end++]!.length;
      const bytes = await this.#windows.read(first.packName, first.offset, length);
      if (bytes.length < length) throw blobReadError.truncatedPack(first.packName);
      sealed.set(bytes.subarray(0, length), filled);
      for (; i < end; i++) {
        const { id, packName, offset, length: blobLength, rawLength } = part[i]!;
        sources.push({ id, packName, offset: filled + offset - first.offset, length: blobLength, rawLength });
      }
      filled += length;
    }
    return { sources, sealed };
  }
}

/** The bytes `part`'s blobs hold once opened. */
function sizeOf(part: readonly BlobSource[]): number {
  return part.reduce((sum, blob) => sum + blob.rawLength, 0);
}

/** Where a spooled part that starts at `start` ends: before the blob of a fifth remote pack. */
function spooledPartEnd(blobs: readonly BlobSource[], start: number): number {
  const packs = new Set<PackId>();
  let end = start;
  for (; end < blobs.length; end++) {
    const blob = blobs[end]!;
    if (blob.pack !== undefined || packs.has(blob.packName)) continue;
    if (packs.size === PACKS_PER_PART) break;
    packs.add(blob.packName);
  }
  return end;
}

/** Acquires every pack of `packs` from the spool (their local paths), or none: those it got go back on failure. */
async function acquireAll(spool: PackSpool, packs: readonly PackId[]): Promise<Map<PackId, string>> {
  const acquired = new Map<PackId, string>();
  const results = await Promise.allSettled(
    packs.map(async (pack) => acquired.set(pack, await spool.acquire(pack))),
  );
  const failure = results.find((result) => result.status === "rejected");
  if (failure === undefined) return acquired;
  for (const pack of acquired.keys()) spool.release(pack);
  throw failure.reason;
}

/** True when `blob` lies in storage right after the `length` bytes that start with `first`. */
function follows(blob: BlobSource, first: BlobSource, length: number): boolean {
  return blob.pack === undefined && blob.packName === first.packName && blob.offset === first.offset + length;
}

function removeQuietly(dir: DirHandle, name: string): void {
  try {
    removeIfPresent(dir, name, false);
  } catch {
    // The failure that brought us here is the one to report.
  }
}
