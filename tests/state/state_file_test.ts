// The state file: created private, migrated from empty, one-line errors for damaged and newer files.

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SCHEMA_VERSION, StateFile } from "../../lib/state/mod.ts";
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
  db.exec("INSERT INTO runs (plan, destination, action, started) VALUES ('web', 'nas', 'backup', 't')");
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
