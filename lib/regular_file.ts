/**
 * Regular files read by descriptor, the way the local backend reads packs, the metadata cache its copies
 * and the restore workers packs: opened without blocking (a FIFO put in a file's place would otherwise wait
 * for a writer, and hang the reader; it is refused instead), and read with pread, so that one descriptor
 * serves any number of ranges.
 *
 * @module
 */

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { readFullSync } from "./read_full.ts";

/**
 * The regular file at `path`, open for reading, with its size; undefined (closed again) when something
 * else is there. Throws what opening it throws (`code` "ENOENT" when it does not exist).
 */
export function openRegularSync(path: string): { fd: number; size: number } | undefined {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let size: number | undefined;
  try {
    const stat = fstatSync(fd);
    if (stat.isFile()) size = stat.size;
  } finally {
    if (size === undefined) closeSync(fd);
  }
  return size === undefined ? undefined : { fd, size };
}

/** Fills `into` from `fd` at `position` (the file offset does not move); returns the bytes read: fewer at its end. */
export function preadFullSync(fd: number, into: Uint8Array, position: number): number {
  return readFullSync(into, (rest, filled) => readSync(fd, rest, 0, rest.length, position + filled));
}
