/**
 * Returning memory at once. V8 frees an ArrayBuffer's memory only when it collects the buffer, and with
 * buffers of a megabyte or more made per chunk, that is hundreds of megabytes later. Detaching the
 * buffer frees its memory immediately, and the allocator hands the same pages to the next buffer.
 *
 * @module
 */

/** Smaller buffers may share an allocation pool (node:buffer's); they are left to the GC. */
const DISCARD_FROM = 64 * 1024;

/**
 * Frees the memory behind `bytes` now. Only for buffers nobody else uses: afterwards every view of the
 * same ArrayBuffer is empty. Views of a part of a buffer, shared buffers and small buffers are left alone.
 */
export function discard(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (
    buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength &&
    buffer.byteLength >= DISCARD_FROM && !buffer.detached
  ) {
    buffer.transfer(0);
  }
}
