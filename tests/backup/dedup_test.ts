// Deduplication: data the repository has is never stored twice, and content-defined chunking finds it
// again after an insertion shifts every byte.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { makeFixture, nextSecond, nodeAt } from "../_support/fixture.ts";

const MB = 1_000_000;
const MiB = 1024 * 1024;

Deno.test("backups deduplicate: an unchanged tree, a copied file and a shifted file add almost nothing", async (t) => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  try {
    Deno.mkdirSync(`${src}/small`, { recursive: true });
    writeRandomFile(`${src}/big.bin`, 100 * MB, 42);
    for (let i = 0; i < 200; i++) {
      Deno.writeTextFileSync(`${src}/small/${i}.txt`, `file ${i}\n`.repeat(i + 1));
    }
    await nextSecond();
    const first = await fixture.backup("p");
    assert.equal(first.stats.newFiles, 201);
    const firstBytes = fixture.repoBytes();
    assert.ok(firstBytes > 100 * MB, `the repository holds only ${firstBytes} bytes`);

    await t.step("the same tree again adds less than 1% and reads no file", async () => {
      const again = await fixture.backup("p");
      assert.equal(again.parentId, first.snapshotId);
      assert.equal(again.stats.unchangedFiles, 201);
      assert.equal(again.stats.newFiles + again.stats.changedFiles, 0);
      const grown = fixture.repoBytes() - firstBytes;
      assert.ok(grown < firstBytes / 100, `the repository grew by ${grown} bytes`);
    });

    await t.step("a second copy of a 100 MB file adds less than 1 MB", async () => {
      Deno.copyFileSync(`${src}/big.bin`, `${src}/copy.bin`);
      await nextSecond();
      const before = fixture.repoBytes();
      const copied = await fixture.backup("p");
      assert.equal(copied.stats.newFiles, 1, "the copy is a new file and must be read");
      assert.ok(copied.stats.addedBytes < 1 * MB, `the backup added ${copied.stats.addedBytes} bytes`);
      const grown = fixture.repoBytes() - before;
      assert.ok(grown < 1 * MB, `the repository grew by ${grown} bytes`);
    });

    await t.step("one byte inserted at the start of a 100 MB file stores at most 3 new chunks", async () => {
      const repository = await fixture.open();
      const snapshots = await repository.listSnapshots();
      const old = await nodeAt(repository, snapshots.at(-1)!.id, `${src}/big.bin`);
      writeRandomFile(`${src}/big.bin`, 100 * MB + 1, 42, { prefix: Uint8Array.of(0x7f) });
      const shifted = await fixture.backup("p");
      assert.equal(shifted.stats.changedFiles, 1);

      const reopened = await fixture.open();
      const now = await nodeAt(reopened, shifted.snapshotId!, `${src}/big.bin`);
      const known = new Set(old.content);
      const fresh = now.content!.filter((id) => !known.has(id));
      assert.ok(old.content!.length >= 50, `100 MB made only ${old.content!.length} chunks`);
      assert.ok(
        fresh.length >= 1 && fresh.length <= 3,
        `${fresh.length} of ${now.content!.length} chunks are new`,
      );
      // Trees of the folders up to the root are new too; data is at most three maximal chunks.
      assert.ok(shifted.stats.addedBytes < 3 * 8 * MiB, `the backup added ${shifted.stats.addedBytes} bytes`);
    });
  } finally {
    await fixture.cleanup();
  }
});
