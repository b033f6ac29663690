// Reads remote packs in windows of several MiB, for restore: the blobs of files that follow each other in a
// snapshot mostly follow each other in their packs, so one ranged read serves many small files, where a
// read per file would cost one request each (1,400 requests for 1,400 files on S3). The windows kept are
// bounded in bytes; reads of one window that are in flight are shared.

import type { PackEntry, PackId, PackReader } from "../repo/mod.ts";

/** How much of a pack one read fetches, at least (more when a single read asks for more). */
export const WINDOW_BYTES = 8 << 20;
/** The bytes of windows kept at once, besides those still being read. */
const KEPT_BYTES = 4 * WINDOW_BYTES;

/** What the windows need of a repository: ranged reads, and where each pack's blobs end. */
export interface WindowSource {
  readonly index: { packEntries(pack: PackId): readonly PackEntry[] | undefined };
  readonly packs: Pick<PackReader, "read">;
}

interface Window {
  pack: PackId;
  start: number;
  end: number;
  bytes: Promise<Uint8Array>;
}

/** Ranged reads of packs through a small cache of windows. */
export class PackWindows {
  readonly #source: WindowSource;
  /** Oldest first. */
  #windows: Window[] = [];
  readonly #blobsEnd = new Map<PackId, number>();

  constructor(source: WindowSource) {
    this.#source = source;
  }

  /** `length` bytes of `pack` from `offset`: a view into a window, valid until the caller's next await. */
  async read(pack: PackId, offset: number, length: number): Promise<Uint8Array> {
    const window = this.#find(pack, offset, length) ?? this.#open(pack, offset, length);
    const bytes = await window.bytes;
    const from = offset - window.start;
    return bytes.subarray(from, from + length);
  }

  #find(pack: PackId, offset: number, length: number): Window | undefined {
    return this.#windows.find((window) =>
      window.pack === pack && window.start <= offset && offset + length <= window.end
    );
  }

  #open(pack: PackId, offset: number, length: number): Window {
    // Windows are aligned, so that files read a little out of order (backups store files in the order
    // their chunks were ready) still meet in the same window; never past the last blob: a ranged read beyond
    // the end of an object is an error on S3.
    const start = offset - offset % WINDOW_BYTES;
    const end = Math.max(offset + length, Math.min(start + WINDOW_BYTES, this.#endOfBlobs(pack)));
    const window: Window = {
      pack,
      start,
      end,
      bytes: this.#source.packs.read(pack, { offset: start, length: end - start }),
    };
    // A failed read is not kept: the next file tries again (and reports its own failure).
    window.bytes.catch(() => this.#drop(window));
    this.#windows.push(window);
    this.#evict();
    return window;
  }

  /** Where the last blob of `pack` ends, from the index (0 when the index does not know the pack). */
  #endOfBlobs(pack: PackId): number {
    let end = this.#blobsEnd.get(pack);
    if (end === undefined) {
      end = 0;
      for (const entry of this.#source.index.packEntries(pack) ?? []) {
        end = Math.max(end, entry.offset + entry.length);
      }
      this.#blobsEnd.set(pack, end);
    }
    return end;
  }

  /** Drops the oldest windows until the others fit in the budget (the newest always stays). */
  #evict(): void {
    let total = this.#windows.reduce((sum, window) => sum + (window.end - window.start), 0);
    while (total > KEPT_BYTES && this.#windows.length > 1) {
      const oldest = this.#windows.shift()!;
      total -= oldest.end - oldest.start;
    }
  }

  #drop(window: Window): void {
    this.#windows = this.#windows.filter((kept) => kept !== window);
  }
}
