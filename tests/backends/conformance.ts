// The behaviour every Backend must have. Each implementation runs this suite with one line.

import assert from "node:assert/strict";
import { AlreadyExistsError, BackendError, NotFoundError } from "../../lib/errors.ts";
import {
  asBackend,
  type Backend,
  type BackendCapabilities,
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type Handle,
  LocalBackend,
} from "../../lib/backends/mod.ts";
import { REPLACEABLE_KINDS } from "../../lib/backends/backend.ts";
import { seededBytes, seededName } from "./_content.ts";

/** A backend under test and how to dispose of it (remove temp dirs, stop servers). */
export interface BackendFixture {
  backend: Backend;
  cleanup: () => Promise<void>;
}

/** What a backend promises beyond the interface's minimum. */
export interface ConformanceOptions {
  /**
   * The capabilities the backend must report (those not given are only checked for their type). Whether
   * racing puts must have exactly one winner follows from the reported `atomicCreate`.
   */
  capabilities?: Partial<BackendCapabilities>;
}

/** Registers the shared backend tests, each with a fresh backend from `make`, named "<name>: …". */
export function backendConformance(
  name: string,
  make: () => Promise<BackendFixture>,
  options: ConformanceOptions = {},
): void {
  const test: Register = (title, body) => {
    Deno.test(`${name}: ${title}`, async () => {
      const { backend, cleanup } = await make();
      try {
        await body(backend);
      } finally {
        await backend.close();
        await cleanup();
      }
    });
  };
  registerReadTests(test);
  registerWriteTests(test);
  registerRaceTests(test);
  registerListTests(test);
  registerCapabilityTests(test, options);
  registerWriterTests(test);
}

/** Registers one test with a fresh backend. */
type Register = (title: string, body: (backend: Backend) => Promise<void>) => void;

/** Allowed difference between a stored file's time and the clock around its write (coarse file systems). */
const CLOCK_SLACK_MS = 2000;

/** get: whole files, ranges, missing files. */
function registerReadTests(test: Register): void {
  test("put then get returns the same bytes for an empty, a 1-byte and a 5 MiB file", async (backend) => {
    const files: [Handle, Uint8Array][] = [
      [{ kind: "data", name: seededName("empty") }, new Uint8Array(0)],
      [{ kind: "data", name: seededName("one") }, new Uint8Array([0xa7])],
      [{ kind: "data", name: seededName("large") }, seededBytes("large", 5 << 20)],
    ];
    for (const [handle, data] of files) await backend.put(handle, data);
    for (const [handle, data] of files) assert.deepEqual(await backend.get(handle), data);
  });

  test("get with a range returns exactly the bytes at the start, middle and end", async (backend) => {
    const handle: Handle = { kind: "data", name: seededName("ranged") };
    const data = seededBytes("ranged", 100_000);
    await backend.put(handle, data);
    for (const [offset, length] of [[0, 10], [0, 100_000], [31_337, 4096], [99_990, 10], [100_000 - 1, 1]]) {
      const range = { offset: offset!, length: length! };
      assert.deepEqual(
        await backend.get(handle, range),
        data.slice(offset, offset! + length!),
        `range ${offset}+${length}`,
      );
    }
  });

  test("get with a zero-length range returns no bytes", async (backend) => {
    const handle: Handle = { kind: "index", name: seededName("zero") };
    await backend.put(handle, seededBytes("zero", 1000));
    assert.equal((await backend.get(handle, { offset: 0, length: 0 })).length, 0);
    assert.equal((await backend.get(handle, { offset: 500, length: 0 })).length, 0);
    assert.equal((await backend.get(handle, { offset: 1000, length: 0 })).length, 0);
  });

  test("get with a range past the end throws a permanent BackendError", async (backend) => {
    const handle: Handle = { kind: "data", name: seededName("short") };
    await backend.put(handle, seededBytes("short", 1000));
    for (
      const range of [{ offset: 990, length: 11 }, { offset: 1000, length: 1 }, { offset: 5000, length: 10 }]
    ) {
      await assert.rejects(backend.get(handle, range), (error) => {
        assert.ok(error instanceof BackendError, `range ${JSON.stringify(range)}: ${error}`);
        assert.ok(!(error instanceof NotFoundError));
        assert.equal(error.permanent, true);
        assert.match(error.message, /truncated/);
        assert.match(error.message, /ends at 1000\b/);
        return true;
      });
    }
  });

  test("get of a missing file throws NotFoundError naming the file", async (backend) => {
    const name = seededName("missing");
    for (const kind of ["data", "snapshots", "keys"] as const) {
      await assert.rejects(backend.get({ kind, name }), (error) => {
        assert.ok(error instanceof NotFoundError, String(error));
        assert.equal(error.permanent, true);
        assert.ok(error.message.includes(name), error.message);
        return true;
      });
    }
    await assert.rejects(backend.get({ kind: "data", name }, { offset: 0, length: 1 }), NotFoundError);
    await assert.rejects(backend.get({ kind: "config", name: "config" }), NotFoundError);
  });
}

/** put and delete: never replacing, racing, copying, names. */
function registerWriteTests(test: Register): void {
  test("put of an existing key, lock or snapshot throws AlreadyExistsError and keeps the original", async (backend) => {
    for (const kind of FILE_KINDS.filter((kind) => kind !== "config" && !REPLACEABLE_KINDS.has(kind))) {
      const handle: Handle = { kind, name: seededName(`exists-${kind}`) };
      const original = seededBytes("original", 3000);
      await backend.put(handle, original);
      await assert.rejects(backend.put(handle, seededBytes("replacement", 10)), AlreadyExistsError, kind);
      await assert.rejects(backend.put(handle, original), AlreadyExistsError, kind);
      assert.deepEqual(await backend.get(handle), original);
      assert.deepEqual(await listed(backend, kind), [{ name: handle.name, size: 3000 }]);
    }
  });

  test("put of an existing pack or index file with the same bytes refuses or stores them again", async (backend) => {
    for (const kind of REPLACEABLE_KINDS) {
      const handle: Handle = { kind, name: seededName(`again-${kind}`) };
      const bytes = seededBytes(`again-${kind}`, 3000);
      await backend.put(handle, bytes);
      const again = await backend.put(handle, bytes.slice()).then(() => undefined, (error) => error);
      assert.ok(again === undefined || again instanceof AlreadyExistsError, `${kind}: ${again}`);
      assert.deepEqual(await backend.get(handle), bytes);
      assert.deepEqual(await listed(backend, kind), [{ name: handle.name, size: 3000 }]);
    }
  });

  test("delete removes a file, and deleting a missing file succeeds", async (backend) => {
    const handle: Handle = { kind: "data", name: seededName("delete") };
    const kept: Handle = { kind: "data", name: seededName("keep") };
    await backend.put(handle, seededBytes("delete", 100));
    await backend.put(kept, seededBytes("keep", 100));
    await backend.delete(handle);
    assert.equal(await backend.stat(handle), undefined);
    await assert.rejects(backend.get(handle), NotFoundError);
    assert.deepEqual(await listed(backend, "data"), [{ name: kept.name, size: 100 }]);
    await backend.delete(handle);
    await backend.delete({ kind: "locks", name: seededName("never") });
    // A deleted name can be stored again.
    await backend.put(handle, seededBytes("again", 5));
    assert.deepEqual(await backend.get(handle), seededBytes("again", 5));
  });

  test("deleteMany removes the files it names, of one kind; missing names are no error", async (backend) => {
    const names = Array.from({ length: 7 }, (_, i) => seededName(`many${i}`));
    await Promise.all(names.map((name) => backend.put({ kind: "data", name }, seededBytes(name, 10))));
    await backend.put({ kind: "index", name: names[0]! }, seededBytes("index", 10));
    await backend.deleteMany("data", [...names.slice(0, 6), seededName("never")]);
    assert.deepEqual(await listed(backend, "data"), [{ name: names[6]!, size: 10 }]);
    assert.deepEqual(await listed(backend, "index"), [{ name: names[0]!, size: 10 }], "another kind stays");
    await backend.deleteMany("data", []);
    await backend.deleteMany("data", names);
    assert.deepEqual(await listed(backend, "data"), []);
  });

  test("config is stored and read under its fixed handle", async (backend) => {
    const handle: Handle = { kind: "config", name: "config" };
    assert.equal(await backend.stat(handle), undefined);
    const data = seededBytes("config", 321);
    await backend.put(handle, data);
    assert.deepEqual(await backend.get(handle), data);
    assert.deepEqual(await backend.get(handle, { offset: 20, length: 30 }), data.slice(20, 50));
    assert.deepEqual(withoutTime(await backend.stat(handle)), { name: "config", size: 321 });
    await assert.rejects(backend.put(handle, data), AlreadyExistsError);
  });

  test("stored bytes cannot be changed through the arrays passed to put or returned by get", async (backend) => {
    const handle: Handle = { kind: "data", name: seededName("copy") };
    const data = seededBytes("copy", 64);
    const input = data.slice();
    await backend.put(handle, input);
    input.fill(0);
    const first = await backend.get(handle);
    assert.deepEqual(first, data);
    first.fill(0);
    (await backend.get(handle, { offset: 0, length: 8 })).fill(0);
    assert.deepEqual(await backend.get(handle), data);
  });

  test("names that would leave their folder or look like temporary files are rejected", async (backend) => {
    for (const name of ["", ".", "..", "../config", "ab/cd", "ab\\cd", ".tmp-1234", "a\0b"]) {
      await assert.rejects(backend.put({ kind: "snapshots", name }, new Uint8Array(1)), TypeError, name);
      await assert.rejects(backend.get({ kind: "data", name }), TypeError, name);
    }
    await assert.rejects(backend.put({ kind: "config", name: "other" }, new Uint8Array(1)), TypeError);
    assert.deepEqual(await collect(backend.list("snapshots")), []);
    assert.deepEqual(await collect(backend.list("config")), []);
  });
}

/** Puts that race each other. */
function registerRaceTests(test: Register): void {
  test("50 concurrent puts of different files all land", async (backend) => {
    const names = Array.from({ length: 50 }, (_, i) => seededName(`concurrent${i}`));
    await Promise.all(
      names.map((name, i) => backend.put({ kind: "data", name }, seededBytes(name, 1000 + i))),
    );
    assert.deepEqual(
      await listed(backend, "data"),
      sortEntries(names.map((name, i) => ({ name, size: 1000 + i }))),
    );
    for (const [i, name] of names.entries()) {
      assert.deepEqual(await backend.get({ kind: "data", name }), seededBytes(name, 1000 + i));
    }
  });

  test("concurrent puts of one name: exactly one wins where creates are atomic, else all land", async (backend) => {
    const handle: Handle = { kind: "locks", name: seededName("race") };
    const contents = Array.from({ length: 10 }, (_, i) => seededBytes(`race${i}`, 200_000));
    const atomic = backend.capabilities.atomicCreate; // read before the race: it may learn otherwise
    const results = await Promise.allSettled(contents.map((data) => backend.put(handle, data)));
    const won = results.flatMap((result, i) => result.status === "fulfilled" ? [i] : []);
    for (const result of results) {
      if (result.status === "rejected") {
        assert.ok(result.reason instanceof AlreadyExistsError, String(result.reason));
      }
    }
    if (atomic) {
      assert.equal(won.length, 1, `winners: ${won}`);
      assert.deepEqual(await backend.get(handle), contents[won[0]!]);
    } else {
      // Only one of them stays, whole, but several may have believed they stored it.
      assert.ok(won.length >= 1, "no put won");
      const stored = await backend.get(handle);
      assert.ok(contents.some((data) => equalBytes(data, stored)), "the stored file is none of those put");
    }
  });
}

/** list and stat. */
function registerListTests(test: Register): void {
  test("list returns the names and sizes of one kind only", async (backend) => {
    const expected = new Map<FileKind, NameAndSize[]>(FILE_KINDS.map((kind) => [kind, []]));
    // Names starting with different hex pairs land in several data subfolders; some share one.
    const dataNames = ["00", "00", "3f", "a0", "ff", "ff", "7c"].map((pair, i) =>
      pair + seededName(`d${i}`).slice(2)
    );
    for (const [i, name] of dataNames.entries()) {
      await backend.put({ kind: "data", name }, seededBytes(name, i * 101));
      expected.get("data")!.push({ name, size: i * 101 });
    }
    for (const kind of ["index", "snapshots", "locks"] as const) {
      for (let i = 0; i < 3; i++) {
        const name = seededName(`${kind}${i}`);
        await backend.put({ kind, name }, seededBytes(name, 10 + i));
        expected.get(kind)!.push({ name, size: 10 + i });
      }
    }
    // `keys` stays empty and must list nothing; `config` holds only its one file.
    await backend.put({ kind: "config", name: "config" }, seededBytes("config", 77));
    expected.get("config")!.push({ name: "config", size: 77 });
    for (const kind of FILE_KINDS) {
      assert.deepEqual(await listed(backend, kind), sortEntries(expected.get(kind)!), kind);
    }
  });

  test("list of an empty backend lists nothing for every kind", async (backend) => {
    for (const kind of FILE_KINDS) assert.deepEqual(await collect(backend.list(kind)), [], kind);
  });

  test("stat returns the size of a file and undefined for a missing one", async (backend) => {
    const handle: Handle = { kind: "keys", name: seededName("stat") };
    assert.equal(await backend.stat(handle), undefined);
    await backend.put(handle, seededBytes("stat", 1234));
    assert.deepEqual(withoutTime(await backend.stat(handle)), { name: handle.name, size: 1234 });
    const empty: Handle = { kind: "data", name: seededName("stat-empty") };
    await backend.put(empty, new Uint8Array(0));
    assert.deepEqual(withoutTime(await backend.stat(empty)), { name: empty.name, size: 0 });
  });
}

/** What a backend says it can do, and the times it keeps. */
function registerCapabilityTests(test: Register, options: ConformanceOptions): void {
  test("capabilities are reported as promised, and local files can be found through unwrap", async (backend) => {
    const capabilities = backend.capabilities;
    for (const key of ["localFiles", "atomicCreate", "writeThrough", "flakyErrors"] as const) {
      assert.equal(typeof capabilities[key], "boolean", key);
    }
    assert.ok(Number.isSafeInteger(capabilities.connections) && capabilities.connections >= 1);
    for (const [key, value] of Object.entries(options.capabilities ?? {})) {
      assert.equal(capabilities[key as keyof BackendCapabilities], value, key);
    }
    let depth = 0;
    for (let inner = backend.unwrap(); inner !== undefined; inner = inner.unwrap()) {
      assert.ok(++depth < 16, "the chain of wrappers does not end");
    }
    const local = asBackend(backend, LocalBackend);
    if (capabilities.localFiles) {
      assert.ok(local, "localFiles, but no LocalBackend in the chain");
      const handle: Handle = { kind: "data", name: seededName("local") };
      await backend.put(handle, seededBytes("local", 300));
      assert.deepEqual(await Deno.readFile(local.localPath(handle)), seededBytes("local", 300));
    }
  });

  test("list and stat give each file's modification time, in ms since the epoch, from the time of its write", async (backend) => {
    const before = Date.now();
    const handles: Handle[] = [
      { kind: "data", name: seededName("time1") },
      { kind: "snapshots", name: seededName("time2") },
      { kind: "config", name: "config" },
    ];
    for (const handle of handles) await backend.put(handle, seededBytes(handle.name, 10));
    const writer = backend.openWriter("index");
    writer.write(seededBytes("time3", 10));
    await writer.commit(seededName("time3"));
    handles.push({ kind: "index", name: seededName("time3") });
    const after = Date.now();
    for (const handle of handles) {
      const [entry] = await collect(backend.list(handle.kind));
      const stat = await backend.stat(handle);
      assert.ok(entry && stat, handlePathOf(handle));
      assert.equal(entry.mtime, stat.mtime, handlePathOf(handle));
      assert.ok(Number.isSafeInteger(Math.floor(entry.mtime)), `${handlePathOf(handle)}: ${entry.mtime}`);
      assert.ok(
        entry.mtime >= before - CLOCK_SLACK_MS && entry.mtime <= after + CLOCK_SLACK_MS,
        `${handlePathOf(handle)}: ${new Date(entry.mtime).toISOString()} is not between ` +
          `${new Date(before).toISOString()} and ${new Date(after).toISOString()}`,
      );
    }
  });
}

/** Writers whose name comes at the end, and the clean-up of what killed writers leave. */
function registerWriterTests(test: Register): void {
  test("openWriter stores what was written under the name given at commit, never replacing", async (backend) => {
    const name = seededName("writer");
    const parts = [
      seededBytes("w1", 1000),
      new Uint8Array(0),
      seededBytes("w2", 70_000),
      seededBytes("w3", 5),
    ];
    const writer = backend.openWriter("data");
    for (const part of parts) {
      writer.write(part);
      part.fill(0); // the writer must have taken its copy already
    }
    assert.deepEqual(await collect(backend.list("data")), [], "nothing is listed before the commit");
    await writer.commit(name);
    const expected = concat([seededBytes("w1", 1000), seededBytes("w2", 70_000), seededBytes("w3", 5)]);
    assert.ok(equalBytes(await backend.get({ kind: "data", name }), expected));
    assert.deepEqual(await listed(backend, "data"), [{ name, size: expected.length }]);
    // A pack's name is the hash of its bytes, so only the same bytes can come again (REPLACEABLE_KINDS).
    const again = backend.openWriter("data");
    again.write(expected);
    await again.commit(name).catch((error) => assert.ok(error instanceof AlreadyExistsError, String(error)));
    assert.ok(equalBytes(await backend.get({ kind: "data", name }), expected));
    const key = { kind: "keys" as const, name: seededName("writer-key") };
    await backend.put(key, seededBytes("key", 10));
    const other = backend.openWriter("keys");
    other.write(seededBytes("other", 10));
    await assert.rejects(other.commit(key.name), AlreadyExistsError);
    assert.ok(equalBytes(await backend.get(key), seededBytes("key", 10)));
  });

  test("an aborted or unfinished writer leaves nothing that list shows", async (backend) => {
    const aborted = backend.openWriter("data");
    aborted.write(seededBytes("aborted", 100));
    await aborted.abort();
    const unfinished = backend.openWriter("snapshots");
    unfinished.write(seededBytes("unfinished", 100));
    for (const kind of FILE_KINDS) assert.deepEqual(await collect(backend.list(kind)), [], kind);
    await unfinished.abort();
  });

  test("cleanTemporaryFiles leaves every stored file in place", async (backend) => {
    const handles: Handle[] = [
      { kind: "data", name: seededName("clean1") },
      { kind: "index", name: seededName("clean2") },
    ];
    for (const handle of handles) await backend.put(handle, seededBytes(handle.name, 50));
    const writer = backend.openWriter("data");
    writer.write(seededBytes(seededName("clean3"), 50));
    await writer.commit(seededName("clean3"));
    handles.push({ kind: "data", name: seededName("clean3") });
    const dryRun = await backend.cleanTemporaryFiles(0, { dryRun: true });
    const cleaned = await backend.cleanTemporaryFiles(0);
    for (const result of [dryRun, cleaned]) {
      assert.deepEqual(result, { removed: [], bytes: 0 }, "no write was interrupted");
    }
    for (const handle of handles) assert.deepEqual(await backend.get(handle), seededBytes(handle.name, 50));
  });
}

/** A listed file without its time, for comparing listings. */
export interface NameAndSize {
  name: string;
  size: number;
}

/** The names and sizes a backend lists for one kind, sorted by name. */
export async function listed(backend: Backend, kind: FileKind): Promise<NameAndSize[]> {
  return sortEntries((await collect(backend.list(kind))).map((entry) => withoutTime(entry)));
}

/** An entry without its time (undefined stays undefined). */
export function withoutTime(entry: FileEntry): NameAndSize;
export function withoutTime(entry: FileEntry | undefined): NameAndSize | undefined;
export function withoutTime(entry: FileEntry | undefined): NameAndSize | undefined {
  return entry === undefined ? undefined : { name: entry.name, size: entry.size };
}

function handlePathOf(handle: Handle): string {
  return `${handle.kind}/${handle.name}`;
}

/** Whether two byte arrays are equal (faster than deepEqual on megabytes). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

/** Sorts listed entries by name, so lists in "no particular order" can be compared. */
export function sortEntries<T extends { name: string }>(entries: T[]): T[] {
  return [...entries].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
