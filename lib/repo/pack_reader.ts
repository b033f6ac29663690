/**
 * Reads pack files for the use cases that need them whole or in ranges (restore, check, later prune's
 * repack), without handing them the backend: where packs lie in a local folder, workers open them by path
 * and read in parallel; elsewhere the bytes are read here and handed to the workers.
 *
 * @module
 */

import { asBackend, type Backend, type ByteRange, type FileEntry, LocalBackend } from "../backends/mod.ts";
import { IntegrityError, NotFoundError } from "../errors.ts";
import { isStoredFileName, type PackId } from "./types.ts";

/** Read access to a repository's pack files. */
export class PackReader {
  #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Where packs are stored, for messages. */
  get location(): string {
    return this.#backend.location;
  }

  /**
   * Every stored pack with its size, in no particular order. A file below `data/` whose name is no pack id
   * is not one, whatever put it there: prune must never take it for an unused pack and delete it.
   */
  async *list(): AsyncIterable<FileEntry> {
    for await (const entry of this.#backend.list("data")) {
      if (isStoredFileName(entry.name)) yield entry;
    }
  }

  /**
   * The path on this machine a worker can open the pack at, or undefined where packs are not files on this
   * machine, or a wrapper must see every read (the bytes then come from {@linkcode read}).
   */
  localPath(pack: PackId): string | undefined {
    return this.#localBackend()?.localPath({ kind: "data", name: pack });
  }

  /** True when {@linkcode localPath} gives paths: packs are files on this machine, read as they are. */
  get localFiles(): boolean {
    return this.#localBackend() !== undefined;
  }

  #localBackend(): LocalBackend | undefined {
    return this.#backend.capabilities.localFiles ? asBackend(this.#backend, LocalBackend) : undefined;
  }

  /** Reads a whole pack or a range of it. A missing pack is an `IntegrityError`. */
  async read(pack: PackId, range?: ByteRange): Promise<Uint8Array> {
    try {
      return await this.#backend.get({ kind: "data", name: pack }, range);
    } catch (error) {
      if (error instanceof NotFoundError) throw new IntegrityError(`Pack ${pack.slice(0, 12)} is missing`);
      throw error;
    }
  }
}
