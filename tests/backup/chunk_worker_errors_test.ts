// A file the system will not let the chunk workers read is that file's problem: reported and skipped. A
// programming error in a worker is a bug: it fails the backup as one, never as one more unreadable file.
// A file whose folder is not the one the walk read any more (a folder on its path swapped for a symlink)
// is not read at all: whatever lies at the end of the new path is outside the sources.

import assert from "node:assert/strict";
import { ChunkPool, FileReadError, type FileToRead } from "../../lib/backup/_chunk_pool.ts";
import type { ChunkHints } from "../../lib/backup/_chunk_protocol.ts";
import { DEFAULT_COMPRESSION_LEVEL, MasterIndex } from "../../lib/repo/mod.ts";
import { WorkerBugError } from "../../lib/workers/mod.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

async function pool(): Promise<ChunkPool> {
  const repository = await testRepository();
  const keys = repository.workerKeys();
  return new ChunkPool({
    workers: 1,
    encryptKey: keys.encrypt,
    idKey: keys.id,
    chunkerKey: keys.chunker,
    params: repository.config.chunker,
    level: DEFAULT_COMPRESSION_LEVEL,
    known: new MasterIndex().sharedIds(),
  }, repository.packSink());
}

/** A file to read as the walk would ask for it, with a scan that matches nothing on disk. */
function fileToRead(path: string, size: number, hints?: ChunkHints): FileToRead {
  return { path, size, mtime: 0, mtimeNs: 0, ino: 0, dev: 0, folder: undefined, hints };
}

/** A file to read as the walk would ask for it right after its scan of the file's folder. */
function scannedFile(path: string): FileToRead {
  const file = Deno.lstatSync(path);
  const folder = Deno.lstatSync(path.slice(0, path.lastIndexOf("/")));
  return {
    path,
    size: file.size,
    mtime: file.mtime!.getTime(),
    mtimeNs: 0,
    ino: file.ino!,
    dev: file.dev,
    folder: { dev: folder.dev, ino: folder.ino! },
    hints: undefined,
  };
}

Deno.test("a file that vanished before its worker read it is a FileReadError naming the file", async () => {
  using dir = tempDir("kept-chunk-errors-");
  const chunks = await pool();
  try {
    const error = await chunks.chunkFile(fileToRead(`${dir.path}/gone.txt`, 10)).catch((error) => error);
    assert.ok(error instanceof FileReadError, String(error));
    assert.match(error.message, /gone\.txt/);
  } finally {
    await chunks.close();
  }
});

Deno.test("a TypeError inside a chunk worker comes back as a bug with the worker's stack", async () => {
  using dir = tempDir("kept-chunk-errors-");
  Deno.writeFileSync(`${dir.path}/f.bin`, new Uint8Array(600_000).fill(7));
  const chunks = await pool();
  try {
    // Hints that break the worker's own assumptions (lengths missing): a programming error, not the file's.
    const broken = { ids: ["a", "b"], lengths: null } as unknown as ChunkHints;
    const error = await chunks.chunkFile(fileToRead(`${dir.path}/f.bin`, 600_000, broken)).catch((error) =>
      error
    );
    assert.ok(error instanceof WorkerBugError, String(error));
    assert.ok(!(error instanceof FileReadError));
    assert.match(error.message, /^chunk worker: TypeError: /);
    assert.match(error.stack ?? "", /_chunk_worker\.ts/);
  } finally {
    await chunks.close();
  }
});

Deno.test("a worker reads a file only from the folder the walk read, not through a symlink swapped in", async () => {
  using dir = tempDir("kept-chunk-folder-");
  const root = dir.path;
  for (const folder of ["src/a/b", "elsewhere/b"]) Deno.mkdirSync(`${root}/${folder}`, { recursive: true });
  Deno.writeTextFileSync(`${root}/src/a/b/f.txt`, "the source's own file\n");
  Deno.writeTextFileSync(`${root}/elsewhere/b/f.txt`, "a secret outside the sources\n");
  const chunks = await pool();
  try {
    const file = scannedFile(`${root}/src/a/b/f.txt`);
    const read = await chunks.chunkFile(file);
    assert.equal(read.size, "the source's own file\n".length, "read while its folder is the one scanned");

    // After the scan, a folder two levels up is swapped for a symlink to a tree of the same shape.
    Deno.renameSync(`${root}/src/a`, `${root}/src/a.old`);
    Deno.symlinkSync(`${root}/elsewhere`, `${root}/src/a`);
    const error = await chunks.chunkFile(file).catch((error) => error);
    assert.ok(error instanceof FileReadError, `read through the symlink: ${JSON.stringify(error)}`);
    assert.match(error.message, /src\/a\/b: the folder was replaced since it was read/);

    // The same for the file's own folder.
    Deno.removeSync(`${root}/src/a`);
    Deno.renameSync(`${root}/src/a.old`, `${root}/src/a`);
    Deno.renameSync(`${root}/src/a/b`, `${root}/src/a/b.old`);
    Deno.symlinkSync(`${root}/elsewhere/b`, `${root}/src/a/b`);
    const again = await chunks.chunkFile(file).catch((error) => error);
    assert.ok(again instanceof FileReadError, `read through the symlink: ${JSON.stringify(again)}`);
  } finally {
    await chunks.close();
  }
});

Deno.test("a source file, which has no scanned folder to check, is not read when another file is at its path", async () => {
  using dir = tempDir("kept-chunk-source-");
  const root = dir.path;
  for (const folder of ["user/d", "secret/d"]) Deno.mkdirSync(`${root}/${folder}`, { recursive: true });
  Deno.writeTextFileSync(`${root}/user/d/target.txt`, "alice's own text\n");
  Deno.writeTextFileSync(`${root}/secret/d/target.txt`, "a secret outside the sources, and longer\n");
  const chunks = await pool();
  try {
    // As the walk saw the source (named by the plan: no folder identity), then a folder on its path swapped.
    const { folder: _, ...seen } = scannedFile(`${root}/user/d/target.txt`);
    const source = { ...seen, folder: undefined };
    Deno.renameSync(`${root}/user`, `${root}/user.old`);
    Deno.symlinkSync(`${root}/secret`, `${root}/user`);
    const error = await chunks.chunkFile(source).catch((error) => error);
    assert.ok(error instanceof FileReadError, `read through the symlink: ${JSON.stringify(error)}`);
    assert.match(error.message, /target\.txt: the file was replaced while it was backed up/);
  } finally {
    await chunks.close();
  }
});
