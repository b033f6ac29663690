// Wrappers are backends too: the conformance suite passes through the pass-through wrapper and through the
// fault-injecting one with no faults, and a wrapper that overrides one method still forwards the others.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  asBackend,
  type Backend,
  BackendWrapper,
  FaultyBackend,
  type Handle,
  LocalBackend,
  MemoryBackend,
} from "../../lib/backends/mod.ts";
import { seededBytes, seededName } from "./_content.ts";
import { backendConformance, type BackendFixture, listed } from "./conformance.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** A local repository in a fresh temp dir, wrapped by `wrap`. */
async function wrappedLocal(wrap: (backend: Backend) => Backend): Promise<BackendFixture> {
  const parent = await Deno.makeTempDir({ prefix: "kept-wrapper-test-" });
  const backend = wrap(await LocalBackend.create(join(parent, "repo")));
  return { backend, cleanup: () => Deno.remove(parent, { recursive: true }) };
}

/** A memory backend wrapped by `wrap`. */
function wrappedMemory(wrap: (backend: Backend) => Backend): Promise<BackendFixture> {
  return Promise.resolve({ backend: wrap(new MemoryBackend()), cleanup: () => Promise.resolve() });
}

const LOCAL = {
  localFiles: true,
  atomicCreate: true,
  writeThrough: true,
  flakyErrors: false,
  connections: 8,
};
const MEMORY = { localFiles: false, atomicCreate: true, writeThrough: false, flakyErrors: false };
const passThrough = (backend: Backend) => new BackendWrapper(backend);
const noFaults = (backend: Backend) => new FaultyBackend(backend);

backendConformance("BackendWrapper over LocalBackend", () => wrappedLocal(passThrough), {
  capabilities: LOCAL,
});
backendConformance("BackendWrapper over MemoryBackend", () => wrappedMemory(passThrough), {
  capabilities: MEMORY,
});
backendConformance("FaultyBackend without faults over LocalBackend", () => wrappedLocal(noFaults), {
  capabilities: LOCAL,
});
backendConformance("FaultyBackend without faults over MemoryBackend", () => wrappedMemory(noFaults), {
  capabilities: MEMORY,
});
backendConformance(
  "FaultyBackend over BackendWrapper over LocalBackend",
  () => wrappedLocal((backend) => noFaults(passThrough(backend))),
  { capabilities: LOCAL },
);

Deno.test("`unwrap()` leads from each wrapper to the one it wraps, and `asBackend()` finds a kind in the chain", async () => {
  using temp = tempDir("kept-wrapper-test-");
  const local = await LocalBackend.create(temp.path);
  const middle = new BackendWrapper(local);
  const outer = new FaultyBackend(middle);
  assert.equal(outer.unwrap(), middle);
  assert.equal(middle.unwrap(), local);
  assert.equal(local.unwrap(), undefined);
  assert.equal(asBackend(outer, LocalBackend), local);
  assert.equal(asBackend(outer, BackendWrapper), outer, "the outermost of a kind comes first");
  assert.equal(asBackend(outer, FaultyBackend), outer);
  assert.equal(asBackend(middle, FaultyBackend), undefined, "only inward, never outward");
  const memory = new MemoryBackend();
  assert.equal(asBackend(new FaultyBackend(memory), LocalBackend), undefined);
  assert.equal(asBackend(new FaultyBackend(memory), MemoryBackend), memory);
  assert.equal(outer.location, local.location);
  assert.deepEqual(outer.capabilities, local.capabilities);
  assert.deepEqual(new BackendWrapper(memory).capabilities, memory.capabilities);
});

/** Overrides only `get`, as a cache or a rate limit might: everything else must still reach the inner backend. */
class CountingGets extends BackendWrapper {
  gets = 0;
  override get(handle: Handle) {
    this.gets++;
    return super.get(handle);
  }
}

Deno.test("a wrapper that overrides one method still writes through, cleans and closes through the inner backend", async () => {
  using temp = tempDir("kept-wrapper-test-");
  const local = await LocalBackend.create(temp.path);
  const wrapper = new CountingGets(local);
  const name = seededName("through");
  const writer = wrapper.openWriter("data");
  writer.write(seededBytes("through", 100));
  await writer.commit(name);
  assert.deepEqual(await listed(local, "data"), [{ name, size: 100 }]);
  assert.deepEqual(await wrapper.get({ kind: "data", name }), seededBytes("through", 100));
  assert.equal(wrapper.gets, 1);
  const unfinished = wrapper.openWriter("data"); // as if killed: a temporary file in data/
  unfinished.write(seededBytes("left", 10));
  const cleaned = await wrapper.cleanTemporaryFiles(0);
  assert.equal(cleaned.removed.length, 1);
  assert.match(cleaned.removed[0]!, /^data\/\.tmp-/);
  assert.equal(cleaned.bytes, 10);
  await unfinished.abort();
  await wrapper.close();
});
