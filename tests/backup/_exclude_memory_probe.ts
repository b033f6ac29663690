// Run by excludes_test.ts with --expose-gc: prints how many bytes of heap an ExcludeMatcher keeps after
// answering for 300,000 different paths.

import { ExcludeMatcher } from "../../lib/backup/excludes.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const matcher = new ExcludeMatcher({
  excludes: ["*.tmp", "/srv/cache/"],
  excludeIfPresent: [],
  ignoreFiles: [],
  excludeLargerThan: undefined,
});
gc();
const before = Deno.memoryUsage().heapUsed;
for (let folder = 0; folder < 300; folder++) {
  for (let file = 0; file < 1000; file++) {
    matcher.isExcluded(`/srv/data/folder-${folder}/file-number-${file}.txt`, false, []);
  }
}
gc();
const kept = Deno.memoryUsage().heapUsed - before;
// Uses the matcher after measuring, so that it is still alive when the heap is measured.
console.log(JSON.stringify({ kept, excluded: matcher.isExcluded("/srv/cache/x", false, []) }));
