import assert from "node:assert/strict";
import { dirname, join, relative as relativePath } from "node:path";
import { LocalBackend } from "../../lib/backends/mod.ts";
import { BackendError, MissingStorageError } from "../../lib/errors.ts";
import { contentForName, seededBytes, seededName } from "./_content.ts";
import { backendConformance, collect, listed as listedEntries, sortEntries } from "./conformance.ts";
import { tempDir } from "../_support/temp_dir.ts";

const HERE = dirname(new URL(import.meta.url).pathname);
const LIB = join(HERE, "../../lib");

/** A fresh repository folder in a temp dir, removed by `cleanup`. */
async function tempRepository(options: { hardLinks?: boolean } = {}) {
  const parent = await Deno.makeTempDir({ prefix: "kept-local-test-" });
  const root = join(parent, "repo");
  const backend = await LocalBackend.create(root, options);
  return { backend, root, cleanup: () => Deno.remove(parent, { recursive: true }) };
}

/** Runs `test` on a new repository that publishes files with hard links, then on one that renames them. */
async function inBothLinkModes(test: (repo: { backend: LocalBackend; root: string }) => Promise<void>) {
  for (const hardLinks of [true, false]) {
    const { backend, root, cleanup } = await tempRepository({ hardLinks });
    try {
      await test({ backend, root });
    } finally {
      await cleanup();
    }
  }
}

/** What every local folder can do; only atomic creates depend on hard links. */
const LOCAL_CAPABILITIES = { localFiles: true, writeThrough: true, flakyErrors: false, connections: 8 };

backendConformance("LocalBackend", () => tempRepository(), {
  capabilities: { ...LOCAL_CAPABILITIES, atomicCreate: true },
});
backendConformance("LocalBackend without hard links", () => tempRepository({ hardLinks: false }), {
  capabilities: { ...LOCAL_CAPABILITIES, atomicCreate: false },
});

/** Every path under `root` (relative, with "/"), for asserting what is on disk. */
async function walk(root: string, prefix = ""): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of Deno.readDir(join(root, prefix))) {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    paths.push(relative);
    if (entry.isDirectory) paths.push(...await walk(root, relative));
  }
  return paths.sort();
}

/** Whether this process may mount file systems (root on Linux with the capability); probed once. */
const canMount = await (async () => {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  using temp = tempDir("kept-mount-probe-");
  const dir = temp.path;
  if (!await mountTmpfs(dir, "size=64k")) return false;
  await unmount(dir);
  return true;
})();

async function mountTmpfs(dir: string, options: string): Promise<boolean> {
  const { success } = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output();
  return success;
}

async function unmount(dir: string): Promise<void> {
  const { success } = await new Deno.Command("umount", { args: [dir], stderr: "null" }).output();
  assert.ok(success, `umount ${dir} failed`);
}

Deno.test("`LocalBackend.create()` makes the root and one folder per kind, all mode 0700", async () => {
  const { root, cleanup } = await tempRepository();
  try {
    assert.deepEqual(await walk(root), ["data", "index", "keys", "locks", "snapshots"]);
    for (const path of ["", "data", "index", "keys", "locks", "snapshots"]) {
      const info = await Deno.stat(join(root, path));
      assert.ok(info.isDirectory);
      assert.equal(info.mode! & 0o777, 0o700, path);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("`LocalBackend.put()` stores files with mode 0600 and creates data subfolders with mode 0700", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    const name = `ab${seededName("mode").slice(2)}`;
    await backend.put({ kind: "data", name }, seededBytes("mode", 10));
    await backend.put({ kind: "config", name: "config" }, seededBytes("config", 10));
    await backend.put({ kind: "keys", name: "k1" }, seededBytes("key", 10));
    assert.equal((await Deno.stat(join(root, "data/ab"))).mode! & 0o777, 0o700);
    for (const path of [`data/ab/${name}`, "config", "keys/k1"]) {
      assert.equal((await Deno.stat(join(root, path))).mode! & 0o777, 0o600, path);
    }
    // Nothing but the final files is left behind.
    assert.deepEqual(await walk(root), [
      "config",
      "data",
      "data/ab",
      `data/ab/${name}`,
      "index",
      "keys",
      "keys/k1",
      "locks",
      "snapshots",
    ]);
  } finally {
    await cleanup();
  }
});

Deno.test("`LocalBackend.create()` accepts an existing empty folder and keeps its mode", async () => {
  using dir = tempDir("kept-local-test-");
  const parent = dir.path;
  await Deno.chmod(parent, 0o750);
  const backend = await LocalBackend.create(parent);
  assert.equal(backend.location, parent);
  assert.equal((await Deno.stat(parent)).mode! & 0o777, 0o750);
  assert.deepEqual(await walk(parent), ["data", "index", "keys", "locks", "snapshots"]);
});

Deno.test("`LocalBackend.open()` of a missing folder throws a MissingStorageError naming it", async () => {
  using dir = tempDir("kept-local-test-");
  const parent = dir.path;
  const root = join(parent, "nowhere");
  await assert.rejects(LocalBackend.open(root), (error) => {
    // Like a missing bucket: no repository there yet, which `kept init` creates.
    assert.ok(error instanceof MissingStorageError);
    assert.equal(error.permanent, true);
    assert.equal(error.location, root);
    assert.equal(error.message, `Cannot open repository folder "${root}": it does not exist`);
    return true;
  });
});

Deno.test("`LocalBackend.open()` of a regular file throws a permanent BackendError naming it", async () => {
  using dir = tempDir("kept-local-test-");
  const parent = dir.path;
  const root = join(parent, "file");
  await Deno.writeTextFile(root, "not a repository");
  await assert.rejects(LocalBackend.open(root), (error) => {
    assert.ok(error instanceof BackendError);
    assert.equal(error.permanent, true);
    assert.equal(error.message, `Cannot open repository folder "${root}": it is not a folder`);
    return true;
  });
});

Deno.test("`LocalBackend.open()` resolves a relative path into an absolute location", async () => {
  const { root, cleanup } = await tempRepository();
  try {
    const relative = relativePath(Deno.cwd(), root);
    const backend = await LocalBackend.open(relative);
    assert.equal(backend.location, root);
  } finally {
    await cleanup();
  }
});

Deno.test({
  name: "Folders the user may not read or write give permanent BackendErrors saying permission denied",
  ignore: Deno.build.os === "windows",
  async fn() {
    using dir = tempDir("kept-local-test-");
    const parent = dir.path;
    const unreadable = join(parent, "unreadable");
    const readOnly = join(parent, "read-only");
    await LocalBackend.create(unreadable);
    await LocalBackend.create(readOnly);
    let result: Record<string, Outcome>;
    if (Deno.uid() === 0) {
      // Root ignores permissions, so the probe runs as "nobody" from a world-readable copy of the code;
      // "read-only" belongs to root and may be read, not written, by others.
      for (const path of ["", "snapshots"]) await Deno.chmod(join(readOnly, path), 0o755);
      result = await probeAsNobody(parent, unreadable, readOnly);
    } else {
      await Deno.chmod(unreadable, 0o000);
      for (const path of ["", "snapshots"]) await Deno.chmod(join(readOnly, path), 0o500);
      result = { open: await outcome(LocalBackend.open(unreadable)) };
      result.put = await outcome(
        LocalBackend.open(readOnly).then((backend) =>
          backend.put({ kind: "snapshots", name: "0123abcd" }, new Uint8Array(10))
        ),
      );
      await Deno.chmod(unreadable, 0o700);
      for (const path of ["", "snapshots"]) await Deno.chmod(join(readOnly, path), 0o700);
    }
    assert.deepEqual(result.open, {
      ok: false,
      name: "BackendError",
      permanent: true,
      message: `BackendError: Cannot open repository folder "${unreadable}": permission denied`,
    });
    assert.deepEqual(result.put, {
      ok: false,
      name: "BackendError",
      permanent: true,
      message: `BackendError: Cannot store "snapshots/0123abcd" in "${readOnly}": permission denied`,
    });
  },
});

/** How a call ended, in the shape tests/backends/_access_probe.ts prints. */
interface Outcome {
  ok: boolean;
  name?: string;
  permanent?: boolean | null;
  message?: string;
}

async function outcome(promise: Promise<unknown>): Promise<Outcome> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      name: error instanceof Error ? error.name : "?",
      permanent: error instanceof BackendError ? error.permanent : null,
      message: String(error),
    };
  }
}

/** Runs tests/backends/_access_probe.ts as uid/gid 65534 and returns what it printed. */
async function probeAsNobody(
  parent: string,
  unreadable: string,
  readOnly: string,
): Promise<Record<string, Outcome>> {
  const code = join(parent, "code");
  for (
    const file of [
      "errors.ts",
      "read_full.ts",
      "regular_file.ts",
      "lru_cache.ts",
      "backends/backend.ts",
      "backends/local.ts",
    ]
  ) {
    await Deno.mkdir(dirname(join(code, "lib", file)), { recursive: true });
    await Deno.copyFile(join(LIB, file), join(code, "lib", file));
  }
  await Deno.mkdir(join(code, "tests/backends"), { recursive: true });
  await Deno.copyFile(join(HERE, "_access_probe.ts"), join(code, "tests/backends/_access_probe.ts"));
  const home = join(parent, "home");
  await Deno.mkdir(home, { mode: 0o777 });
  await Deno.chmod(home, 0o777);
  await Deno.chmod(parent, 0o755);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--no-config", "tests/backends/_access_probe.ts", unreadable, readOnly],
    cwd: code,
    uid: 65534,
    gid: 65534,
    env: { HOME: home, DENO_DIR: join(home, "deno"), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, stdout + new TextDecoder().decode(output.stderr));
  return JSON.parse(stdout);
}

Deno.test({
  name: "A put on a read-only file system throws a permanent BackendError and leaves nothing behind",
  ignore: !canMount,
  async fn() {
    const parent = await Deno.makeTempDir({ prefix: "kept-local-test-" });
    const mount = join(parent, "mnt");
    await Deno.mkdir(mount);
    try {
      assert.ok(await mountTmpfs(mount, "size=1m"));
      const backend = await LocalBackend.create(join(mount, "repo"));
      await backend.put({ kind: "keys", name: "before" }, seededBytes("before", 10));
      const remount = await new Deno.Command("mount", { args: ["-o", "remount,ro", mount] }).output();
      assert.ok(remount.success);
      await assert.rejects(
        backend.put({ kind: "keys", name: "after" }, seededBytes("after", 10)),
        (error) => {
          assert.ok(error instanceof BackendError);
          assert.equal(error.permanent, true);
          assert.equal(
            error.message,
            `Cannot store "keys/after" in "${join(mount, "repo")}": read-only file system`,
          );
          return true;
        },
      );
      assert.deepEqual(await backend.get({ kind: "keys", name: "before" }), seededBytes("before", 10));
      assert.deepEqual(await walk(join(mount, "repo"), "keys"), ["keys/before"]);
    } finally {
      await unmount(mount).catch(() => {});
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test({
  name: "A put on a full disk throws a permanent BackendError and leaves no partial or temporary file",
  ignore: !canMount,
  async fn() {
    const parent = await Deno.makeTempDir({ prefix: "kept-local-test-" });
    const mount = join(parent, "mnt");
    await Deno.mkdir(mount);
    try {
      assert.ok(await mountTmpfs(mount, "size=1m"));
      const root = join(mount, "repo");
      const backend = await LocalBackend.create(root);
      const name = seededName("too big");
      await assert.rejects(backend.put({ kind: "data", name }, seededBytes("too big", 2 << 20)), (error) => {
        assert.ok(error instanceof BackendError);
        assert.equal(error.permanent, true);
        assert.equal(
          error.message,
          `Cannot store "data/${name.slice(0, 2)}/${name}" in "${root}": no space left on device`,
        );
        return true;
      });
      assert.equal(await backend.stat({ kind: "data", name }), undefined);
      assert.deepEqual((await walk(root)).filter((path) => path.includes(".tmp-")), []);
      // The space is free again: a smaller file fits.
      await backend.put({ kind: "data", name }, seededBytes("fits", 512 << 10));
      assert.deepEqual(await backend.get({ kind: "data", name }), seededBytes("fits", 512 << 10));
    } finally {
      await unmount(mount).catch(() => {});
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test("`LocalBackend.put()` recreates kind folders that a copy dropped because they were empty", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    await Deno.remove(join(root, "locks"));
    await Deno.remove(join(root, "data"));
    assert.deepEqual(await collect(backend.list("locks")), []);
    assert.deepEqual(await collect(backend.list("data")), []);
    const name = seededName("recreated");
    await backend.put({ kind: "locks", name }, seededBytes("lock", 5));
    await backend.put({ kind: "data", name }, seededBytes("data", 5));
    assert.deepEqual(await backend.get({ kind: "locks", name }), seededBytes("lock", 5));
    assert.deepEqual(await backend.get({ kind: "data", name }), seededBytes("data", 5));
  } finally {
    await cleanup();
  }
});

Deno.test("`LocalBackend.list()` skips temporary files, dot files and data files in the wrong subfolder", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    const name = `cd${seededName("listed").slice(2)}`;
    await backend.put({ kind: "data", name }, seededBytes("listed", 3));
    await backend.put({ kind: "index", name }, seededBytes("listed", 4));
    await Deno.writeFile(join(root, "data/cd/.tmp-0011"), new Uint8Array(9));
    await Deno.writeFile(join(root, "data/cd/ef0000"), new Uint8Array(9));
    await Deno.mkdir(join(root, "data/.hidden"));
    await Deno.writeFile(join(root, "data/.hidden/.hidden0"), new Uint8Array(9));
    await Deno.writeFile(join(root, "index/.tmp-0022"), new Uint8Array(9));
    await Deno.writeFile(join(root, ".tmp-0033"), new Uint8Array(9));
    await Deno.mkdir(join(root, "index/subfolder"));
    assert.deepEqual(await listedEntries(backend, "data"), [{ name, size: 3 }]);
    assert.deepEqual(await listedEntries(backend, "index"), [{ name, size: 4 }]);
    assert.deepEqual(await collect(backend.list("config")), []);
  } finally {
    await cleanup();
  }
});

Deno.test("`LocalBackend.get()` of a whole file that shrank on disk throws a permanent truncated error", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    const name = seededName("shrunk");
    await backend.put({ kind: "snapshots", name }, seededBytes("shrunk", 100));
    await Deno.truncate(join(root, "snapshots", name), 40);
    assert.deepEqual(await backend.get({ kind: "snapshots", name }), seededBytes("shrunk", 40));
    await assert.rejects(backend.get({ kind: "snapshots", name }, { offset: 30, length: 20 }), (error) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.permanent, true);
      assert.equal(
        error.message,
        `Cannot read "snapshots/${name}" in "${root}": truncated, wanted 20 bytes at offset 30 but the file ends at 40`,
      );
      return true;
    });
  } finally {
    await cleanup();
  }
});

Deno.test("`cleanTemporaryFiles()` removes only temporary files older than the given age", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    const name = `e1${seededName("clean").slice(2)}`;
    await backend.put({ kind: "data", name }, seededBytes("clean", 10));
    const temps = ["data/.tmp-aa", "snapshots/.tmp-bb", ".tmp-cc", "locks/.tmp-dd"];
    for (const path of temps) await Deno.writeFile(join(root, path), new Uint8Array(4));
    const old = new Date(Date.UTC(2020, 0, 1));
    for (const path of temps.slice(0, 3)) await Deno.utime(join(root, path), old, old);
    const now = Date.UTC(2020, 0, 1, 1); // one hour after the old files, long before the fresh one

    assert.deepEqual(await backend.cleanTemporaryFiles(2 * 3600_000, { now }), { removed: [], bytes: 0 });
    const dryRun = await backend.cleanTemporaryFiles(1800_000, { now, dryRun: true });
    assert.deepEqual(dryRun.removed.sort(), temps.slice(0, 3).sort());
    assert.equal(dryRun.bytes, 12);
    assert.equal(
      (await walk(root)).filter((path) => path.includes(".tmp-")).length,
      4,
      "a dry run removes none",
    );
    const { removed, bytes } = await backend.cleanTemporaryFiles(1800_000, { now });
    assert.deepEqual(removed.sort(), temps.slice(0, 3).sort());
    assert.equal(bytes, 12);
    assert.deepEqual((await walk(root)).filter((path) => path.includes(".tmp-")), ["locks/.tmp-dd"]);
    assert.deepEqual(await backend.cleanTemporaryFiles(0), { removed: ["locks/.tmp-dd"], bytes: 4 });
    assert.deepEqual(await backend.get({ kind: "data", name }), seededBytes("clean", 10));
  } finally {
    await cleanup();
  }
});

Deno.test("`put` and `openWriter` write their temporary files in the kind's folder, never in a pack folder", async () => {
  // Leftovers of a killed writer are then found by reading six folders, not all 256 pack folders.
  await inBothLinkModes(async ({ backend, root }) => {
    const name = `ab${seededName("where").slice(2)}`;
    await Deno.mkdir(join(root, "data", "ab")); // watched from the start, like the kind folders
    const watcher = Deno.watchFs(root, { recursive: true });
    // Every event naming a temporary file counts, whatever its kind: under load inotify's events for one
    // short-lived file can arrive merged, the create folded into a modify or a remove (seen in a full run).
    const seen = new Set<string>();
    const watching = (async () => {
      for await (const event of watcher) {
        for (const path of event.paths) if (path.includes(".tmp-")) seen.add(relativePath(root, path));
      }
    })();
    await backend.put({ kind: "data", name }, seededBytes("where", 100));
    await backend.put({ kind: "snapshots", name: seededName("snap") }, seededBytes("snap", 10));
    const writer = backend.openWriter("data");
    writer.write(seededBytes("through", 100));
    await writer.commit(`ab${seededName("through").slice(2)}`);
    // Let the events arrive: under load inotify's can take longer than a fixed pause (seen in CI). Then
    // wait as long again, so that a fourth, unexpected one would still be seen.
    for (let waited = 0; seen.size < 3 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    watcher.close();
    await watching;
    const created = [...seen];
    assert.equal(created.length, 3, `temporary files seen: ${created.join(", ")}`);
    for (const path of created) assert.match(path, /^(data|snapshots)\/\.tmp-[0-9a-f]+$/);
    assert.deepEqual((await walk(root)).filter((path) => path.includes(".tmp-")), []);
  });
});

Deno.test("a writer whose temporary file another process's clean-up removed fails its commit and says so", async () => {
  await inBothLinkModes(async ({ backend, root }) => {
    const writer = backend.openWriter("data");
    writer.write(seededBytes("suspended", 100));
    // As if this writer slept for more than a day and another backup cleaned up meanwhile.
    assert.equal((await backend.cleanTemporaryFiles(0)).removed.length, 1);
    const name = `cd${seededName("suspended").slice(2)}`;
    await assert.rejects(writer.commit(name), /temporary file was removed while it was being written/);
    assert.deepEqual(await walk(join(root, "data")), [], "no file and no data/cd/ folder");
  });
});

Deno.test("`cleanTemporaryFiles()` reports a folder it cannot read as a rejected promise", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    Deno.removeSync(join(root, "locks"), { recursive: true });
    Deno.writeTextFileSync(join(root, "locks"), "not a folder\n");
    const cleaning = backend.cleanTemporaryFiles(0); // must not throw here
    await assert.rejects(cleaning, /Cannot clean temporary files in ".*locks"/);
  } finally {
    await cleanup();
  }
});

Deno.test("A writer killed with SIGKILL mid-put never leaves a partial file under its final name", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    const stored = new Set<string>();
    for (const [round, delay] of [300, 340, 380, 420].entries()) {
      for (const name of await putUntilKilled(root, `round${round}`, delay)) stored.add(name);
    }
    const listed = await collect(backend.list("data"));
    assert.ok(stored.size >= 3, `only ${stored.size} files were stored before the kills`);
    for (const name of stored) {
      assert.ok(listed.some((entry) => entry.name === name), `${name} was reported stored`);
    }
    // At most the one file in flight per round may have been linked without being reported.
    assert.ok(listed.length <= stored.size + 4, `${listed.length} listed, ${stored.size} reported`);
    for (const entry of listed) {
      const expected = contentForName(entry.name);
      assert.equal(
        entry.size,
        expected.length,
        `${entry.name} is partial: ${entry.size} of ${expected.length} bytes`,
      );
      const content = await backend.get({ kind: "data", name: entry.name });
      assert.ok(equalBytes(content, expected), `${entry.name} has the wrong content`);
    }

    const leftovers = (await walk(root)).filter((path) => path.split("/").at(-1)!.startsWith(".tmp-"));
    // Only in the kind folder, so that finding them never lists the 256 pack folders.
    for (const path of leftovers) assert.match(path, /^data\/\.tmp-[0-9a-f]+$/);
    const { removed } = await backend.cleanTemporaryFiles(0);
    assert.deepEqual(removed.sort(), leftovers);
    assert.deepEqual((await walk(root)).filter((path) => path.includes(".tmp-")), []);
    assert.deepEqual(sortEntries(await collect(backend.list("data"))), sortEntries(listed));
  } finally {
    await cleanup();
  }
});

/**
 * Runs tests/backends/_put_forever.ts against `root`, kills it with SIGKILL `delayMs` after it is
 * ready, and returns the names it reported as stored.
 */
async function putUntilKilled(root: string, prefix: string, delayMs: number): Promise<string[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(HERE, "_put_forever.ts"), root, prefix],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stored: string[] = [];
  const { promise: ready, resolve: markReady } = Promise.withResolvers<void>();
  const reading = (async () => {
    let buffered = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += text;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === "ready") markReady();
        if (line.startsWith("stored ")) stored.push(line.slice(7));
      }
    }
  })();
  const stderr = new Response(child.stderr).text();
  // Stop waiting for "ready" if the writer dies first; the status check below then reports why.
  child.status.then(() => markReady());
  await ready;
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone: the status check below fails with its stderr.
  }
  const status = await child.status;
  await reading;
  assert.equal(status.signal, "SIGKILL", `the writer ended on its own: ${await stderr}`);
  await stderr;
  return stored;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

Deno.test("`LocalBackend.openWriter()` stores what was written under the name given at commit, like put", async () => {
  await inBothLinkModes(async ({ backend, root }) => {
    const name = `cd${seededName("writer").slice(2)}`;
    const writer = backend.openWriter("data");
    const parts = [
      seededBytes("w1", 1000),
      seededBytes("w2", 70_000),
      new Uint8Array(0),
      seededBytes("w3", 5),
    ];
    for (const part of parts) writer.write(part);
    // Before the commit only a temporary file exists, which list() does not show.
    assert.deepEqual(await collect(backend.list("data")), []);
    await writer.commit(name);
    const expected = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) expected.set(part, (at += part.length) - part.length);
    assert.ok(equalBytes(await backend.get({ kind: "data", name }), expected));
    assert.equal((await Deno.stat(join(root, `data/cd/${name}`))).mode! & 0o777, 0o600);
    assert.deepEqual((await walk(root)).filter((path) => path.startsWith("data")), [
      "data",
      "data/cd",
      `data/cd/${name}`,
    ]);
    // Never replaces: a second file of the same name fails and leaves the first as it was.
    const again = backend.openWriter("data");
    again.write(seededBytes("other", 10));
    await assert.rejects(again.commit(name), /already exists/);
    assert.ok(equalBytes(await backend.get({ kind: "data", name }), expected));
    assert.deepEqual((await walk(root)).filter((path) => path.startsWith("data")).length, 3);
  });
});

Deno.test("`LocalBackend.openWriter()`: abort leaves nothing, and an unfinished writer only a temporary file", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    const aborted = backend.openWriter("data");
    aborted.write(seededBytes("gone", 100));
    await aborted.abort();
    assert.deepEqual(await walk(join(root, "data")), []);
    const unfinished = backend.openWriter("data"); // as if the process were killed now
    unfinished.write(seededBytes("left", 100));
    const left = await walk(join(root, "data"));
    assert.equal(left.length, 1);
    assert.match(left[0]!, /^\.tmp-/);
    assert.deepEqual((await backend.cleanTemporaryFiles(0)).removed, [`data/${left[0]}`]);
    await unfinished.abort();
  } finally {
    await cleanup();
  }
});

Deno.test("`LocalBackend.openWriter()` where it cannot create its file throws a BackendError naming the folder", async () => {
  const { backend, root, cleanup } = await tempRepository();
  try {
    // A regular file where the data folder should be: no file can be made in it, even by root.
    await Deno.remove(join(root, "data"), { recursive: true });
    await Deno.writeTextFile(join(root, "data"), "not a folder");
    assert.throws(
      () => backend.openWriter("data"),
      (error) => error instanceof BackendError && error.message.includes(join(root, "data")),
    );
  } finally {
    await cleanup();
  }
});
