// The counts behind `kept backup`'s progress line: what the walk has met (growing totals), what is done,
// when the totals are final, and how the line shows them.

import assert from "node:assert/strict";
import { backup, type BackupProgress } from "../../lib/backup/backup.ts";
import { backupProgressState } from "../../lib/cli/_progress.ts";
import { nextSecond } from "../_support/fixture.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { backupOptions, testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

/**
 * Sources that take every way into the walk: a folder tree (folders new and nested), a file as a source,
 * a symlink as a source and a source two virtual folders deep. Returns the sources and the files' bytes.
 */
function writeSources(root: string): { sources: string[]; files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const write = (path: string, size: number) => {
    Deno.writeFileSync(path, randomBytes(size, ++files));
    bytes += size;
  };
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 3; j++) {
      Deno.mkdirSync(`${root}/tree/d${i}/e${j}`, { recursive: true });
      write(`${root}/tree/d${i}/e${j}/f.bin`, 1000 * (i + 1) + j);
    }
    write(`${root}/tree/d${i}/top.bin`, 70_000 * i);
  }
  write(`${root}/single.bin`, 12_345);
  Deno.mkdirSync(`${root}/x/y/deep`, { recursive: true });
  write(`${root}/x/y/deep/g.bin`, 10);
  Deno.symlinkSync("single.bin", `${root}/link`);
  const sources = [`${root}/tree`, `${root}/single.bin`, `${root}/x/y/deep`, `${root}/link`];
  return { sources, files, bytes };
}

/** The counts at this moment (`current` is a getter). */
function counts(progress: BackupProgress) {
  const { filesSeen, bytesSeen, filesDone, bytesDone, walked, current } = progress;
  return { filesSeen, bytesSeen, filesDone, bytesDone, walked, current };
}

Deno.test("backup() counts every file the walk meets, and the totals are final only once it met them all", async (t) => {
  using dir = tempDir("kept-progress-");
  const { sources, files, bytes } = writeSources(dir.path);
  const repository = await testRepository();
  await nextSecond(); // files changed in the second a backup starts are always read again

  await t.step("a first backup: files are done as their content is stored", async () => {
    let progress: BackupProgress | undefined;
    const seen: ReturnType<typeof counts>[] = [];
    const currents = new Set<string>();
    const sample = () => {
      if (progress === undefined) return;
      seen.push(counts(progress));
      if (progress.current !== undefined) currents.add(progress.current);
    };
    const timer = setInterval(sample, 1);
    const result = await backup(repository, {
      ...backupOptions(sources),
      watchProgress: (watched) => progress = watched,
      // A file met after the walk said it had met them all would make the total a lie.
      onFile: () => assert.equal(progress?.walked, false),
    }).finally(() => clearInterval(timer));
    sample();
    assert.equal(result.stats.files, files);
    assert.deepEqual(counts(progress!), {
      filesSeen: files,
      bytesSeen: bytes,
      filesDone: files,
      bytesDone: bytes,
      walked: true,
      current: undefined, // all stored
    });
    assert.ok(
      currents.size >= 1 && [...currents].every((path) => path.startsWith(dir.path)),
      [...currents].join(),
    );
    for (const [i, count] of seen.entries()) {
      assert.ok(count.filesDone <= count.filesSeen, JSON.stringify(count));
      if (count.walked) assert.equal(count.filesSeen, files);
      const before = seen[i - 1];
      if (before) assert.ok(count.filesDone >= before.filesDone && count.bytesDone >= before.bytesDone);
    }
  });

  await t.step("a repeat backup: unchanged files are done as soon as they are decided", async () => {
    let progress: BackupProgress | undefined;
    const result = await backup(repository, {
      ...backupOptions(sources),
      watchProgress: (watched) => progress = watched,
    });
    assert.equal(result.stats.unchangedFiles, files);
    assert.deepEqual(counts(progress!), {
      filesSeen: files,
      bytesSeen: bytes,
      filesDone: files,
      bytesDone: bytes,
      walked: true,
      current: undefined, // none was read
    });
  });

  await t.step(
    "a repeat backup is walked depth first, and still met every file before it says so",
    async () => {
      // Files changed in folders the walk reaches late, after waiting for parent trees.
      for (
        const path of [
          `${dir.path}/tree/d5/top.bin`,
          `${dir.path}/tree/d3/e1/f.bin`,
          `${dir.path}/x/y/deep/g.bin`,
        ]
      ) {
        const size = Deno.statSync(path).size;
        Deno.writeFileSync(path, randomBytes(size, 1000 + size));
      }
      let progress: BackupProgress | undefined;
      const loadTree = repository.loadTree.bind(repository);
      const walkedAtTree: boolean[] = [];
      repository.loadTree = (id) => {
        walkedAtTree.push(progress?.walked ?? false);
        return loadTree(id);
      };
      try {
        const result = await backup(repository, {
          ...backupOptions(sources),
          watchProgress: (watched) => progress = watched,
          onFile: () => assert.equal(progress?.walked, false),
        });
        assert.equal(result.stats.changedFiles, 3);
      } finally {
        repository.loadTree = loadTree;
      }
      assert.ok(walkedAtTree.length > 20, `${walkedAtTree.length} trees`);
      assert.ok(!walkedAtTree.includes(true), "a folder met after the walk said it was done");
      assert.equal(progress!.filesDone, files);
      assert.equal(progress!.bytesSeen, bytes);
    },
  );

  await t.step("a dry run counts what it would read as done", async () => {
    Deno.writeFileSync(`${dir.path}/tree/d0/new.bin`, randomBytes(500, 99));
    let progress: BackupProgress | undefined;
    await backup(repository, {
      ...backupOptions(sources),
      dryRun: true,
      watchProgress: (watched) => progress = watched,
    });
    assert.equal(progress!.filesDone, files + 1);
    assert.equal(progress!.bytesSeen, bytes + 500);
    assert.equal(progress!.current, undefined, "a dry run reads no file");
  });
});

Deno.test("backupProgressState() shows nothing before the walk meets a file, then its counts", () => {
  const counts = {
    filesSeen: 0,
    bytesSeen: 0,
    filesDone: 0,
    bytesDone: 0,
    walked: false,
    current: undefined,
  };
  assert.equal(backupProgressState(counts), undefined);
  assert.deepEqual(backupProgressState({ ...counts, walked: true }), {
    unit: "files",
    done: 0,
    total: 0,
    bytesDone: 0,
    bytesTotal: 0,
    totalsFinal: true,
  });
  const growing = { ...counts, filesSeen: 7, bytesSeen: 700, filesDone: 2, bytesDone: 50 };
  assert.deepEqual(backupProgressState({ ...growing, current: "/srv/a\nb" }), {
    unit: "files",
    done: 2,
    total: 7,
    bytesDone: 50,
    bytesTotal: 700,
    totalsFinal: false,
    current: "/srv/a\\nb", // one line, whatever the name holds
  });
});

Deno.test("a large file's bytes count as its blobs are stored, before the file is done", async () => {
  using dir = tempDir("kept-progress-");
  const size = 48 * 1024 * 1024;
  Deno.writeFileSync(`${dir.path}/large.bin`, randomBytes(size, 5));
  const repository = await testRepository();
  let progress: BackupProgress | undefined;
  const seen: ReturnType<typeof counts>[] = [];
  const timer = setInterval(() => progress && seen.push(counts(progress)), 1);
  await backup(repository, { ...backupOptions([dir.path]), watchProgress: (watched) => progress = watched })
    .finally(() => clearInterval(timer));
  // Once the line showed "0 B of 48 MiB" until the whole file was stored.
  assert.ok(seen.some((count) => count.filesDone === 0 && count.bytesDone > 0), JSON.stringify(seen.at(-1)));
  for (const [i, count] of seen.entries()) {
    assert.ok(count.bytesDone <= size, JSON.stringify(count));
    assert.ok(count.bytesDone >= (seen[i - 1]?.bytesDone ?? 0), JSON.stringify([seen[i - 1], count]));
  }
  assert.equal(counts(progress!).bytesDone, size);
});
