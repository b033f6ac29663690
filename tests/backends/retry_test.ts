import assert from "node:assert/strict";
import { AlreadyExistsError, BackendError, NotFoundError } from "../../lib/errors.ts";
import {
  BackendWrapper,
  FaultyBackend,
  type FileEntry,
  type FileKind,
  type Handle,
  MemoryBackend,
  RetryBackend,
  type RetryEvent,
} from "../../lib/backends/mod.ts";
import { backendConformance, collect, listed } from "./conformance.ts";

const noWait = () => Promise.resolve();

backendConformance("RetryBackend(MemoryBackend)", () => {
  return Promise.resolve({
    backend: new RetryBackend(new MemoryBackend()),
    cleanup: () => Promise.resolve(),
  });
}, { capabilities: { localFiles: false, atomicCreate: true, writeThrough: false, flakyErrors: false } });

Deno.test("`RetryBackend` retries transient faults of every operation until the call succeeds", async () => {
  const faulty = new FaultyBackend(new MemoryBackend());
  for (const operation of ["get", "put", "stat", "delete", "list", "cleanTemporaryFiles"] as const) {
    faulty.inject({ operation, fault: "transient", times: 2 });
  }
  const events: RetryEvent[] = [];
  const backend = new RetryBackend(faulty, { sleep: noWait, onRetry: (event) => events.push(event) });
  const handle: Handle = { kind: "keys", name: "k1" };
  await backend.put(handle, new Uint8Array([1, 2, 3]));
  assert.deepEqual(await backend.get(handle), new Uint8Array([1, 2, 3]));
  assert.equal((await backend.stat(handle))?.size, 3);
  assert.deepEqual(await listed(backend, "keys"), [{ name: "k1", size: 3 }]);
  assert.deepEqual(await backend.cleanTemporaryFiles(0), { removed: [], bytes: 0 });
  await backend.delete(handle);
  assert.equal(backend.retries, 12);
  assert.deepEqual(
    events.map((event) => `${event.operation}#${event.attempt}`),
    ["put", "get", "stat", "list", "cleanTemporaryFiles", "delete"].flatMap((op) => [`${op}#1`, `${op}#2`]),
  );
  for (const event of events) assert.ok(event.error instanceof BackendError && !event.error.permanent);
});

Deno.test("`RetryBackend` does not retry permanent faults, missing files or taken names", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [{ operation: "get", fault: "permanent" }]);
  const backend = new RetryBackend(faulty, { sleep: noWait });
  const handle: Handle = { kind: "snapshots", name: "s1" };
  await backend.put(handle, new Uint8Array(4));
  await assert.rejects(backend.get(handle), (error) => error instanceof BackendError && error.permanent);
  await assert.rejects(backend.get({ kind: "snapshots", name: "missing" }), NotFoundError);
  await assert.rejects(backend.put(handle, new Uint8Array(5)), AlreadyExistsError);
  assert.equal(backend.retries, 0);
  assert.equal(faulty.calls("get"), 2);
});

Deno.test("`RetryBackend` gives up after its attempts and throws the last error", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [{
    operation: "stat",
    fault: "transient",
    times: Infinity,
  }]);
  const backend = new RetryBackend(faulty, { attempts: 4, sleep: noWait });
  await assert.rejects(
    backend.stat({ kind: "locks", name: "l1" }),
    (error) =>
      error instanceof BackendError && !error.permanent && /Injected transient fault/.test(error.message),
  );
  assert.equal(faulty.calls("stat"), 4);
  assert.equal(backend.retries, 3);
});

Deno.test("`RetryBackend` waits with exponential backoff and full jitter, capped", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [{
    operation: "get",
    fault: "transient",
    times: Infinity,
  }]);
  const waits: number[] = [];
  const randoms = [0.5, 0.999, 0, 0.5, 0.5, 0.5];
  const backend = new RetryBackend(faulty, {
    attempts: 7,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => randoms.shift()!,
  });
  await assert.rejects(backend.get({ kind: "keys", name: "k" }), BackendError);
  // Caps 100, 200, 400, 800, 1000, 1000; each wait is a random fraction of its cap.
  assert.deepEqual(waits, [50, 199, 0, 400, 500, 500]);
});

Deno.test("`RetryBackend` retries permanent-looking errors of a backend with flaky errors", async () => {
  const memory = new MemoryBackend();
  class Flaky extends FaultyBackend {
    override get capabilities() {
      return { ...super.capabilities, flakyErrors: true };
    }
  }
  const faulty = new Flaky(memory, [{ operation: "get", fault: "permanent" }]);
  const backend = new RetryBackend(faulty, { sleep: noWait });
  await memory.put({ kind: "index", name: "i1" }, new Uint8Array(2));
  assert.deepEqual(await backend.get({ kind: "index", name: "i1" }), new Uint8Array(2));
  assert.equal(backend.retries, 1);
  await assert.rejects(backend.get({ kind: "index", name: "nope" }), NotFoundError);
});

/** Stores, then loses the answer: the put landed but the caller sees a transient error. */
class LostAnswer extends BackendWrapper {
  lost = 1;
  override async put(handle: Handle, data: Uint8Array): Promise<void> {
    await super.put(handle, data);
    if (this.lost-- > 0) throw new BackendError("Connection reset after the upload", { permanent: false });
  }
}

Deno.test("`RetryBackend.put()` whose answer was lost succeeds when the stored bytes are its own", async () => {
  const memory = new MemoryBackend();
  const backend = new RetryBackend(new LostAnswer(memory), { sleep: noWait });
  await backend.put({ kind: "data", name: "ab01" }, new Uint8Array([7, 7]));
  assert.deepEqual(await memory.get({ kind: "data", name: "ab01" }), new Uint8Array([7, 7]));
  // Someone else's bytes under the name are still a taken name.
  await memory.put({ kind: "data", name: "ab02" }, new Uint8Array([1]));
  const other = new RetryBackend(new LostAnswer(memory), { sleep: noWait });
  await other.put({ kind: "data", name: "ab03" }, new Uint8Array([2])).catch(() => {});
  await assert.rejects(other.put({ kind: "data", name: "ab02" }, new Uint8Array([9])), AlreadyExistsError);
});

/** Lists its entries, but the first listing fails after `failAfter` of them (a later page's request). */
class FailingPage extends BackendWrapper {
  failAfter = 2;
  override async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    let given = 0;
    for await (const entry of super.list(kind)) {
      if (given++ === this.failAfter) {
        this.failAfter = Infinity;
        throw new BackendError("Page 2 timed out", { permanent: false });
      }
      yield entry;
    }
  }
}

Deno.test("`RetryBackend.list()` starts a failed listing again without repeating or losing entries", async () => {
  const memory = new MemoryBackend();
  for (const name of ["a", "b", "c", "d", "e"]) await memory.put({ kind: "locks", name }, new Uint8Array(1));
  const backend = new RetryBackend(new FailingPage(memory), { sleep: noWait });
  const names = (await collect(backend.list("locks"))).map((entry) => entry.name);
  assert.deepEqual(names.sort(), ["a", "b", "c", "d", "e"]);
  assert.equal(backend.retries, 1);
});

Deno.test("`RetryBackend` writers commit through its retried put", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [{ operation: "put", fault: "transient" }]);
  const backend = new RetryBackend(faulty, { sleep: noWait });
  const writer = backend.openWriter("data");
  writer.write(new Uint8Array([1]));
  writer.write(new Uint8Array([2, 3]));
  await writer.commit("cd01");
  assert.deepEqual(await backend.get({ kind: "data", name: "cd01" }), new Uint8Array([1, 2, 3]));
  assert.equal(backend.retries, 1);
});

Deno.test("`new RetryBackend()` rejects attempts that are not a positive integer", () => {
  assert.throws(() => new RetryBackend(new MemoryBackend(), { attempts: 0 }), RangeError);
  assert.throws(() => new RetryBackend(new MemoryBackend(), { attempts: 1.5 }), RangeError);
});
