// The state file: created private, migrated from empty, one-line errors for damaged and newer files.

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION, StateFile, StateFileError } from "../../lib/state/mod.ts";
import { MIGRATIONS } from "../../lib/state/_schema.ts";
import { UserError } from "../../lib/errors.ts";

async function tempPath(): Promise<string> {
  return `${await Deno.makeTempDir({ prefix: "kept-state-" })}/nested/state.db`;
}

const NOW = new Date("2026-12-05T02:15:00Z");

Deno.test("StateFile.open() creates the file with mode 0600, in WAL mode, at the current schema version", async () => {
  const path = await tempPath();
  StateFile.open(path).close();
  assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
  const db = new DatabaseSync(path);
  assert.equal(db.prepare("PRAGMA user_version").get()!.user_version, SCHEMA_VERSION);
  assert.equal(db.prepare("PRAGMA journal_mode").get()!.journal_mode, "wal");
  db.close();
});

Deno.test("StateFile.open() migrates an empty file (zero bytes) to the current schema", async () => {
  const path = await tempPath();
  await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
  await Deno.writeFile(path, new Uint8Array());
  using state = StateFile.open(path);
  assert.deepEqual(state.lastSuccesses(), []);
});

Deno.test("StateFile records runs, the last success of a backup, fingerprints and snapshot caches", async () => {
  const path = await tempPath();
  {
    using state = StateFile.open(path);
    const id = state.startRun({ plan: "web", destination: "nas", action: "backup" }, NOW);
    state.endRun(id, {
      result: "success",
      snapshot: "abc",
      snapshotTime: "2026-12-05T02:15:00.000Z",
      stats: { files: 3 },
    }, new Date("2026-12-05T02:16:00Z"));
    const failed = state.startRun({ plan: "web", destination: "usb", action: "backup" }, NOW);
    state.endRun(failed, { result: "failure", error: "Disk full" }, NOW);
    state.recordFingerprint({
      plan: "web",
      destination: "nas",
      fingerprint: "f1",
      settings: { sources: ["/a"] },
    }, NOW);
    state.cacheSnapshots(
      "nas",
      [{ id: "abc", time: "t", plan: "web", host: "h", tags: [], paths: ["/a"] }],
      NOW,
    );
  }
  using state = StateFile.open(path, { readOnly: true });
  assert.deepEqual(state.lastSuccesses(), [
    { plan: "web", destination: "nas", time: "2026-12-05T02:15:00.000Z", snapshot: "abc" },
  ]);
  const runs = state.runs();
  assert.equal(runs.length, 2);
  assert.deepEqual(runs.find((run) => run.destination === "nas")!.stats, { files: 3 });
  assert.equal(runs.find((run) => run.destination === "usb")!.error, "Disk full");
  assert.deepEqual(state.fingerprints()[0]!.settings, { sources: ["/a"] });
  assert.equal(state.cachedSnapshots("nas")!.snapshots.length, 1);
  assert.equal(state.cachedSnapshots("usb"), undefined);
});

Deno.test("StateFile.open() read-only on a missing file creates nothing and reads as empty", async () => {
  const path = await tempPath();
  using state = StateFile.open(path, { readOnly: true });
  assert.deepEqual(state.runs(), []);
  assert.equal(state.path, undefined);
  assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
});

Deno.test("StateFile.open() on a damaged file is a one-line error that says to delete it", async () => {
  const path = await tempPath();
  await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
  await Deno.writeTextFile(
    path,
    "this is not SQLite at all, but it is long enough to look like a header".repeat(20),
  );
  assert.throws(
    () => StateFile.open(path),
    (error: unknown) =>
      error instanceof UserError && !error.message.includes("\n") &&
      /^Cannot use state file ".*state\.db": it is damaged or not a state file \(delete it/.test(
        error.message,
      ),
  );
});

Deno.test("StateFile.open() on a file of a newer kept is a one-line error that says how to recover", async () => {
  const path = await tempPath();
  StateFile.open(path).close();
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  for (const readOnly of [false, true]) {
    assert.throws(
      () => StateFile.open(path, { readOnly }),
      (error: unknown) =>
        error instanceof UserError && !error.message.includes("\n") &&
        error.message.includes(`schema version ${SCHEMA_VERSION + 1} from a newer kept`) &&
        error.message.includes("delete it"),
    );
  }
});

Deno.test("StateFile migrates a version 1 file: its runs stay, and runs gain a hook log", async () => {
  const path = await tempPath();
  await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(MIGRATIONS[0]!);
  db.exec("PRAGMA user_version = 1");
  db.exec(
    "INSERT INTO runs (plan, destination, action, started) VALUES ('web', 'nas', 'backup', '2026-12-01T03:00:00.000Z')",
  );
  db.close();
  using state = StateFile.open(path);
  const id = state.startRun({ plan: "web", destination: "nas", action: "backup" }, NOW);
  state.endRun(id, { result: "failure", error: "x", log: "before $ false\n" }, NOW);
  const runs = state.runs();
  assert.equal(runs.length, 2);
  assert.equal(runs.find((run) => run.id === id)!.log, "before $ false\n");
  assert.equal(runs.find((run) => run.id !== id)!.log, null);
});

Deno.test("StateFile.closeUnfinishedRuns() ends the runs of a killed kept as interrupted", async () => {
  using state = StateFile.open(await tempPath());
  const killed = state.startRun({ plan: "web", destination: "nas", action: "backup" }, NOW);
  const finished = state.startRun({ plan: "web", destination: "usb", action: "backup" }, NOW);
  state.endRun(finished, { result: "success", snapshot: "s" }, NOW);
  assert.equal(state.closeUnfinishedRuns(new Date("2026-12-05T03:00:00Z")), 1);
  const runs = state.runs();
  assert.equal(runs.find((run) => run.id === killed)!.result, "interrupted");
  assert.equal(runs.find((run) => run.id === killed)!.ended, "2026-12-05T03:00:00.000Z");
  assert.equal(runs.find((run) => run.id === finished)!.result, "success");
  assert.equal(state.closeUnfinishedRuns(NOW), 0);
});

/** A state file at `path` with rows in every table, some pages long. */
function filledState(path: string): void {
  using state = StateFile.open(path);
  for (let i = 0; i < 40; i++) {
    const id = state.startRun({ plan: `plan-${i}`, destination: "nas", action: "backup" }, NOW);
    state.endRun(
      id,
      { result: "success", snapshot: `s${i}`, stats: { files: i, note: "x".repeat(200) } },
      NOW,
    );
    state.recordFingerprint(
      { plan: `plan-${i}`, destination: "nas", fingerprint: `f${i}`, settings: { sources: ["/a"] } },
      NOW,
    );
  }
  state.cacheSnapshots(
    "nas",
    [{ id: "abc", time: "t", plan: "web", host: "h", tags: [], paths: ["/a"] }],
    NOW,
  );
}

const isDamaged = (path: string) => (error: unknown) =>
  error instanceof StateFileError && error.path === path && !error.message.includes("\n") &&
  error.message.startsWith(`Cannot use state file "${path}": it is damaged or not a state file (delete it`);

Deno.test("StateFile.open() refuses a file with any one page damaged, in one line, before reading or writing", async () => {
  const path = await tempPath();
  filledState(path);
  const good = Deno.readFileSync(path);
  const pages = good.length / 4096;
  assert.ok(pages >= 8, `${pages} pages`);
  for (let page = 0; page < pages; page++) {
    const damaged = good.slice();
    damaged.fill(0xab, page * 4096, (page + 1) * 4096);
    Deno.writeFileSync(path, damaged);
    for (const readOnly of [true, false]) {
      assert.throws(() => StateFile.open(path, { readOnly }), isDamaged(path), `page ${page + 1}`);
      assert.deepEqual(Deno.readFileSync(path), damaged, `page ${page + 1} left as it was`);
    }
  }
});

Deno.test("StateFile: a stored time that is not a time is a damaged file, in one line", async () => {
  const path = await tempPath();
  filledState(path);
  const other = new DatabaseSync(path);
  other.exec("UPDATE last_success SET time = 'not-a-time' WHERE plan = 'plan-3'");
  other.exec("UPDATE runs SET started = '2026-13-45T99:00:00Z' WHERE snapshot = 's7'");
  other.exec("UPDATE fingerprints SET recorded = '' WHERE plan = 'plan-5'");
  other.exec("UPDATE snapshot_cache SET listed = 'yesterday'");
  other.close();
  using state = StateFile.open(path, { readOnly: true });
  for (const read of [() => state.lastSuccesses(), () => state.runs(), () => state.fingerprints()]) {
    assert.throws(read, isDamaged(path));
  }
  assert.throws(() => state.cachedSnapshots("nas"), isDamaged(path));
});

Deno.test("StateFile: a stored value that is not JSON is a damaged file, in one line", async () => {
  const path = await tempPath();
  filledState(path);
  // Garbage in a row: SQLite's page checks cannot tell it from a good one.
  const other = new DatabaseSync(path);
  other.exec("UPDATE fingerprints SET settings = '{not json' WHERE plan = 'plan-3'");
  other.exec("UPDATE runs SET stats = '[' WHERE snapshot = 's7'");
  other.close();
  using writer = StateFile.open(path);
  assert.throws(() => writer.fingerprints(), isDamaged(path));
  assert.equal(writer.lastSuccesses().length, 40, "what is whole can still be read");
  writer.close();
  using reader = StateFile.open(path, { readOnly: true });
  assert.throws(() => reader.runs(), isDamaged(path));
});

Deno.test("StateFile.open() of a path below a regular file names that file in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kept-state-" });
  Deno.writeTextFileSync(`${dir}/pass`, "");
  for (const path of [`${dir}/pass/state.db`, `${dir}/pass/deeper/state.db`]) {
    for (const readOnly of [true, false]) {
      assert.throws(
        () => StateFile.open(path, { readOnly }),
        (error: unknown) =>
          error instanceof StateFileError && error.path === path &&
          error.message ===
            `Cannot ${readOnly ? "use" : "create"} state file "${path}": "${dir}/pass" is not a folder`,
      );
    }
  }
});

Deno.test({
  name: "StateFile.endRun() on a full disk throws one line naming the file, and records nothing of the end",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kept-state-full-" });
    const mount = (args: string[]) => new Deno.Command("mount", { args }).outputSync();
    assert.ok(mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).success, "mount a tmpfs");
    try {
      const path = `${dir}/state.db`;
      {
        using state = StateFile.open(path);
        const id = state.startRun({ plan: "web", destination: "nas", action: "backup" }, NOW);
        const filler = Deno.openSync(`${dir}/filler`, { write: true, create: true });
        assert.throws(() => {
          for (;;) filler.writeSync(new Uint8Array(4096));
        }, /No space left on device/);
        filler.close();
        // Large enough that its pages cannot fit in what the write-ahead log already holds.
        const end = { result: "success", snapshot: "s", stats: { note: "x".repeat(200_000) } } as const;
        assert.throws(
          () => state.endRun(id, end, NOW),
          (error: unknown) =>
            error instanceof StateFileError &&
            error.message ===
              `Cannot use state file "${path}": its disk is full (free some space, then run kept again)`,
        );
        Deno.removeSync(`${dir}/filler`);
        // The run and the last success are written together or not at all; the file still works.
        assert.deepEqual(state.runs().map((run) => [run.id, run.result]), [[id, null]]);
        assert.deepEqual(state.lastSuccesses(), []);
        state.endRun(id, { result: "success", snapshot: "s" }, NOW);
        assert.equal(state.lastSuccesses().length, 1);
      }
    } finally {
      new Deno.Command("umount", { args: [dir] }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
