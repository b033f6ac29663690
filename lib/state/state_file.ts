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
   * @throws {UserError} in one line when the file is damaged, not a state file, of a newer kept, locked or
   * unreadable, saying how to recover.
   */
  static open(path: string, options: OpenStateOptions = {}): StateFile {
    const readOnly = options.readOnly ?? false;
    if (readOnly && !exists(path)) return StateFile.#empty();
    if (!readOnly) createPrivate(path);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(readOnly ? readerLocation(path) : path, { readOnly, timeout: 5000 });
      const version = userVersion(db);
      if (version > SCHEMA_VERSION) {
        throw new UserError(
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
      if (error instanceof UserError) throw error;
      throw new UserError(`Cannot use state file "${path}": ${sqliteReason(error)} (${RECOVER})`, {
        cause: error,
      });
    }
  }

  /** An empty, current state that lives in memory: what a missing file means to a reader. */
  static #empty(): StateFile {
    const db = new DatabaseSync(":memory:");
    migrate(db, 0);
    return new StateFile(db, undefined);
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
    const result = this.#statement(
      "INSERT INTO runs (plan, destination, action, started) VALUES (?, ?, ?, ?)",
    ).run(run.plan, run.destination, run.action, now.toISOString());
    return Number(result.lastInsertRowid);
  }

  /**
   * Records how run `id` ended at `now`; a successful backup also becomes the last success of its plan ×
   * destination (with the snapshot's own time, when given).
   */
  endRun(id: number, end: RunEnd, now: Date): void {
    const ended = now.toISOString();
    this.#transaction(() => {
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
    });
  }

  /** The newest runs first, at most `limit`. */
  runs(limit = 50): RunRecord[] {
    return this.#statement("SELECT * FROM runs ORDER BY started DESC, id DESC LIMIT ?").all(limit).map(
      (row) => ({
        id: Number(row.id),
        plan: String(row.plan),
        destination: String(row.destination),
        action: String(row.action),
        started: String(row.started),
        ended: nullableText(row.ended),
        result: nullableText(row.result) as RunResult | null,
        snapshot: nullableText(row.snapshot),
        stats: row.stats === null ? null : JSON.parse(String(row.stats)),
        error: nullableText(row.error),
        log: nullableText(row.log),
      }),
    );
  }

  /**
   * Ends every run that has no result as interrupted at `now`: runs of a kept that was killed (SIGKILL,
   * power loss). Call it only while no other kept writes runs (under the apply lock). Returns how many.
   */
  closeUnfinishedRuns(now: Date): number {
    const result = this.#statement(
      "UPDATE runs SET ended = ?, result = 'interrupted', " +
        "error = 'kept stopped before recording an end (killed, or the machine went down)' " +
        "WHERE result IS NULL",
    ).run(now.toISOString());
    return Number(result.changes);
  }

  /** Every last success, sorted by plan and destination. */
  lastSuccesses(): LastSuccess[] {
    return this.#statement("SELECT * FROM last_success ORDER BY plan, destination").all().map((row) => ({
      plan: String(row.plan),
      destination: String(row.destination),
      time: String(row.time),
      snapshot: nullableText(row.snapshot),
    }));
  }

  /** Records the fingerprint of a plan's settings at a destination (after a successful backup). */
  recordFingerprint(
    entry: { plan: string; destination: string; fingerprint: string; settings: Record<string, unknown> },
    now: Date,
  ): void {
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
    );
  }

  /** Every recorded fingerprint, sorted by plan and destination. */
  fingerprints(): SettingsFingerprint[] {
    return this.#statement("SELECT * FROM fingerprints ORDER BY plan, destination").all().map((row) => ({
      plan: String(row.plan),
      destination: String(row.destination),
      fingerprint: String(row.fingerprint),
      settings: JSON.parse(String(row.settings)),
      recorded: String(row.recorded),
    }));
  }

  /** Replaces the cached snapshot list of `destination` with one read at `now`. */
  cacheSnapshots(destination: string, snapshots: readonly CachedSnapshot[], now: Date): void {
    this.#statement(
      "INSERT INTO snapshot_cache (destination, listed, snapshots) VALUES (?, ?, ?) " +
        "ON CONFLICT (destination) DO UPDATE SET listed = excluded.listed, snapshots = excluded.snapshots",
    ).run(destination, now.toISOString(), JSON.stringify(snapshots));
  }

  /** The cached snapshot list of `destination`, if it was ever listed. */
  cachedSnapshots(destination: string): SnapshotCache | undefined {
    const row = this.#statement("SELECT * FROM snapshot_cache WHERE destination = ?").get(destination);
    if (!row) return undefined;
    return { destination, listed: String(row.listed), snapshots: JSON.parse(String(row.snapshots)) };
  }

  #transaction(work: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      work();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
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
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[step]!);
      db.exec(`PRAGMA user_version = ${step + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
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
    const reason = error instanceof Deno.errors.PermissionDenied ? "permission denied" : String(error);
    throw new UserError(`Cannot create state file "${path}": ${reason}`, { cause: error });
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function sqliteReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/not a database|malformed|file is not|disk image/i.test(message)) {
    return "it is damaged or not a state file";
  }
  if (/locked|busy/i.test(message)) return "it is locked by another process";
  if (/readonly|read-only|unable to open/i.test(message)) return `cannot open it: ${message.split("\n")[0]}`;
  return message.split("\n")[0]!;
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
