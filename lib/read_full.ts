/**
 * The read-until-full loop: a read may return fewer bytes than asked for, so whoever needs a whole range
 * reads again until the buffer is full or the source ends. One copy, sync and async.
 *
 * @module
 */

/** Reads a part: bytes into `rest`, the part of the buffer after `filled` bytes; 0 or null at the end. */
export type ReadPart = (rest: Uint8Array, filled: number) => number | null;

/** Fills `into` by calling `read` until it is full or returns 0 or null; returns how many bytes it read. */
export function readFullSync(into: Uint8Array, read: ReadPart): number {
  let filled = 0;
  while (filled < into.length) {
    const count = read(into.subarray(filled), filled);
    if (count === null || count === 0) break;
    filled += count;
  }
  return filled;
}

/** {@linkcode readFullSync} for reads that return a promise. */
export async function readFull(
  into: Uint8Array,
  read: (rest: Uint8Array, filled: number) => Promise<number | null>,
): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const count = await read(into.subarray(filled), filled);
    if (count === null || count === 0) break;
    filled += count;
  }
  return filled;
}
