// The walk hands out folders depth first: a repeat backup holds the parent trees of the folders on the
// current path only, instead of opening every folder of the source at once (which held all parent trees,
// listings and new nodes together: a no-change backup of 1,800 folders peaked at 160 instead of 128 MiB).

import assert from "node:assert/strict";
import type { ByteRange, Handle } from "../../lib/backends/backend.ts";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { backup } from "../../lib/backup/backup.ts";
import { nextSecond } from "../_support/fixture.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Records the most reads of pack data in flight at once. */
class ConcurrencyBackend extends MemoryBackend {
  inFlight = 0;
  mostInFlight = 0;
  override async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (handle.kind !== "data") return await super.get(handle, range);
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1)); // a read that takes a moment
      return await super.get(handle, range);
    } finally {
      this.inFlight--;
    }
  }
}

Deno.test("a repeat backup walks folders depth first, not all at once", async () => {
  using dir = tempDir("kept-walk-");
  const root = dir.path;
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j < 3; j++) {
      Deno.mkdirSync(`${root}/d${i}/e${j}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/d${i}/e${j}/f.txt`, `file ${i}.${j}\n`);
    }
  }
  const backend = new ConcurrencyBackend();
  const repository = await testRepository(backend);
  const options = () => (backupOptions([root]));
  await nextSecond(); // files changed in the second a backup starts are always read again
  const first = await backup(repository, options());
  assert.equal(first.stats.dirs >= 161, true);
  backend.mostInFlight = 0;
  const repeat = await backup(repository, options());
  assert.equal(repeat.stats.unchangedFiles, 120);
  assert.equal(repeat.stats.unchangedDirs, repeat.stats.dirs);
  // Breadth first, all 40 folders' trees (then their 120 subfolders') were read at once.
  assert.ok(backend.mostInFlight <= 4, `${backend.mostInFlight} tree reads in flight at once`);
});
