// The behaviour every Backend must have. Each implementation runs this suite with one line.

import assert from "node:assert/strict";
import { AlreadyExistsError, BackendError, NotFoundError } from "../../lib/errors.ts";
import {
  type Backend,
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type Handle,
} from "../../lib/backends/mod.ts";
import { seededBytes, seededName } from "./_content.ts";

/** A backend under test and how to dispose of it (remove temp dirs, stop servers). */
export interface BackendFixture {
  backend: Backend;
  cleanup: () => Promise<void>;
}

/** What a backend promises beyond the interface's minimum. */
export interface ConformanceOptions {
  /**
   * Whether racing puts of one name are decided atomically: exactly one wins and the others get
   * `AlreadyExistsError` (default true). Backends that can only check before writing set false.
   */
  atomicCreate?: boolean;
}

/** Registers the shared backend tests, each with a fresh backend from `make`, named "<name>: …". */
export function backendConformance(
  name: string,
  make: () => Promise<BackendFixture>,
  options: ConformanceOptions = {},
): void {
  function test(title: string, body: (backend: Backend) => Promise<void>): void {
    Deno.test(`${name}: ${title}`, async () => {
      const { backend, cleanup } = await make();
      try {
        await body(backend);
      } finally {
        await backend.close();
        await cleanup();
      }
    });
  }

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

  test("put of an existing name throws AlreadyExistsError and keeps the original content", async (backend) => {
    const handle: Handle = { kind: "snapshots", name: seededName("exists") };
    const original = seededBytes("original", 3000);
    await backend.put(handle, original);
    await assert.rejects(backend.put(handle, seededBytes("replacement", 10)), AlreadyExistsError);
    await assert.rejects(backend.put(handle, original), AlreadyExistsError);
    assert.deepEqual(await backend.get(handle), original);
    assert.deepEqual(await collect(backend.list("snapshots")), [{ name: handle.name, size: 3000 }]);
  });

  test("list returns the names and sizes of one kind only", async (backend) => {
    const expected = new Map<FileKind, FileEntry[]>(FILE_KINDS.map((kind) => [kind, []]));
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
      assert.deepEqual(
        sortEntries(await collect(backend.list(kind))),
        sortEntries(expected.get(kind)!),
        kind,
      );
    }
  });

  test("list of an empty backend lists nothing for every kind", async (backend) => {
    for (const kind of FILE_KINDS) assert.deepEqual(await collect(backend.list(kind)), [], kind);
  });

  test("stat returns the size of a file and undefined for a missing one", async (backend) => {
    const handle: Handle = { kind: "keys", name: seededName("stat") };
    assert.equal(await backend.stat(handle), undefined);
    await backend.put(handle, seededBytes("stat", 1234));
    assert.deepEqual(await backend.stat(handle), { name: handle.name, size: 1234 });
    const empty: Handle = { kind: "data", name: seededName("stat-empty") };
    await backend.put(empty, new Uint8Array(0));
    assert.deepEqual(await backend.stat(empty), { name: empty.name, size: 0 });
  });

  test("delete removes a file, and deleting a missing file succeeds", async (backend) => {
    const handle: Handle = { kind: "data", name: seededName("delete") };
    const kept: Handle = { kind: "data", name: seededName("keep") };
    await backend.put(handle, seededBytes("delete", 100));
    await backend.put(kept, seededBytes("keep", 100));
    await backend.delete(handle);
    assert.equal(await backend.stat(handle), undefined);
    await assert.rejects(backend.get(handle), NotFoundError);
    assert.deepEqual(await collect(backend.list("data")), [{ name: kept.name, size: 100 }]);
    await backend.delete(handle);
    await backend.delete({ kind: "locks", name: seededName("never") });
    // A deleted name can be stored again.
    await backend.put(handle, seededBytes("again", 5));
    assert.deepEqual(await backend.get(handle), seededBytes("again", 5));
  });

  test("50 concurrent puts of different files all land", async (backend) => {
    const names = Array.from({ length: 50 }, (_, i) => seededName(`concurrent${i}`));
    await Promise.all(
      names.map((name, i) => backend.put({ kind: "data", name }, seededBytes(name, 1000 + i))),
    );
    const listed = await collect(backend.list("data"));
    assert.deepEqual(sortEntries(listed), sortEntries(names.map((name, i) => ({ name, size: 1000 + i }))));
    for (const [i, name] of names.entries()) {
      assert.deepEqual(await backend.get({ kind: "data", name }), seededBytes(name, 1000 + i));
    }
  });

  if (options.atomicCreate ?? true) {
    test("concurrent puts of one name: exactly one wins, the others get AlreadyExistsError", async (backend) => {
      const handle: Handle = { kind: "locks", name: seededName("race") };
      const contents = Array.from({ length: 10 }, (_, i) => seededBytes(`race${i}`, 200_000));
      const results = await Promise.allSettled(contents.map((data) => backend.put(handle, data)));
      const won = results.flatMap((result, i) => result.status === "fulfilled" ? [i] : []);
      assert.equal(won.length, 1, `winners: ${won}`);
      for (const result of results) {
        if (result.status === "rejected") {
          assert.ok(result.reason instanceof AlreadyExistsError, String(result.reason));
        }
      }
      assert.deepEqual(await backend.get(handle), contents[won[0]!]);
    });
  }

  test("config is stored and read under its fixed handle", async (backend) => {
    const handle: Handle = { kind: "config", name: "config" };
    assert.equal(await backend.stat(handle), undefined);
    const data = seededBytes("config", 321);
    await backend.put(handle, data);
    assert.deepEqual(await backend.get(handle), data);
    assert.deepEqual(await backend.get(handle, { offset: 20, length: 30 }), data.slice(20, 50));
    assert.deepEqual(await backend.stat(handle), { name: "config", size: 321 });
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

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

/** Sorts listed entries by name, so lists in "no particular order" can be compared. */
export function sortEntries(entries: FileEntry[]): FileEntry[] {
  return [...entries].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
