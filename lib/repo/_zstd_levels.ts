/**
 * The zstd parameters zstd itself picks for an input whose size it is told, for inputs up to 256 KiB
 * (zstd's `lib/compress/clevels.h`, levels 1-3). A context reused from chunk to chunk is never told
 * the size, so it would use the level's parameters for large inputs: a window of 512 KiB to 2 MiB
 * (levels 1-3), tables cleared for every 10 KiB file as if it were megabytes, and match lengths tuned
 * for megabytes.
 *
 * @module
 */

/** zstd's compression parameters (the `ZSTD_c_*` settings of the same names). */
export interface ZstdParameters {
  windowLog: number;
  chainLog: number;
  hashLog: number;
  searchLog: number;
  minMatch: number;
  targetLength: number;
  /** 1 = ZSTD_fast, 2 = ZSTD_dfast. */
  strategy: number;
}

type Row = readonly [
  windowLog: number,
  chainLog: number,
  hashLog: number,
  searchLog: number,
  minMatch: number,
  targetLength: number,
  strategy: number,
];

/** Per size class (largest input, rows for levels 1, 2, 3), as in zstd's table. */
const SIZE_CLASSES: readonly { upTo: number; levels: readonly Row[] }[] = [
  { upTo: 16 * 1024, levels: [[14, 14, 15, 1, 5, 0, 1], [14, 14, 15, 1, 4, 0, 1], [14, 14, 15, 2, 4, 0, 2]] },
  {
    upTo: 128 * 1024,
    levels: [[17, 12, 13, 1, 6, 0, 1], [17, 13, 15, 1, 5, 0, 1], [17, 15, 16, 2, 5, 0, 2]],
  },
  {
    upTo: 256 * 1024,
    levels: [[18, 13, 14, 1, 6, 0, 1], [18, 14, 14, 1, 5, 0, 2], [18, 16, 16, 1, 4, 0, 2]],
  },
];

/** Inputs up to this size get parameters of their own. */
export const SIZED_UP_TO = SIZE_CLASSES.at(-1)!.upTo;

/**
 * zstd's parameters at `level` for an input of `size` bytes, or undefined when the level's defaults
 * for large inputs apply (larger inputs, levels other than 1-3). In the order of zstd's
 * `ZSTD_adjustCParams_internal`: the window shrinks to the input (at least 2^6), the tables to the window
 * (chain: as large, hash: twice), and only then is the window raised to zstd's minimum of 2^10.
 */
export function parametersForSize(level: number, size: number): ZstdParameters | undefined {
  const row = SIZE_CLASSES.find((sizeClass) => size <= sizeClass.upTo)?.levels[level - 1];
  if (!row) return undefined;
  const [classWindowLog, chainLog, hashLog, searchLog, minMatch, targetLength, strategy] = row;
  const sourceLog = Math.max(6, Math.ceil(Math.log2(Math.max(size, 1))));
  const fitted = Math.min(classWindowLog, sourceLog);
  return {
    windowLog: Math.max(10, fitted),
    chainLog: Math.min(chainLog, fitted), // for fast and dfast; the binary-tree strategies allow one more
    hashLog: Math.min(hashLog, fitted + 1),
    searchLog,
    minMatch,
    targetLength,
    strategy,
  };
}
