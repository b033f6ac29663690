// The fault-injecting wrapper fails exactly the calls its rules name, the way they name, and no others.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Backend,
  FaultyBackend,
  type FaultyOperation,
  type Handle,
  LocalBackend,
  MemoryBackend,
} from "../../lib/backends/mod.ts";
import { AlreadyExistsError, BackendError } from "../../lib/errors.ts";
import { seededBytes, seededName } from "./_content.ts";
import { collect, listed } from "./conformance.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** Runs `body`, and returns how it failed: "transient", "permanent", another error's name, or "ok". */
async function outcome(body: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await body();
    return "ok";
  } catch (error) {
    if (error instanceof BackendError && error.message.startsWith("Injected ")) {
      return error.permanent ? "permanent" : "transient";
    }
    return error instanceof Error ? error.name : String(error);
  }
}

const handle = (i: number): Handle => ({ kind: "data", name: seededName(`faulty${i}`) });

Deno.test("`FaultyBackend` fails the Nth call of an operation, `times` calls in a row, transient or permanent", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [
    { operation: "put", fault: "transient", call: 2 },
    { operation: "put", fault: "permanent", call: 4, times: 2 },
  ]);
  const results: string[] = [];
  for (let i = 1; i <= 7; i++) results.push(await outcome(() => faulty.put(handle(i), seededBytes("x", i))));
  assert.deepEqual(results, ["ok", "transient", "ok", "permanent", "permanent", "ok", "ok"]);
  assert.equal(faulty.calls("put"), 7);
  assert.equal(faulty.injected, 3);
  // A failed put stored nothing.
  assert.deepEqual((await listed(faulty, "data")).map((entry) => entry.size).sort(), [1, 3, 6, 7]);
});

Deno.test("`FaultyBackend` counts only the calls a rule matches by kind and name, and `Infinity` never stops", async () => {
  const target = handle(1);
  const faulty = new FaultyBackend(new MemoryBackend(), [
    { operation: "stat", fault: "transient", kind: "index" },
    { operation: "get", fault: "permanent", name: target.name, call: 2, times: Infinity },
  ]);
  await faulty.put(target, seededBytes("t", 10));
  await faulty.put(handle(2), seededBytes("u", 10));
  assert.equal(await outcome(() => faulty.stat(handle(1))), "ok", "a data file does not match kind index");
  assert.equal(await outcome(() => faulty.stat({ kind: "index", name: "aa" })), "transient");
  assert.equal(await outcome(() => faulty.stat({ kind: "index", name: "aa" })), "ok", "only the first");
  const gets: string[] = [];
  for (let i = 0; i < 5; i++) {
    gets.push(await outcome(() => faulty.get(target)));
    gets.push(await outcome(() => faulty.get(handle(2))));
  }
  assert.deepEqual(gets, ["ok", "ok", ...Array(4).fill(["permanent", "ok"]).flat()]);
});

Deno.test("an injected error names the fault, the operation and the file", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [
    { operation: "delete", fault: "permanent" },
    { operation: "list", fault: "transient" },
    { operation: "cleanTemporaryFiles", fault: "transient" },
  ]);
  const name = seededName("named");
  await assert.rejects(
    faulty.delete({ kind: "data", name }),
    new BackendError(`Injected permanent fault: delete of "data/${name.slice(0, 2)}/${name}"`, {
      permanent: true,
    }),
  );
  await assert.rejects(
    collect(faulty.list("snapshots")),
    /^BackendError: Injected transient fault: list of "snapshots"$/,
  );
  await assert.rejects(
    faulty.cleanTemporaryFiles(0),
    /^BackendError: Injected transient fault: cleanTemporaryFiles$/,
  );
});

Deno.test("`FaultyBackend` returns truncated or corrupted bytes from get, and leaves the stored file alone", async () => {
  const memory = new MemoryBackend();
  const data = seededBytes("read", 1000);
  await memory.put(handle(1), data);
  const faulty = new FaultyBackend(memory, [
    { operation: "get", fault: "truncate" },
    { operation: "get", fault: "truncate", call: 2, at: 10 },
    { operation: "get", fault: "corrupt", call: 3 },
    { operation: "get", fault: "corrupt", call: 4, at: 7 },
  ]);
  assert.deepEqual(await faulty.get(handle(1)), data.slice(0, 500));
  assert.deepEqual(await faulty.get(handle(1), { offset: 100, length: 50 }), data.slice(100, 110));
  const corrupted = await faulty.get(handle(1));
  assert.equal(corrupted.length, 1000);
  assert.deepEqual(
    [...corrupted].flatMap((byte, i) => byte === data[i] ? [] : [[i, byte ^ data[i]!]]),
    [[500, 1]],
    "exactly the lowest bit of the middle byte differs",
  );
  const ranged = await faulty.get(handle(1), { offset: 20, length: 30 });
  assert.deepEqual([...ranged].flatMap((byte, i) => byte === data[20 + i] ? [] : [i]), [7]);
  assert.deepEqual(await faulty.get(handle(1)), data, "the fifth read is clean");
  assert.deepEqual(await memory.get(handle(1)), data, "the stored file is untouched");
  assert.equal(faulty.injected, 4);
});

Deno.test("a rule for get hides local files from readers until the rules are cleared", async () => {
  using temp = tempDir("kept-faulty-test-");
  const faulty = new FaultyBackend(await LocalBackend.create(temp.path));
  assert.equal(faulty.capabilities.localFiles, true);
  faulty.inject({ operation: "put", fault: "transient" });
  assert.equal(faulty.capabilities.localFiles, true, "failing puts do not change what reads return");
  faulty.inject({ operation: "get", fault: "corrupt" });
  assert.equal(faulty.capabilities.localFiles, false);
  assert.equal(faulty.capabilities.atomicCreate, true, "the rest is the inner backend's");
  faulty.clear();
  assert.equal(faulty.capabilities.localFiles, true);
});

Deno.test("`FaultyBackend` fails writers: openWriter, a write (synchronously) and a commit, which then leaves nothing", async () => {
  using temp = tempDir("kept-faulty-test-");
  const local = await LocalBackend.create(temp.path);
  const faulty = new FaultyBackend(local, [
    { operation: "openWriter", fault: "permanent", call: 2 },
    { operation: "write", fault: "transient", call: 2 },
    { operation: "commit", fault: "permanent", name: seededName("doomed") },
  ]);
  const first = faulty.openWriter("data");
  assert.throws(() => faulty.openWriter("data"), /Injected permanent fault: openWriter of "data"/);
  first.write(seededBytes("a", 10));
  assert.throws(
    () => first.write(seededBytes("b", 10)),
    (error) => error instanceof BackendError && !error.permanent,
  );
  await assert.rejects(first.commit(seededName("doomed")), /Injected permanent fault: commit of "data\//);
  const second = faulty.openWriter("data");
  second.write(seededBytes("c", 10));
  await second.commit(seededName("fine"));
  assert.deepEqual(await listed(local, "data"), [{ name: seededName("fine"), size: 10 }]);
  const leftovers = [...Deno.readDirSync(join(temp.path, "data"))].filter((entry) => entry.isFile);
  assert.deepEqual(leftovers, [], "the failed commit left no temporary file");
  const counts = (["openWriter", "write", "commit"] as FaultyOperation[]).map((op) => faulty.calls(op));
  assert.deepEqual(counts, [3, 3, 2]);
});

Deno.test("`FaultyBackend` rejects rules that cannot apply", () => {
  const memory: Backend = new MemoryBackend();
  assert.throws(() => new FaultyBackend(memory, [{ operation: "put", fault: "corrupt" }]), TypeError);
  assert.throws(() => new FaultyBackend(memory, [{ operation: "list", fault: "truncate" }]), TypeError);
  assert.throws(
    () => new FaultyBackend(memory, [{ operation: "get", fault: "transient", call: 0 }]),
    TypeError,
  );
  assert.throws(
    () => new FaultyBackend(memory, [{ operation: "get", fault: "transient", times: 1.5 }]),
    TypeError,
  );
});

Deno.test("`FaultyBackend` keeps the inner backend's own errors as they are", async () => {
  const faulty = new FaultyBackend(new MemoryBackend(), [{ operation: "put", fault: "transient", call: 3 }]);
  await faulty.put(handle(1), seededBytes("once", 5));
  await assert.rejects(faulty.put(handle(1), seededBytes("twice", 5)), AlreadyExistsError);
  assert.equal(await outcome(() => faulty.put(handle(1), seededBytes("thrice", 5))), "transient");
});
