import assert from "node:assert/strict";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import { backendConformance, collect } from "./conformance.ts";

backendConformance("MemoryBackend", () => {
  return Promise.resolve({ backend: new MemoryBackend(), cleanup: () => Promise.resolve() });
}, {
  capabilities: { localFiles: false, atomicCreate: true, writeThrough: false, flakyErrors: false },
});

Deno.test("`MemoryBackend` dates each file by the clock it is given", async () => {
  let now = Date.UTC(2024, 1, 29, 12);
  const backend = new MemoryBackend({ now: () => now });
  await backend.put({ kind: "locks", name: "a1" }, new Uint8Array(1));
  now += 60_000;
  const writer = backend.openWriter("locks");
  writer.write(new Uint8Array(2));
  await writer.commit("b2");
  const times = (await collect(backend.list("locks"))).map(({ name, mtime }) => [name, mtime]).sort();
  assert.deepEqual(times, [["a1", Date.UTC(2024, 1, 29, 12)], ["b2", Date.UTC(2024, 1, 29, 12, 1)]]);
  assert.equal((await backend.stat({ kind: "locks", name: "b2" }))?.mtime, now);
});
