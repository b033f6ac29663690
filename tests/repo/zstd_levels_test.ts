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

Deno.test("parametersForSize keeps tables within the window and the window at zstd's minimum of 2^10", () => {
  const tiny = parametersForSize(3, 100)!;
  assert.equal(tiny.windowLog, 10);
  assert.equal(tiny.chainLog, 10);
  assert.equal(tiny.hashLog, 11);
  assert.equal(parametersForSize(2, 0)?.windowLog, 10, "an empty input");
  for (let size = 1; size <= SIZED_UP_TO; size = Math.ceil(size * 1.37)) {
    for (const level of [1, 2, 3]) {
      const p = parametersForSize(level, size)!;
      assert.ok(2 ** p.windowLog >= Math.min(size, 2 ** 18) && p.windowLog >= 10, `window for ${size}`);
      assert.ok(p.chainLog <= p.windowLog && p.hashLog <= p.windowLog + 1, `tables for ${size} at ${level}`);
    }
  }
});

Deno.test("parametersForSize leaves large inputs and other levels to the level's own defaults", () => {
  assert.equal(parametersForSize(2, SIZED_UP_TO + 1), undefined);
  assert.equal(parametersForSize(4, 1000), undefined);
  assert.equal(parametersForSize(0, 1000), undefined);
});
