// Index files are read from their bytes when they are in the form kept writes, and parsed as JSON
// otherwise: either way the index must come out the same (lib/repo/_index_file_bytes.ts).

import assert from "node:assert/strict";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { toHex } from "../../lib/crypto/mod.ts";
import { IndexFileColumns, readIndexFileBytes } from "../../lib/repo/_index_file_bytes.ts";
import { asPackId, type IndexFile, MasterIndex, Repository, toIndexFile } from "../../lib/repo/mod.ts";
import type { PackEntry } from "../../lib/repo/pack.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { testRepository } from "../_support/repository.ts";

let seed = 1;
const randomId = () => toHex(randomBytes(32, seed++));

function entries(count: number, big = false): PackEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    type: i % 3 === 0 ? "tree" : "data",
    id: randomId(),
    offset: big ? 0xffffffff - i : i * 1000,
    length: i === 0 ? 0 : 10 + i,
    rawLength: big ? 4_000_000_000 + i : 20 + i,
  }));
}

const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Every location and pack listing of `index`, to compare two indexes by. */
function contents(index: MasterIndex, file: IndexFile) {
  const ids = file.packs.flatMap((pack) => pack.blobs.map((blob) => String(blob[1])));
  return {
    size: index.size,
    packs: [...index.packIds()].map((id) => [id, index.packEntries(id)]),
    lookups: ids.map((id) => index.lookup(id) ?? null),
  };
}

/** The index made from `file` through its bytes (or, where that says no, as JSON) and the one made as JSON. */
function bothWays(file: IndexFile): { fromBytes: MasterIndex; read: boolean; fromJson: MasterIndex } {
  const fromBytes = new MasterIndex();
  const read = fromBytes.addIndexFileBytes(bytesOf(file));
  if (!read) fromBytes.addIndexFile(JSON.parse(JSON.stringify(file)));
  const fromJson = new MasterIndex();
  fromJson.addIndexFile(JSON.parse(JSON.stringify(file)));
  return { fromBytes, read, fromJson };
}

Deno.test("an index file kept wrote is read from its bytes into the same index as through JSON", () => {
  const file = toIndexFile([
    { id: randomId(), entries: entries(3000) },
    { id: randomId(), entries: [] },
    { id: randomId(), entries: entries(5, true) },
  ]);
  const { fromBytes, read, fromJson } = bothWays(file);
  assert.equal(read, true);
  assert.equal(fromBytes.size, 3005);
  assert.deepEqual(contents(fromBytes, file), contents(fromJson, file));
  // The same blob in a second pack keeps its first location; a pack listed again keeps its last list.
  const again = toIndexFile([{ id: file.packs[0]!.id, entries: entries(2) }]);
  again.packs[0]!.blobs.push(file.packs[2]!.blobs[1]!);
  assert.equal(fromBytes.addIndexFileBytes(bytesOf(again)), true);
  fromJson.addIndexFile(again);
  assert.deepEqual(contents(fromBytes, file), contents(fromJson, file));
});

Deno.test("index files with no packs, and a type code no writer makes, read the same both ways", () => {
  assert.equal(new MasterIndex().addIndexFileBytes(bytesOf({ version: 1, packs: [] })), true);
  const file = toIndexFile([{ id: randomId(), entries: entries(4) }]);
  file.packs[0]!.blobs[1]![0] = 7;
  const { fromBytes, read, fromJson } = bothWays(file);
  assert.equal(read, true);
  assert.deepEqual(contents(fromBytes, file), contents(fromJson, file));
});

Deno.test("any other form is left to the JSON parser, with nothing added, and comes out the same", () => {
  const canonical = () => toIndexFile([{ id: randomId(), entries: entries(3) }]);
  const cases: [string, (file: IndexFile) => unknown][] = [
    [
      "an id in upper case",
      (f) => (f.packs[0]!.blobs[1]![1] = String(f.packs[0]!.blobs[1]![1]).toUpperCase(), f),
    ],
    ["a short id", (f) => (f.packs[0]!.blobs[1]![1] = "ab", f)],
    ["an offset beyond 32 bits", (f) => (f.packs[0]!.blobs[1]![2] = 2 ** 32, f)],
    ["a negative length", (f) => (f.packs[0]!.blobs[1]![3] = -1, f)],
    ["a fraction", (f) => (f.packs[0]!.blobs[1]![4] = 1.5, f)],
    ["an exponent", (f) => (f.packs[0]!.blobs[1]![4] = 1e21, f)],
    ["a type code beyond a byte", (f) => (f.packs[0]!.blobs[1]![0] = 300, f)],
    ["a key more", (f) => ({ ...f, note: "x" })],
    ["keys in another order", (f) => ({ packs: f.packs, version: 1 })],
    [
      "a pack's keys in another order",
      (f) => ({ version: 1, packs: [{ blobs: f.packs[0]!.blobs, id: f.packs[0]!.id }] }),
    ],
    ["another version", (f) => ({ ...f, version: 2 })],
  ];
  for (const [name, change] of cases) {
    const file = change(canonical()) as IndexFile;
    const fromBytes = new MasterIndex();
    assert.equal(fromBytes.addIndexFileBytes(bytesOf(file)), false, name);
    assert.equal(fromBytes.size, 0, name);
    assert.deepEqual([...fromBytes.packIds()], [], name);
    fromBytes.addIndexFile(file);
    const fromJson = new MasterIndex();
    fromJson.addIndexFile(JSON.parse(JSON.stringify(file)));
    assert.deepEqual(contents(fromBytes, file), contents(fromJson, file), name);
  }
});

Deno.test("text that is not quite the form kept writes is refused however it breaks off", () => {
  const text = new TextEncoder().encode(
    JSON.stringify(toIndexFile([{ id: randomId(), entries: entries(2) }])),
  );
  const columns = new IndexFileColumns();
  assert.equal(readIndexFileBytes(text, columns), true);
  for (let end = 0; end < text.length; end++) {
    assert.equal(readIndexFileBytes(text.subarray(0, end), columns), false, `cut at ${end}`);
  }
  const spaced = new TextEncoder().encode(
    JSON.stringify(JSON.parse(new TextDecoder().decode(text)), null, 1),
  );
  assert.equal(readIndexFileBytes(spaced, columns), false);
  const leadingZero = new TextDecoder().decode(text).replace(/,(\d+),(\d+)\]/, ",0$1,$2]");
  assert.equal(readIndexFileBytes(new TextEncoder().encode(leadingZero), columns), false);
  const trailing = new Uint8Array([...text, 0x20]);
  assert.equal(readIndexFileBytes(trailing, columns), false);
});

Deno.test("a repository loads index files of either form, and leaves out a damaged one", async () => {
  const backend = new MemoryBackend();
  const writer = await testRepository(backend);
  const canonical = toIndexFile([{ id: randomId(), entries: entries(50) }]);
  const other = { ...toIndexFile([{ id: randomId(), entries: entries(50) }]), written: "elsewhere" };
  await writer.writeMeta("index", canonical);
  await writer.writeMeta("index", other);
  await writer.writeMeta("index", { version: 1, packs: "none" });
  const repository = await Repository.open(backend, "pw");
  await repository.loadIndex();
  assert.equal(repository.index.size, 100);
  for (const file of [canonical, other]) {
    for (const [type, id, offset, length, rawLength] of file.packs[0]!.blobs) {
      assert.deepEqual(repository.index.lookup(id), {
        pack: asPackId(file.packs[0]!.id),
        type: type === 1 ? "tree" : "data",
        offset,
        length,
        rawLength,
      });
    }
  }
  assert.equal(repository.indexFiles.length, 2);
  assert.equal(repository.damagedFiles.length, 1);
  assert.match(repository.damagedFiles[0]!.reason, /"packs" must be a list/);
});
