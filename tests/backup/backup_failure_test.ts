// A backup whose destination stops taking packs fails with the destination's error: it neither hangs
// (workers waiting for ring space that failed blobs never gave back) nor dies of an unhandled rejection
// (a subfolder failing while its parent folder is still being walked).

import assert from "node:assert/strict";
import type { Handle } from "../../lib/backends/backend.ts";
import { LocalBackend, MemoryBackend } from "../../lib/backends/mod.ts";
import { backup } from "../../lib/backup/backup.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { backupOptions, patchWriters, testRepository } from "../_support/repository.ts";
import { makeFixture } from "../_support/fixture.ts";
import { tempDir } from "../_support/temp_dir.ts";

class FullBackend extends MemoryBackend {
  override put(handle: Handle, data: Uint8Array): Promise<void> {
    if (handle.kind === "data") return Promise.reject(new Error("no space left on device (simulated)"));
    return super.put(handle, data);
  }
}

/** "resolved", or "rejected: " and the error's message. */
function outcome(run: Promise<unknown>): Promise<string> {
  return run.then(() => "resolved", (error) => `rejected: ${error.message}`);
}

async function failingBackup(sources: string[]): Promise<string> {
  const repository = await testRepository(new FullBackend());
  const run = outcome(backup(repository, backupOptions(sources, { workers: 1 })));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) =>
    timer = setTimeout(() => resolve("still running after 30 s"), 30_000)
  );
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a backup fails, rather than hangs, when packs cannot be stored", async () => {
  using dir = tempDir("kept-full-");
  const root = dir.path;
  // More than a pack and a worker's ring of new data: the worker has to wait for ring space.
  for (let i = 0; i < 16; i++) Deno.writeFileSync(`${root}/f${i}`, randomBytes(4 * 1024 * 1024, 1000 + i));
  assert.equal(await failingBackup([root]), "rejected: no space left on device (simulated)");
});

Deno.test("a subfolder that fails while its parent is still walked fails the backup, not the process", async () => {
  // The first source fills a pack that cannot be stored; from then on every tree fails to store. The
  // second has more small files than there are read slots, so its walk waits for slots while some of its
  // twenty subfolders (wherever the listing puts them) finish and fail.
  using dir = tempDir("kept-full-");
  const root = dir.path;
  Deno.mkdirSync(`${root}/big`);
  Deno.writeFileSync(`${root}/big/file`, randomBytes(20 * 1024 * 1024, 7));
  Deno.mkdirSync(`${root}/many`);
  for (let i = 0; i < 3000; i++) Deno.writeFileSync(`${root}/many/c${i}`, randomBytes(100, 10_000 + i));
  for (let i = 0; i < 20; i++) {
    Deno.mkdirSync(`${root}/many/sub${i}`);
    Deno.writeFileSync(`${root}/many/sub${i}/f`, randomBytes(100, 20_000 + i));
  }
  assert.equal(
    await failingBackup([`${root}/big`, `${root}/many`]),
    "rejected: no space left on device (simulated)",
  );
});

Deno.test("a backup fails when a chunk worker dies, rather than skipping every file after it", async () => {
  using dir = tempDir("kept-dead-worker-");
  const root = dir.path;
  for (let i = 0; i < 3; i++) Deno.writeTextFileSync(`${root}/f${i}`, `file ${i}\n`);
  const repository = await testRepository();
  // Parameters the worker's chunker refuses: the worker dies while it starts.
  (repository.config as { chunker: object }).chunker = { ...repository.config.chunker, minSize: -1 };
  const outcome = await backup(repository, backupOptions([root])).then(
    (result) => `resolved, ${result.stats.skipped} files skipped`,
    (error) => `rejected: ${error.message}`,
  );
  assert.match(outcome, /^rejected: chunk worker failed: .*minSize/);
});

Deno.test("a backup that fails while a pack is written through leaves no temporary file behind", async () => {
  using dir = tempDir("kept-full-local-");
  const root = dir.path;
  Deno.mkdirSync(`${root}/src`);
  for (let i = 0; i < 10; i++) {
    Deno.writeFileSync(`${root}/src/f${i}`, randomBytes(4 * 1024 * 1024, 300 + i));
  }
  const backend = await LocalBackend.create(`${root}/repo`);
  let written = 0;
  patchWriters(backend, (writer) => ({
    write: (data) => {
      written += data.length;
      // The disk fills up halfway through the second pack.
      if (written > 24 * 1024 * 1024) throw new Error("no space left on device (simulated)");
      writer.write(data);
    },
  }));
  const repository = await testRepository(backend);
  assert.equal(
    await outcome(backup(repository, backupOptions([`${root}/src`]))),
    "rejected: no space left on device (simulated)",
  );
  const temporary = [...Deno.readDirSync(`${root}/repo/data`)].filter((entry) =>
    entry.name.startsWith(".tmp-")
  );
  assert.deepEqual(temporary, []);
});

Deno.test("a backup into a repository whose empty data folder a copy dropped makes the folder again", async () => {
  using dir = tempDir("kept-no-data-");
  const root = dir.path;
  Deno.mkdirSync(`${root}/src`);
  Deno.writeTextFileSync(`${root}/src/f`, "hello\n");
  const repository = await testRepository(await LocalBackend.create(`${root}/repo`));
  Deno.removeSync(`${root}/repo/data`); // empty, so some copy tools leave it out
  const result = await backup(repository, backupOptions([`${root}/src`]));
  assert.equal(result.stats.newFiles, 1);
  assert.ok(result.snapshotId);
  const entries = [...Deno.readDirSync(`${root}/repo/data`)];
  assert.ok(entries.length > 0 && entries.every((entry) => entry.isDirectory), "only data/xx folders");
});

/**
 * Makes a file impossible to remove, even for root (`chattr +i`); returns the undo, or undefined where the
 * file system or the user cannot. (Every kind folder is read by a backup now that it takes a lock, so a
 * folder that is not a folder no longer fails only the clean-up.)
 */
function makeImmutable(path: string): (() => void) | undefined {
  const chattr = (flag: string) => {
    try {
      return new Deno.Command("chattr", { args: [flag, path], stdout: "null", stderr: "null" }).outputSync()
        .success;
    } catch {
      return false;
    }
  };
  return chattr("+i") ? () => void chattr("-i") : undefined;
}

const CAN_MAKE_IMMUTABLE = (() => {
  const probe = Deno.makeTempFileSync({ prefix: "kept-chattr-" });
  const undo = makeImmutable(probe);
  undo?.();
  Deno.removeSync(probe);
  return undo !== undefined;
})();

Deno.test({
  name: "a backup that cannot remove leftovers of interrupted writes still saves its snapshot, and says why",
  ignore: !CAN_MAKE_IMMUTABLE,
  fn: async () => {
    const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
    const leftover = `${fixture.repo}/.tmp-interrupted`;
    let undo: (() => void) | undefined;
    try {
      Deno.mkdirSync(`${fixture.root}/src`);
      Deno.writeTextFileSync(`${fixture.root}/src/f`, "hello\n");
      // A temporary file two days old that cannot be removed (immutable), even as root.
      Deno.writeTextFileSync(leftover, "partial");
      const old = new Date(Date.now() - 2 * 86_400_000);
      Deno.utimeSync(leftover, old, old);
      undo = makeImmutable(leftover);
      const result = await fixture.keptOk(["backup", "p"]);
      assert.match(result.stdout, /snapshot [0-9a-f]{12} saved: 1 file,/);
      assert.match(result.stderr, /^note: cannot remove what interrupted backups left in "local": .*repo/m);
      assert.equal((await fixture.kept(["snapshots", "--json"])).stdout.match(/"id"/g)?.length, 1);
    } finally {
      undo?.();
      await fixture.cleanup();
    }
  },
});
