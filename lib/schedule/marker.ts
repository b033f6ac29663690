/**
 * The mark of the files kept writes, so that it replaces or removes its own files and nobody else's.
 *
 * @module
 */

/** How every file kept writes starts: only files that start so are ever replaced or removed. */
export const MARKER_PREFIX = "# Written by `kept schedule install`";
/** The first line of every file kept writes. */
export const MARKER = `${MARKER_PREFIX}: it rewrites or removes this file; change the plan instead.`;
