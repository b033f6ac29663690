// A repository whose lock is still settling (docs/format.md#locks) makes nothing known: index files and
// snapshots wait for the lock, and are never written when it is lost; other files are not held back.

import assert from "node:assert/strict";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { testRepository } from "../_support/repository.ts";

async function names(backend: MemoryBackend, kind: "index" | "snapshots" | "locks"): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of backend.list(kind)) found.push(entry.name);
  return found;
}

Deno.test("index files and snapshots wait for the gate; lock files do not", async () => {
  const backend = new MemoryBackend();
  const repository = await testRepository(backend);
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => open = resolve);
  repository.guardWrites(() => gate);
  const snapshot = repository.writeMeta("snapshots", { held: true });
  const index = repository.writeMeta("index", { held: true });
  await repository.writeMeta("locks", { held: false });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(await names(backend, "snapshots"), []);
  assert.deepEqual(await names(backend, "index"), []);
  assert.equal((await names(backend, "locks")).length, 1);
  open();
  const written = { snapshot: await snapshot, index: await index };
  assert.deepEqual(await names(backend, "snapshots"), [written.snapshot]);
  assert.deepEqual(await names(backend, "index"), [written.index]);
});

Deno.test("when the gate fails, index files and snapshots fail with its error and are not stored", async () => {
  const backend = new MemoryBackend();
  const repository = await testRepository(backend);
  const lost = new Error("the lock race was lost");
  repository.guardWrites(() => Promise.reject(lost));
  await assert.rejects(repository.writeMeta("snapshots", {}), lost);
  await assert.rejects(repository.writeMeta("index", {}), lost);
  assert.deepEqual(await names(backend, "snapshots"), []);
  assert.deepEqual(await names(backend, "index"), []);
});
