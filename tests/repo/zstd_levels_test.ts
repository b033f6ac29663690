import assert from "node:assert/strict";
import { parametersForSize, SIZED_UP_TO } from "../../lib/repo/_zstd_levels.ts";

Deno.test("parametersForSize takes zstd's row for the input's size class and shrinks the window to the input", () => {
  // Class edges are inclusive, as in zstd (srcSize <= 16 KiB, 128 KiB, 256 KiB).
  assert.deepEqual(parametersForSize(2, 16 * 1024), {
    windowLog: 14,
    chainLog: 14,
    hashLog: 15,
    searchLog: 1,
    minMatch: 4,
    targetLength: 0,
    strategy: 1,
  });
  assert.deepEqual(parametersForSize(2, 16 * 1024 + 1), {
    windowLog: 15,
    chainLog: 13,
    hashLog: 15,
    searchLog: 1,
    minMatch: 5,
    targetLength: 0,
    strategy: 1,
  });
  assert.equal(parametersForSize(3, 128 * 1024)?.windowLog, 17);
  assert.equal(parametersForSize(3, 128 * 1024)?.strategy, 2, "level 3 searches with dfast");
  assert.equal(parametersForSize(1, 128 * 1024 + 1)?.windowLog, 18);
  assert.equal(parametersForSize(2, SIZED_UP_TO)?.windowLog, 18);
});

Deno.test("parametersForSize fits the tables to the input before it raises the window to zstd's minimum", () => {
  // As ZSTD_adjustCParams_internal: 100 bytes make a window of 2^7, tables of 2^7 (chain) and 2^8 (hash),
  // and then the window is raised to 2^10. Inputs under 64 bytes count as 64.
  const tiny = parametersForSize(3, 100)!;
  assert.deepEqual([tiny.windowLog, tiny.chainLog, tiny.hashLog], [10, 7, 8]);
  const empty = parametersForSize(2, 0)!;
  assert.deepEqual([empty.windowLog, empty.chainLog, empty.hashLog], [10, 6, 7]);
  const kib = parametersForSize(1, 1024)!;
  assert.deepEqual([kib.windowLog, kib.chainLog, kib.hashLog], [10, 10, 11]);
  for (let size = 1; size <= SIZED_UP_TO; size = Math.ceil(size * 1.37)) {
    for (const level of [1, 2, 3]) {
      const p = parametersForSize(level, size)!;
      assert.ok(2 ** p.windowLog >= Math.min(size, 2 ** 18) && p.windowLog >= 10, `window for ${size}`);
      const fitted = Math.max(6, Math.ceil(Math.log2(Math.max(size, 1))));
      assert.ok(p.chainLog <= fitted && p.hashLog <= fitted + 1, `tables for ${size} at ${level}`);
    }
  }
});

Deno.test("parametersForSize leaves large inputs and other levels to the level's own defaults", () => {
  assert.equal(parametersForSize(2, SIZED_UP_TO + 1), undefined);
  assert.equal(parametersForSize(4, 1000), undefined);
  assert.equal(parametersForSize(0, 1000), undefined);
});
