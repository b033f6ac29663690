// A pack written through (PackWriter, for backends that can write as they go) is the pack PackBuilder
// makes in memory: the same blob bytes, the same header (sealed with a fresh nonce, so not the same
// ciphertext), and its id is the SHA-256 of what was written.

import assert from "node:assert/strict";
import type { FileWriter } from "../../lib/backends/backend.ts";
import { randomBytes as secureRandom, sha256Hex } from "../../lib/crypto/mod.ts";
import { PackBuilder, PackWriter, readPackHeader } from "../../lib/repo/pack.ts";
import { randomBytes } from "../_support/random_bytes.ts";

/** Collects what is written, in order. */
class CollectingWriter implements FileWriter {
  parts: Uint8Array[] = [];
  committed: string | undefined;
  write(data: Uint8Array): void {
    this.parts.push(data.slice()); // the caller reuses its buffer
  }
  commit(name: string): Promise<void> {
    this.committed = name;
    return Promise.resolve();
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

Deno.test("a pack written through equals the pack built in memory", async () => {
  const key = secureRandom(32);
  // Blob sizes around the 1000-byte staging buffer: smaller, equal, larger, several times larger, empty.
  const blobs = [10, 999, 1000, 1001, 4321, 0, 77].map((size, i) => ({
    type: i % 3 === 0 ? "tree" as const : "data" as const,
    id: secureRandom(32),
    sealed: randomBytes(size, i + 1),
    rawLength: size * 2,
  }));
  const builder = new PackBuilder();
  const collecting = new CollectingWriter();
  const writer = new PackWriter(collecting, new Uint8Array(1000));
  for (const blob of blobs) {
    builder.add(blob.type, blob.id, blob.sealed, blob.rawLength);
    writer.add(blob.type, blob.id, blob.sealed, blob.rawLength);
  }
  assert.equal(writer.size, builder.size);
  assert.equal(writer.count, blobs.length);
  const built = builder.finish(key);
  const written = writer.finish(key);
  const bytes = collecting.bytes();
  assert.deepEqual(bytes.subarray(0, builder.size), built.bytes.subarray(0, builder.size), "the blobs");
  assert.equal(bytes.length, built.bytes.length);
  assert.equal(written.id, sha256Hex(bytes));
  assert.deepEqual(written.entries, built.entries);
  assert.deepEqual(readPackHeader(key, bytes), built.entries);
  assert.ok(collecting.parts.length > 5, "written in staging-sized pieces");
  await writer.commit(written.id);
  assert.equal(collecting.committed, written.id);
});
