// A ring buffer in shared memory that carries sealed blobs from one chunking worker to the main thread.
// The worker seals straight into the ring and the main thread copies from it into a pack, so no blob
// needs a buffer of its own: fresh buffers cost page faults to fill and garbage to free, and a backup
// makes one per megabyte. The ring's size is also the back-pressure: a worker that is a ring ahead of
// the pack sink waits.
//
// Positions are byte counters that wrap at 2^32; a blob never wraps: when it does not fit before the
// ring's end, the rest of the ring is skipped and counted as part of that blob's span.

/** Ring size per worker. Blobs over half of it travel in buffers of their own (rare: max-size chunks). */
export const RING_BYTES = 8 * 1024 * 1024;

/** Where a blob lies in the ring, and how much the reader frees once it is copied. */
export interface RingSlice {
  offset: number;
  length: number;
  /** `length` plus any skipped space before the blob. */
  span: number;
}

/** Shared state of one ring: the bytes, and the reader's progress as one Int32. */
export interface RingBuffers {
  bytes: SharedArrayBuffer;
  /** Int32 at 0: bytes the reader has consumed so far (wrapping). */
  consumed: SharedArrayBuffer;
}

export function createRing(): RingBuffers {
  return { bytes: new SharedArrayBuffer(RING_BYTES), consumed: new SharedArrayBuffer(4) };
}

/** The worker's side: reserves room for the next blob, waiting while the reader is a ring behind. */
export class RingWriter {
  readonly bytes: Uint8Array;
  #consumed: Int32Array;
  /** Bytes written so far (wrapping at 2^32, like the reader's counter). */
  #produced = 0;

  constructor(buffers: RingBuffers) {
    this.bytes = new Uint8Array(buffers.bytes);
    this.#consumed = new Int32Array(buffers.consumed);
  }

  /** True when a blob of `length` bytes must travel outside the ring. */
  static tooLarge(length: number): boolean {
    return length > RING_BYTES / 2;
  }

  /**
   * Reserves `length` contiguous bytes. While the ring is full it calls `beforeWait` (which must hand the
   * blobs written so far to the reader, or the reader could never free them) and then waits.
   */
  reserve(length: number, beforeWait: () => void): RingSlice {
    const position = this.#produced % RING_BYTES;
    const skip = position + length > RING_BYTES ? RING_BYTES - position : 0;
    const span = skip + length;
    for (;;) {
      const consumed = Atomics.load(this.#consumed, 0);
      const inUse = (this.#produced - consumed) >>> 0;
      if (inUse + span <= RING_BYTES) break;
      beforeWait();
      Atomics.wait(this.#consumed, 0, consumed, 1000);
    }
    this.#produced = (this.#produced + span) >>> 0;
    return { offset: skip > 0 ? 0 : position, length, span };
  }
}

/** The main thread's side: views of blobs, and freeing them once copied. */
export class RingReader {
  readonly #bytes: Uint8Array;
  readonly #consumed: Int32Array;

  constructor(buffers: RingBuffers) {
    this.#bytes = new Uint8Array(buffers.bytes);
    this.#consumed = new Int32Array(buffers.consumed);
  }

  /** The blob's bytes: valid until {@link release} of the same slice. */
  view(slice: RingSlice): Uint8Array {
    return this.#bytes.subarray(slice.offset, slice.offset + slice.length);
  }

  /** Frees a blob's space; slices must be released in the order they were reserved. */
  release(slice: RingSlice): void {
    Atomics.add(this.#consumed, 0, slice.span);
    Atomics.notify(this.#consumed, 0);
  }
}
