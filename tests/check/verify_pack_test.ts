// check --read-data reads each pack once, blob by blob (lib/check/_verify_pack.ts): it must still check
// the whole file's hash, a header larger than one read, and every blob, and name what is wrong. A pack from
// storage that is no local folder arrives whole, as bytes: the verdict must be the same.

import assert from "node:assert/strict";
import { blobIdBytes, randomBytes as secureRandom, toHex } from "../../lib/crypto/mod.ts";
import { type PackVerdict, verifyPackBytes, verifyPackFile } from "../../lib/check/_verify_pack.ts";
import { BlobOpener, encodeBlob } from "../../lib/repo/blob.ts";
import { PackBuilder } from "../../lib/repo/pack.ts";
import { tempDir } from "../_support/temp_dir.ts";

const keys = { encrypt: secureRandom(32), id: secureRandom(32) };

/** A pack of `count` small blobs on disk; its id, path and the index's entries for it. */
function writePack(dir: string, count: number) {
  const builder = new PackBuilder();
  for (let i = 0; i < count; i++) {
    const plain = new TextEncoder().encode(`blob ${i}`);
    builder.add("data", blobIdBytes(keys.id, plain), encodeBlob(keys.encrypt, plain, 0), plain.length);
  }
  const pack = builder.finish(keys.encrypt);
  const path = `${dir}/${pack.id}`;
  Deno.writeFileSync(path, pack.bytes);
  return { id: pack.id, path, entries: pack.entries };
}

/** The verdict on the pack file at `path`, after checking that its bytes in memory get the same one. */
function verify(id: string, path: string, entries: ReturnType<typeof writePack>["entries"]): PackVerdict {
  const file = Deno.openSync(path, { read: true });
  let verdict: PackVerdict;
  try {
    verdict = verifyPackFile(keys, id, file, entries, new Uint8Array(0)).verdict;
  } finally {
    file.close();
  }
  assert.deepEqual(
    verifyPackBytes(keys, id, Deno.readFileSync(path), entries),
    verdict,
    "bytes and file differ",
  );
  return verdict;
}

const CLEAN: PackVerdict = { damagedBlobs: [], hashMismatch: false, headerDamaged: false };

Deno.test("a pack with a header larger than one read verifies clean, and a flipped header byte is found", () => {
  using temp = tempDir("kept-verify-");
  const dir = temp.path;
  // 30,000 blobs: a 1.2 MiB header, more than the 1 MiB read at a time.
  const { id, path, entries } = writePack(dir, 30_000);
  assert.deepEqual(verify(id, path, entries), CLEAN);
  const bytes = Deno.readFileSync(path);
  bytes[bytes.length - 100]! ^= 1;
  Deno.writeFileSync(path, bytes);
  assert.deepEqual(verify(id, path, entries), { damagedBlobs: [], hashMismatch: true, headerDamaged: true });
});

Deno.test("a truncated pack names the blobs it lost, its hash and its header", () => {
  using temp = tempDir("kept-verify-");
  const dir = temp.path;
  const { id, path, entries } = writePack(dir, 10);
  const bytes = Deno.readFileSync(path);
  Deno.writeFileSync(path, bytes.subarray(0, entries[7]!.offset + 3)); // cut inside the eighth blob
  const verdict = verify(id, path, entries);
  assert.deepEqual(verdict, {
    damagedBlobs: entries.slice(7).map((entry) => entry.id),
    hashMismatch: true,
    headerDamaged: true,
  });
  assert.equal(toHex(blobIdBytes(keys.id, new TextEncoder().encode("blob 0"))), entries[0]!.id);
});

Deno.test("a flipped byte in one blob names that blob only, and the hash; a pack cut to 3 bytes loses all", () => {
  using temp = tempDir("kept-verify-");
  const { id, path, entries } = writePack(temp.path, 5);
  const bytes = Deno.readFileSync(path);
  bytes[entries[2]!.offset + 1]! ^= 1;
  Deno.writeFileSync(path, bytes);
  assert.deepEqual(verify(id, path, entries), {
    damagedBlobs: [entries[2]!.id],
    hashMismatch: true,
    headerDamaged: false,
  });
  Deno.writeFileSync(path, bytes.subarray(0, 3));
  assert.deepEqual(verify(id, path, entries), {
    damagedBlobs: entries.map((entry) => entry.id),
    hashMismatch: true,
    headerDamaged: true,
  });
});

/** A pack of a small blob, a 3 MiB raw one (random bytes), a 3 MiB compressed one (text) and a small one. */
function writeLargeBlobPack(dir: string) {
  const builder = new PackBuilder();
  // Hex text: half its bytes' entropy, so it is stored compressed, at over a megabyte still.
  const text = new TextEncoder().encode(toHex(secureRandom(3 << 19)));
  const plains = [
    new TextEncoder().encode("first"),
    secureRandom(3 << 20),
    text,
    new Uint8Array(3 << 20), // zeros: sealed in a few hundred bytes, 3 MiB once open
    new TextEncoder().encode("last"),
  ];
  for (const plain of plains) {
    builder.add("data", blobIdBytes(keys.id, plain), encodeBlob(keys.encrypt, plain), plain.length);
  }
  const pack = builder.finish(keys.encrypt);
  const path = `${dir}/${pack.id}`;
  Deno.writeFileSync(path, pack.bytes);
  const [first, raw, compressed, zeros, last] = pack.entries;
  assert.ok(raw!.length > 3 << 20, "the raw blob is over a megabyte");
  assert.ok(
    compressed!.length > 1 << 20 && compressed!.length < compressed!.rawLength,
    "and the compressed one",
  );
  return {
    id: pack.id,
    path,
    entries: pack.entries,
    first: first!,
    raw: raw!,
    compressed: compressed!,
    zeros: zeros!,
    last: last!,
  };
}

Deno.test("blobs over a megabyte are checked a piece at a time, and every kind of damage in them is found", async (t) => {
  using temp = tempDir("kept-verify-");
  const { id, path, entries, raw, compressed, zeros } = writeLargeBlobPack(temp.path);
  const pristine = Deno.readFileSync(path);

  await t.step("a clean pack verifies clean, through a read buffer of one piece, never a whole blob", () => {
    assert.deepEqual(verify(id, path, entries), CLEAN);
    const file = Deno.openSync(path, { read: true });
    try {
      const opener = new LargestOpened(keys);
      const { scratch } = verifyPackFile(keys, id, file, entries, new Uint8Array(0), opener);
      assert.ok(scratch.length <= 1 << 20, `the read buffer grew to ${scratch.length} bytes`);
      assert.ok(opener.largest <= 1 << 20, `a blob of ${opener.largest} bytes was opened whole`);
    } finally {
      file.close();
    }
  });

  const damaged = (at: number, blobs: string[]) => {
    const bytes = pristine.slice();
    bytes[at]! ^= 1;
    Deno.writeFileSync(path, bytes);
    assert.deepEqual(verify(id, path, entries), {
      damagedBlobs: blobs,
      hashMismatch: true,
      headerDamaged: false,
    });
  };
  await t.step("a flipped byte in the nonce, the middle or the tag names that blob only", () => {
    for (const blob of [raw, compressed, zeros]) {
      for (const at of [blob.offset + 3, blob.offset + (blob.length >> 1), blob.offset + blob.length - 1]) {
        damaged(at, [blob.id]);
      }
    }
  });

  await t.step("an index that gives another plaintext length is wrong about both", () => {
    Deno.writeFileSync(path, pristine);
    const wrong = entries.map((entry) =>
      entry === raw || entry === compressed || entry === zeros
        ? { ...entry, rawLength: entry.rawLength + 1 }
        : entry
    );
    assert.deepEqual(verify(id, path, wrong), { ...CLEAN, damagedBlobs: [raw.id, compressed.id, zeros.id] });
  });

  await t.step("a pack cut inside the raw blob loses it and the blobs after it", () => {
    Deno.writeFileSync(path, pristine.subarray(0, raw.offset + (raw.length >> 1)));
    assert.deepEqual(verify(id, path, entries), {
      damagedBlobs: entries.slice(1).map((entry) => entry.id),
      hashMismatch: true,
      headerDamaged: true,
    });
  });
});

/** Opens blobs whole, as verification does for small ones, and remembers the largest plaintext it opened. */
class LargestOpened extends BlobOpener {
  largest = 0;

  override open(id: string, rawLength: number, sealed: Uint8Array): Uint8Array | undefined {
    this.largest = Math.max(this.largest, rawLength);
    return super.open(id, rawLength, sealed);
  }
}
