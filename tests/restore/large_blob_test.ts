// Restore workers read, open and write blobs of over a megabyte a piece at a time (lib/restore/
// _restore_worker.ts): the file must come back byte for byte, raw or compressed (a piece of zeros left as
// a hole), and a damaged large blob must leave no file behind, not even the pieces written before the
// damage was found.

import assert from "node:assert/strict";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { randomBytes, toHex } from "../../lib/crypto/mod.ts";
import { restore } from "../../lib/restore/mod.ts";
import { SnapshotCrafter } from "../_support/craft.ts";
import { testRepository } from "../_support/repository.ts";
import { tempDir } from "../_support/temp_dir.ts";

const MiB = 1024 * 1024;

/** 4 MiB of random bytes with 2 MiB of zeros in the middle: stored raw, as one blob. */
function rawWithZeros(): Uint8Array {
  const bytes = randomBytes(4 * MiB);
  bytes.fill(0, MiB, 3 * MiB);
  return bytes;
}

Deno.test("large blobs are restored byte for byte, raw or compressed, and a damaged one leaves no file", async () => {
  using dir = tempDir("kept-large-blob-");
  const repository = await testRepository(await LocalBackend.create(`${dir.path}/repo`));
  const craft = new SnapshotCrafter(repository);
  const raw = rawWithZeros();
  const text = new TextEncoder().encode(toHex(randomBytes(3 * MiB / 2))); // compressed, still over 1 MiB
  // Sealed in kilobytes, megabytes once open: decompressed a piece at a time too.
  const log = new TextEncoder().encode("a line of a log file\n".repeat(150_000));
  const rawNode = craft.file("raw", raw);
  const logNode = craft.file("log", log);
  const id = await craft.snapshot([
    rawNode,
    logNode,
    craft.file("text", text),
    craft.file("zeros", new Uint8Array(3 * MiB)),
    craft.file("small", "small\n"),
  ]);
  const { snapshot } = await repository.findSnapshot(id);
  await repository.loadIndex();
  const rawAt = repository.index.lookup(rawNode.content![0]!)!;
  assert.ok(rawAt.length > 4 * MiB, "the raw file is one raw blob");

  const out = `${dir.path}/out`;
  const result = await restore(repository, { tree: snapshot.tree, target: out, asRoot: false });
  assert.deepEqual(result.problems, []);
  assert.deepEqual(Deno.readFileSync(`${out}/raw`), raw);
  assert.deepEqual(Deno.readFileSync(`${out}/text`), text);
  assert.deepEqual(Deno.readFileSync(`${out}/log`), log);
  assert.deepEqual(Deno.readFileSync(`${out}/zeros`), new Uint8Array(3 * MiB));
  const zeroBlocks = Deno.statSync(`${out}/zeros`).blocks;
  if (zeroBlocks !== null) assert.equal(zeroBlocks, 0, "3 MiB of zeros restore as a hole");
  // The piece that falls inside the zeros is not written: a hole (the pieces are not aligned to the run).
  const blocks = Deno.statSync(`${out}/raw`).blocks;
  if (blocks !== null) assert.ok(blocks * 512 < 4 * MiB, `${blocks} blocks: every zero was written`);

  // A byte of the raw blob's last piece flipped: its first pieces are written before the damage is seen.
  // The log's tag too: all its pieces are written before it is authenticated.
  const logAt = repository.index.lookup(logNode.content![0]!)!;
  for (const [blob, at] of [[rawAt, rawAt.length - 100], [logAt, logAt.length - 1]] as const) {
    const pack = repository.packs.localPath(blob.pack)!;
    const bytes = Deno.readFileSync(pack);
    bytes[blob.offset + at]! ^= 1;
    Deno.writeFileSync(pack, bytes);
  }
  const again = `${dir.path}/again`;
  const damaged = await restore(repository, { tree: snapshot.tree, target: again, asRoot: false });
  assert.deepEqual(damaged.problems.map((problem) => `${problem.path}: ${problem.error?.kind}`).sort(), [
    "/log: integrity",
    "/raw: integrity",
  ]);
  assert.deepEqual([...Deno.readDirSync(again)].map((entry) => entry.name).sort(), [
    "small",
    "text",
    "zeros",
  ]);
});
