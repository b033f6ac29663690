// Remote packs downloaded whole into a folder on this machine, for a restore: the workers then read their
// blobs with pread as they read a local repository's packs. Files are restored in the order of their
// snapshot, while their blobs lie in packs in the order the backup's workers finished them, so a restore
// comes back to most packs many times; reading windows of them from storage each time downloaded a
// repository's bytes a dozen times over (1.4 GiB for a 110 MiB repository). Here each pack is downloaded
// once while the spool has room (`maxBytes`, the least recently used packs that no file is reading make
// room), with a few downloads at a time.

import { join } from "node:path";
import { processAlive } from "../process_alive.ts";
import type { PackId, PackReader } from "../repo/mod.ts";
import { Slots } from "../workers/mod.ts";

/**
 * A spool folder's name: `.kept-restore-spool-PID@HOST.` and a random suffix, so that a later restore can
 * tell the spool of a restore that was killed (its process is gone) from one still running.
 */
const SPOOL_PREFIX = ".kept-restore-spool-";
const SPOOL_NAME = /^\.kept-restore-spool-(\d+)@(.*)\.[^.]+$/;
const thisHost = () => Deno.hostname().replace(/[^A-Za-z0-9.-]/g, "_");

/**
 * Removes the spool folders in `parent` that restores killed on this host left behind (up to 1 GiB of
 * packs each); returns their names. Those of running restores, and of other hosts, stay.
 */
export async function removeLeftSpools(parent: string, alive = processAlive): Promise<string[]> {
  const removed: string[] = [];
  const host = thisHost();
  try {
    for await (const entry of Deno.readDir(parent)) {
      const match = SPOOL_NAME.exec(entry.name);
      if (!entry.isDirectory || match === null || match[2] !== host || alive(Number(match[1]))) continue;
      await Deno.remove(join(parent, entry.name), { recursive: true });
      removed.push(entry.name);
    }
  } catch (error) {
    // A target that does not exist yet holds none.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed;
}

/** What the spool needs of a repository: whole packs. */
export interface SpoolSource {
  readonly packs: Pick<PackReader, "read">;
}

/** Where the spool lives and how much it may hold. */
export interface SpoolOptions {
  /** The folder to make the spool's own folder in (it is removed by `close()`). */
  parent: string;
  /** Bytes of packs kept; packs being read by files in flight are kept beyond it. */
  maxBytes: number;
  /** Downloads at once. */
  downloads: number;
}

interface SpooledPack {
  /** Resolves with the path once the pack is on disk. */
  ready: Promise<string>;
  bytes: number;
  /** Files in flight that read from it: it is not removed while any does. */
  readers: number;
}

/** A folder of whole packs, downloaded on first use. */
export class PackSpool {
  readonly #source: SpoolSource;
  readonly #options: SpoolOptions;
  readonly #downloads: Slots;
  /** Least recently used first (a Map keeps insertion order; a use moves the pack to the end). */
  readonly #packs = new Map<PackId, SpooledPack>();
  #bytes = 0;
  #downloaded = 0;
  #folder: Promise<string> | undefined;
  #closed = false;

  constructor(source: SpoolSource, options: SpoolOptions) {
    this.#source = source;
    this.#options = options;
    this.#downloads = new Slots(options.downloads);
  }

  /**
   * The local path of `pack`, downloaded first if it is not in the spool; the pack stays until `release()`
   * is called for it as often as `acquire()` was. Rejects with what reading the pack throws.
   */
  async acquire(pack: PackId): Promise<string> {
    let spooled = this.#packs.get(pack);
    if (spooled === undefined) {
      spooled = { ready: this.#download(pack), bytes: 0, readers: 0 };
      // A failed download is not kept: the next file tries again (and reports its own failure).
      spooled.ready.catch(() => {
        if (this.#packs.get(pack) === spooled) this.#packs.delete(pack);
      });
    } else {
      this.#packs.delete(pack);
    }
    this.#packs.set(pack, spooled);
    spooled.readers++;
    try {
      return await spooled.ready;
    } catch (error) {
      spooled.readers--;
      throw error;
    }
  }

  /** Says that one file acquired `pack` is done with it. */
  release(pack: PackId): void {
    const spooled = this.#packs.get(pack);
    if (spooled !== undefined && spooled.readers > 0) spooled.readers--;
    this.#makeRoom();
  }

  /** Removes the spool's folder and everything in it. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#packs.clear();
    const folder = await this.#folder?.catch(() => undefined);
    if (folder !== undefined) await Deno.remove(folder, { recursive: true }).catch(() => {});
  }

  async #download(pack: PackId): Promise<string> {
    const folder = await (this.#folder ??= Deno.makeTempDir({
      dir: this.#options.parent,
      prefix: `${SPOOL_PREFIX}${Deno.pid}@${thisHost()}.`,
    }));
    const waiting = this.#downloads.acquire();
    if (waiting) await waiting;
    try {
      const bytes = await this.#source.packs.read(pack);
      if (this.#closed) throw new Deno.errors.Interrupted("The restore has ended");
      // A name of its own per download: removing an evicted copy must not remove a newer one.
      const path = join(folder, `${pack}.${++this.#downloaded}`);
      await Deno.writeFile(path, bytes, { mode: 0o600 });
      const spooled = this.#packs.get(pack);
      if (spooled !== undefined) {
        spooled.bytes = bytes.length;
        this.#bytes += bytes.length;
      }
      this.#makeRoom();
      return path;
    } finally {
      this.#downloads.release();
    }
  }

  /** Removes the least recently used packs no file is reading until the rest fit in `maxBytes`. */
  #makeRoom(): void {
    for (const [pack, spooled] of this.#packs) {
      if (this.#bytes <= this.#options.maxBytes) return;
      if (spooled.readers > 0 || spooled.bytes === 0) continue;
      this.#packs.delete(pack);
      this.#bytes -= spooled.bytes;
      // A worker that still has it open reads on: the file goes when its last descriptor does.
      void spooled.ready.then((path) => Deno.remove(path)).catch(() => {});
    }
  }
}
