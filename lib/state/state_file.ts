/**
 * The state file: a journal of runs and a cache of what the destinations hold, in one SQLite file
 * (`node:sqlite`, WAL, mode 0600). It is never the only copy of anything: deleting it loses nothing, and
 * kept rebuilds what it needs from the destinations (docs/reconcile.md#the-state-file).
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { UserError } from "../errors.ts";
import { fileProblem, placeProblem } from "./_file_problem.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./_schema.ts";

/** How a run ended; a run without a result is still going, or was killed. */
export type RunResult = "success" | "failure" | "interrupted";

/** One run of an action on a plan × destination, as the journal records it. */
export interface RunRecord {
  readonly id: number;
  readonly plan: string;
  readonly destination: string;
  readonly action: string;
  /** RFC 3339. */
  readonly started: string;
  readonly ended: string | null;
  readonly result: RunResult | null;
  readonly snapshot: string | null;
  readonly stats: unknown;
  readonly error: string | null;
  /** What the run's hooks printed, if any ran. */
  readonly log: string | null;
}

/** How a run ended, as {@link StateFile.endRun} records it. */
export interface RunEnd {
  readonly result: RunResult;
  readonly snapshot?: string | undefined;
  /** The snapshot's own time (RFC 3339), recorded as the last success. */
  readonly snapshotTime?: string | undefined;
  readonly stats?: unknown;
  readonly error?: string | undefined;
  /** What the run's hooks printed. */
  readonly log?: string | undefined;
}

/** The newest successful backup of a plan at a destination. */
export interface LastSuccess {
  readonly plan: string;
  readonly destination: string;
  /** RFC 3339. */
  readonly time: string;
  readonly snapshot: string | null;
}

/** The fingerprint of a plan's effective settings when it last backed up to a destination. */
export interface SettingsFingerprint {
  readonly plan: string;
  readonly destination: string;
  readonly fingerprint: string;
  /** The settings the fingerprint was taken of, so that a change can be named. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly recorded: string;
}

/** A snapshot as the cache keeps it: what reconcile needs, no secrets. */
export interface CachedSnapshot {
  readonly id: string;
  readonly time: string;
  readonly plan: string;
  readonly host: string;
  readonly tags: readonly string[];
  readonly paths: readonly string[];
}

/** A destination's snapshot list as last seen. */
export interface SnapshotCache {
  readonly destination: string;
  /** When the list was read (RFC 3339). */
  readonly listed: string;
  readonly snapshots: readonly CachedSnapshot[];
}

/** Options of {@link StateFile.open}. */
export interface OpenStateOptions {
  /** Open without writing: a missing file is opened as an empty, in-memory state instead of created. */
  readonly readOnly?: boolean;
}

const RECOVER = "delete it: it is a cache, and kept rebuilds it from the destinations";

/**
 * A state file kept cannot use: damaged or not a state file, of a newer kept, misplaced, unreadable,
 * locked, read-only or on a full disk. Its message names the file and, where there is one, the remedy.
 */
export class StateFileError extends UserError {
  /** The state file's path. */
  readonly path: string;

  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "StateFileError";
    this.path = path;
  }
}

/** The state file, open. Close it (or `using` it) when done. */
export class StateFile {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** Where the file is; undefined for the empty state of a read-only open of a missing file. */
  readonly path: string | undefined;

  private constructor(db: DatabaseSync, path: string | undefined) {
    this.#db = db;
    this.path = path;
  }

  /**
   * Opens the state file at `path`, creating it (mode 0600, and its folder) and migrating it to the
   * current schema version.
   *
   * The whole file is checked (SQLite's `quick_check`, which reads every page) before anything is read
   * from it or written to it, so that a damaged file stops a command before it does anything.
   *
   * @throws {StateFileError} in one line when the file is damaged, not a state file, of a newer kept, in a
   * place that cannot hold it (below a file), locked or unreadable, saying how to recover.
   */
  static open(path: string, options: OpenStateOptions = {}): StateFile {
    const readOnly = options.readOnly ?? false;
    if (readOnly && !exists(path)) return StateFile.#empty();
    if (!readOnly) createPrivate(path);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(readOnly ? readerLocation(path) : path, { readOnly, timeout: 5000 });
      const version = userVersion(db);
      assertWhole(db);
      if (version > SCHEMA_VERSION) {
        throw new StateFileError(
          path,
          `Cannot use state file "${path}": it has schema version ${version} from a newer kept, ` +
            `this one knows ${SCHEMA_VERSION} (upgrade kept, or ${RECOVER})`,
        );
      }
      if (!readOnly) {
        db.exec("PRAGMA journal_mode = WAL");
        migrate(db, version);
      } else if (version < SCHEMA_VERSION) {
        db.close();
        return StateFile.#empty();
      }
      return new StateFile(db, path);
    } catch (error) {
      db?.close();
      throw stateFileError(path, error);
    }
  }

  /** An empty, current state that lives in memory: what a missing file means to a reader. */
  static #empty(): StateFile {
    const db = new DatabaseSync(":memory:");
    migrate(db, 0);
    return new StateFile(db, undefined);
  }

  /**
   * Runs `work` on the file, turning what SQLite throws (a damaged page, a full disk, a lock) into a
   * one-line {@link StateFileError}; other errors are bugs and keep their stack.
   */
  #use<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      // The in-memory state of a missing file has no path to name: anything it throws is a bug.
      if (this.path === undefined) throw error;
      throw stateFileError(this.path, error);
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Records that a run starts at `now` and returns its id. */
  startRun(run: { plan: string; destination: string; action: string }, now: Date): number {
    return this.#use(() => {
      const result = this.#statement(
        "INSERT INTO runs (plan, destination, action, started) VALUES (?, ?, ?, ?)",
      ).run(run.plan, run.destination, run.action, now.toISOString());
      return Number(result.lastInsertRowid);
    });
  }

  /**
   * Records how run `id` ended at `now`; a successful backup also becomes the last success of its plan ×
   * destination (with the snapshot's own time, when given).
   */
  endRun(id: number, end: RunEnd, now: Date): void {
    const ended = now.toISOString();
    this.#use(() =>
      inTransaction(this.#db, () => {
        this.#statement(
          "UPDATE runs SET ended = ?, result = ?, snapshot = ?, stats = ?, error = ?, log = ? WHERE id = ?",
        ).run(
          ended,
          end.result,
          end.snapshot ?? null,
          end.stats === undefined ? null : JSON.stringify(end.stats),
          end.error ?? null,
          end.log ?? null,
          id,
        );
        const run = this.#statement("SELECT plan, destination, action FROM runs WHERE id = ?").get(id);
        if (end.result !== "success" || run?.action !== "backup") return;
        this.#statement(
          "INSERT INTO last_success (plan, destination, time, snapshot) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (plan, destination) DO UPDATE SET time = excluded.time, snapshot = excluded.snapshot",
        ).run(String(run.plan), String(run.destination), end.snapshotTime ?? ended, end.snapshot ?? null);
      })
    );
  }

  /** The newest runs first, at most `limit`. */
  runs(limit = 50): RunRecord[] {
    return this.#use(() =>
      this.#statement("SELECT * FROM runs ORDER BY started DESC, id DESC LIMIT ?").all(limit).map((row) => ({
        id: Number(row.id),
        plan: String(row.plan),
        destination: String(row.destination),
        action: String(row.action),
        started: storedTime(row.started),
        ended: row.ended === null ? null : storedTime(row.ended),
        result: nullableText(row.result) as RunResult | null,
        snapshot: nullableText(row.snapshot),
        stats: row.stats === null ? null : JSON.parse(String(row.stats)),
        error: nullableText(row.error),
        log: nullableText(row.log),
      }))
    );
  }

  /**
   * Ends every run that has no result as interrupted at `now`: runs of a kept that was killed (SIGKILL,
   * power loss). Call it only while no other kept writes runs (under the apply lock). Returns how many.
   */
  closeUnfinishedRuns(now: Date): number {
    return this.#use(() => {
      const result = this.#statement(
        "UPDATE runs SET ended = ?, result = 'interrupted', " +
          "error = 'kept stopped before recording an end (killed, or the machine went down)' " +
          "WHERE result IS NULL",
      ).run(now.toISOString());
      return Number(result.changes);
    });
  }

  /** Every last success, sorted by plan and destination. */
  lastSuccesses(): LastSuccess[] {
    return this.#use(() =>
      this.#statement("SELECT * FROM last_success ORDER BY plan, destination").all().map((row) => ({
        plan: String(row.plan),
        destination: String(row.destination),
        time: storedTime(row.time),
        snapshot: nullableText(row.snapshot),
      }))
    );
  }

  /** Records the fingerprint of a plan's settings at a destination (after a successful backup). */
  recordFingerprint(
    entry: { plan: string; destination: string; fingerprint: string; settings: Record<string, unknown> },
    now: Date,
  ): void {
    this.#use(() =>
      this.#statement(
        "INSERT INTO fingerprints (plan, destination, fingerprint, settings, recorded) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (plan, destination) DO UPDATE SET fingerprint = excluded.fingerprint, " +
          "settings = excluded.settings, recorded = excluded.recorded",
      ).run(
        entry.plan,
        entry.destination,
        entry.fingerprint,
        JSON.stringify(entry.settings),
        now.toISOString(),
      )
    );
  }

  /** Every recorded fingerprint, sorted by plan and destination. */
  fingerprints(): SettingsFingerprint[] {
    return this.#use(() =>
      this.#statement("SELECT * FROM fingerprints ORDER BY plan, destination").all().map((row) => ({
        plan: String(row.plan),
        destination: String(row.destination),
        fingerprint: String(row.fingerprint),
        settings: JSON.parse(String(row.settings)),
        recorded: storedTime(row.recorded),
      }))
    );
  }

  /** Replaces the cached snapshot list of `destination` with one read at `now`. */
  cacheSnapshots(destination: string, snapshots: readonly CachedSnapshot[], now: Date): void {
    this.#use(() =>
      this.#statement(
        "INSERT INTO snapshot_cache (destination, listed, snapshots) VALUES (?, ?, ?) " +
          "ON CONFLICT (destination) DO UPDATE SET listed = excluded.listed, snapshots = excluded.snapshots",
      ).run(destination, now.toISOString(), JSON.stringify(snapshots))
    );
  }

  /** The cached snapshot list of `destination`, if it was ever listed. */
  cachedSnapshots(destination: string): SnapshotCache | undefined {
    return this.#use(() => {
      const row = this.#statement("SELECT * FROM snapshot_cache WHERE destination = ?").get(destination);
      if (!row) return undefined;
      return { destination, listed: storedTime(row.listed), snapshots: JSON.parse(String(row.snapshots)) };
    });
  }

  /** Closes the file. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the file. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Brings a file from `version` to {@link SCHEMA_VERSION}, each step in its own transaction. */
function migrate(db: DatabaseSync, version: number): void {
  for (let step = version; step < SCHEMA_VERSION; step++) {
    inTransaction(db, () => {
      db.exec(MIGRATIONS[step]!);
      db.exec(`PRAGMA user_version = ${step + 1}`);
    });
  }
}

/**
 * Runs `work` in one write transaction: all of it is written, or none. SQLite itself rolls a transaction
 * back on some errors (a full disk, an I/O error): then there is nothing left to roll back, and the error
 * that ended it is the one to report.
 */
function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    work();
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // What ended the transaction is what went wrong; closing the connection rolls it back anyway.
      }
    }
    throw error;
  }
}

/**
 * Reads every page (SQLite's `quick_check`: the structure of each b-tree, not whether indexes match their
 * tables), so that a damaged file is refused when opened rather than on the query that meets the damage.
 */
function assertWhole(db: DatabaseSync): void {
  const rows = db.prepare("PRAGMA quick_check").all();
  if (rows.length !== 1 || rows[0]?.quick_check !== "ok") throw new DamagedFile();
}

/** `quick_check` found damage. */
class DamagedFile extends Error {
  constructor() {
    super("database disk image is malformed");
    this.name = "DamagedFile";
  }
}

/**
 * Where a reader opens the file. With no `-wal` file beside it no kept is writing it, and it is opened
 * immutable: SQLite then creates nothing (no `-wal`, no `-shm`), so `kept plan` and `kept state` leave
 * the folder byte-identical. While a writer works, the reader goes through the WAL like any reader.
 */
function readerLocation(path: string): string | URL {
  if (exists(`${path}-wal`)) return path;
  const url = pathToFileURL(path);
  url.search = "?immutable=1";
  return url;
}

function userVersion(db: DatabaseSync): number {
  return Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
}

/** Creates the file (and its folder) with mode 0600 before SQLite opens it, so it is never readable by others. */
function createPrivate(path: string): void {
  try {
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    Deno.openSync(path, { create: true, append: true, mode: 0o600 }).close();
  } catch (error) {
    throw new StateFileError(path, `Cannot create state file "${path}": ${fileProblem(path, error)}`, {
      cause: error,
    });
  }
}

/**
 * Whether there is a file at `path`. Throws a {@link StateFileError} when that cannot be told: a file
 * stands where one of its folders should be, or a folder cannot be searched.
 */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new StateFileError(path, `Cannot use state file "${path}": ${fileProblem(path, error)}`, {
      cause: error,
    });
  }
}

/** SQLite's primary result codes that say something about the file or its disk (sqlite.org/rescode.html). */
const SQLITE = {
  error: 1,
  perm: 3,
  busy: 5,
  locked: 6,
  readOnly: 8,
  ioErr: 10,
  corrupt: 11,
  full: 13,
  cantOpen: 14,
  notADb: 26,
} as const;

/**
 * The one-line error for what opening or using the state file at `path` threw: SQLite's errors and the
 * file system's say what is wrong with the file; anything else is a bug and is returned as it is.
 */
function stateFileError(path: string, error: unknown): unknown {
  if (error instanceof UserError) return error;
  const fail = (reason: string) =>
    new StateFileError(path, `Cannot use state file "${path}": ${reason}`, { cause: error });
  // A stored value that does not parse is damage that SQLite's page checks do not see.
  if (error instanceof DamagedFile || error instanceof SyntaxError) {
    return fail(`it is damaged or not a state file (${RECOVER})`);
  }
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const said = (error as Error).message.split("\n")[0]!;
  if (code === SQLITE.perm || code === SQLITE.cantOpen || code === SQLITE.ioErr) {
    // A folder in the file's place, or no permission, reaches SQLite as an I/O error: say what it is.
    const problem = placeProblem(path);
    if (problem !== undefined) return fail(problem);
  }
  // "no such table", "table runs already exists": someone else's SQLite file. Other plain errors are ours.
  if (code === SQLITE.error && !/no such (table|column)|already exists/.test(said)) return error;
  switch (code) {
    case SQLITE.error:
    case SQLITE.corrupt:
    case SQLITE.notADb:
      return fail(`it is damaged or not a state file (${RECOVER})`);
    case SQLITE.full:
      return fail("its disk is full (free some space, then run kept again)");
    case SQLITE.readOnly:
      return new StateFileError(path, `Cannot write state file "${path}": ${said}`, { cause: error });
    case SQLITE.ioErr:
      return fail(`it cannot be read or written (${said})`);
    case SQLITE.busy:
    case SQLITE.locked:
      return fail(`it is locked by another process (${said})`);
    default:
      return fail(said);
  }
}

/** SQLite's extended result code for "could not grow the shared-memory file". */
const SQLITE_IOERR_SHMSIZE = 4874;

/** SQLite's own words for its result codes (`sqlite3_errstr`), for errors that come without a code. */
const SQLITE_WORDS: readonly (readonly [RegExp, number])[] = [
  [/access permission denied/, SQLITE.perm],
  [/database is locked/, SQLITE.busy],
  [/database table is locked/, SQLITE.locked],
  [/attempt to write a readonly database/, SQLITE.readOnly],
  [/disk I\/O error/, SQLITE.ioErr],
  [/database disk image is malformed/, SQLITE.corrupt],
  [/database or disk is full/, SQLITE.full],
  [/unable to open database file/, SQLITE.cantOpen],
  [/file is not a database/, SQLITE.notADb],
];

/** SQLite's primary result code of `error`, -1 when it is not known, undefined when SQLite did not throw it. */
function sqliteCode(error: unknown): number | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== "ERR_SQLITE_ERROR") {
    return undefined;
  }
  const code = (error as { errcode?: unknown }).errcode;
  // The `-wal` file's index (`-shm`) could not grow: SQLite says "disk I/O error", the disk is full.
  if (code === SQLITE_IOERR_SHMSIZE) return SQLITE.full;
  // node:sqlite gives the extended code (SQLITE_IOERR_WRITE is 778): its low byte is the primary code.
  if (typeof code === "number") return code & 0xff;
  // A statement run by `exec()` (COMMIT, for one) fails with the message only.
  return SQLITE_WORDS.find(([words]) => words.test(error.message))?.[1] ?? -1;
}

/**
 * A time as kept stores it (RFC 3339). Anything else is damage SQLite's checks do not see: a SyntaxError,
 * which the caller reports as a damaged file, as a stored JSON value that does not parse.
 */
function storedTime(value: unknown): string {
  const text = String(value);
  if (
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) || Number.isNaN(Date.parse(text))
  ) {
    throw new SyntaxError(`not a time: ${JSON.stringify(text)}`);
  }
  return text;
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
