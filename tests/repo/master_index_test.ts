import assert from "node:assert/strict";
import { toHex } from "../../lib/crypto/mod.ts";
import { MasterIndex } from "../../lib/repo/master_index.ts";
import { type PackEntry, packSizeOf } from "../../lib/repo/pack.ts";
import { randomBytes } from "../_support/random_bytes.ts";
import { asPackId } from "../../lib/repo/mod.ts";

let seed = 1;
const randomId = () => toHex(randomBytes(32, seed++));

function pack(count: number): PackEntry[] {
  let offset = 0;
  return Array.from({ length: count }, (_, i) => {
    const entry: PackEntry = {
      type: i % 7 === 0 ? "tree" : "data",
      id: randomId(),
      offset,
      length: 100 + i,
      rawLength: 200 + 2 * i,
    };
    offset += entry.length;
    return entry;
  });
}

Deno.test("the index finds every blob of every pack, through many regrowths", () => {
  const index = new MasterIndex();
  const packs = Array.from({ length: 40 }, () => ({ id: randomId(), entries: pack(250) }));
  for (const { id, entries } of packs) index.addPack(asPackId(id), entries);
  assert.equal(index.size, 10_000);
  for (const { id, entries } of packs) {
    for (const entry of entries) {
      assert.deepEqual(index.lookup(entry.id), {
        pack: id,
        type: entry.type,
        offset: entry.offset,
        length: entry.length,
        rawLength: entry.rawLength,
      });
      assert.equal(index.has(entry.id), true);
    }
    assert.deepEqual(index.packEntries(asPackId(id)), entries);
  }
  assert.deepEqual(new Set(index.packIds()), new Set(packs.map((p) => p.id)));
});

Deno.test("a blob stored in two packs keeps its first location; each pack lists all of its entries", () => {
  const index = new MasterIndex();
  const first = pack(3);
  const second = [...pack(2), { ...first[1]!, offset: 999 }];
  index.addPack(asPackId("a".repeat(64)), first);
  index.addPack(asPackId("b".repeat(64)), second);
  assert.equal(index.size, 5);
  assert.equal(index.lookup(first[1]!.id)?.pack, "a".repeat(64));
  assert.deepEqual(index.packEntries(asPackId("b".repeat(64))), second);
});

Deno.test("offsets and lengths of 2^24 and beyond, and types, come back as they went in", () => {
  const index = new MasterIndex();
  const values = [0, 1, 0xfffffe, 0xffffff, 0x1000000, 0x7fffffff, 0xffffffff];
  const entries: PackEntry[] = [];
  for (const [i, value] of values.entries()) {
    for (const field of ["offset", "length", "rawLength"] as const) {
      entries.push({
        type: entries.length % 3 ? "data" : "tree",
        id: randomId(),
        offset: 5,
        length: 6,
        rawLength: 7,
        [field]: value + i,
      });
    }
  }
  index.addPack(asPackId(randomId()), entries.slice(0, 11));
  const pack = asPackId(randomId());
  index.addPack(pack, entries.slice(11));
  for (const entry of entries.slice(11)) {
    const { type, offset, length, rawLength } = entry;
    assert.deepEqual(index.lookup(entry.id), { pack, type, offset, length, rawLength });
  }
  assert.deepEqual(index.packEntries(pack), entries.slice(11));
  // The size of a pack's file, from the rows alone, as from its entries; large places included.
  for (const id of index.packIds()) assert.equal(index.packSize(id), packSizeOf(index.packEntries(id)!));
  assert.equal(index.packSize(asPackId(randomId())), undefined);
  // A pack's type is its first entry's.
  for (const id of index.packIds()) assert.equal(index.packType(id), index.packEntries(id)![0]!.type);
  index.addPack(asPackId("e".repeat(64)), []);
  assert.equal(index.packType(asPackId("e".repeat(64))), undefined);
});

Deno.test("the blobs of a pack listed again keep it as their pack, listed before and after other packs", () => {
  const index = new MasterIndex();
  const [a, b, empty] = [asPackId(randomId()), asPackId(randomId()), asPackId(randomId())] as const;
  const first = pack(3), second = pack(2), again = pack(2);
  index.addPack(a, first);
  index.addPack(empty, []);
  index.addPack(b, second);
  index.addPack(a, again);
  index.addPack(empty, []);
  for (const entry of [...first, ...again]) assert.equal(index.lookup(entry.id)?.pack, a);
  for (const entry of second) assert.equal(index.lookup(entry.id)?.pack, b);
  assert.deepEqual(index.packEntries(a), again);
  assert.deepEqual(index.packEntries(empty), []);
  assert.deepEqual([...index.packIds()], [a, empty, b]);
});

Deno.test("a pack listed again is described by its last listing", () => {
  const index = new MasterIndex();
  const entries = pack(4);
  index.addPack(asPackId("c".repeat(64)), entries);
  index.addPack(asPackId("c".repeat(64)), entries.slice(0, 2));
  assert.deepEqual(index.packEntries(asPackId("c".repeat(64))), entries.slice(0, 2));
  assert.deepEqual([...index.packIds()], ["c".repeat(64)]);
  assert.equal(index.size, 4);
});

Deno.test("ids that are not 64 lower-case hex digits are not found", () => {
  const index = new MasterIndex();
  const entries = pack(2);
  index.addPack(asPackId("d".repeat(64)), entries);
  const id = entries[0]!.id;
  for (const wrong of [id.slice(0, 63), id + "0", id.toUpperCase(), "z" + id.slice(1), "", "é".repeat(64)]) {
    assert.equal(index.lookup(wrong), undefined, JSON.stringify(wrong));
    assert.equal(index.has(wrong), false);
  }
  assert.equal(new MasterIndex().lookup(id), undefined);
  assert.equal(index.packEntries(asPackId("e".repeat(64))), undefined);
});

Deno.test("the index finds blobs of packs that span its 65,536-row segments, by id and by pack", () => {
  const index = new MasterIndex();
  // 3 packs of 50,000 rows: the second crosses the first segment's end, the third the second's.
  const packs = Array.from({ length: 3 }, () => ({ id: randomId(), entries: pack(50_000) }));
  index.addIndexFile({
    version: 1,
    packs: packs.map(({ id, entries }) => ({
      id,
      blobs: entries.map((e) => [e.type === "tree" ? 1 : 0, e.id, e.offset, e.length, e.rawLength]),
    })),
  });
  assert.equal(index.size, 150_000);
  for (const { id, entries } of packs) {
    for (const i of [0, 15_535, 15_536, 31_071, 31_072, 49_999]) {
      const entry = entries[i]!;
      const { type, offset, length, rawLength } = entry;
      assert.deepEqual(index.lookup(entry.id), { pack: id, type, offset, length, rawLength });
    }
    assert.deepEqual(index.packEntries(asPackId(id)), entries);
  }
});

Deno.test("the index keeps about 66 bytes a blob at 200,000 blobs (a Map of objects took ~270)", async () => {
  const probe = new URL("./_index_memory_probe.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", probe],
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  const { bytesPerBlob, blobs } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(blobs, 200_000);
  // ~50 with full segments: rows are allocated 65,536 at a time, 262,144 here.
  assert.ok(bytesPerBlob < 70, `${bytesPerBlob} bytes a blob`);
});

Deno.test("index file entries no v1 writer makes are left out, not stored wrong", () => {
  const index = new MasterIndex();
  const good = pack(1)[0]!;
  index.addIndexFile({
    version: 1,
    packs: [{
      id: "f".repeat(64),
      blobs: [
        [0, good.id, 0, 100, 200],
        [0, "xyz", 100, 100, 200],
        [0, good.id.toUpperCase().replace(/^./, "A"), 200, 100, 200],
        [0, randomId(), 2 ** 32 + 5, 100, 200],
      ],
    }],
  });
  assert.equal(index.size, 1);
  assert.equal(index.lookup(good.id)?.offset, 0);
  assert.equal(index.packEntries(asPackId("f".repeat(64)))?.length, 1);
});
