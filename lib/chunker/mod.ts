/**
 * Content-defined chunking for kept's repository format v1: a FastCDC-style gear-hash
 * chunker with normalized chunking, keyed by a secret gear table so that cut points
 * cannot be used to fingerprint stored files.
 *
 * This is a leaf module: it imports nothing else of kept's.
 *
 * @example
 * ```ts
 * import { Chunker, chunkLengths, gearTable } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const chunker = new Chunker(gearTable(new Uint8Array(32)), { minSize: 64, avgSize: 256, maxSize: 1024 });
 * const data = new Uint8Array(10_000).map((_, i) => (i * 2654435761) >>> 24);
 * const lengths = chunkLengths(chunker, data);
 * assert.equal(lengths.reduce((a, b) => a + b, 0), data.length);
 * ```
 *
 * @module
 */

export { Chunker, chunkLengths } from "./_chunker.ts";
export type { ChunkerParams } from "./_chunker.ts";
export { GEAR_KEY_LENGTH, gearTable } from "./_gear_table.ts";
