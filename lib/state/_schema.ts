/**
 * The state file's tables and the migrations that build them, one per schema version
 * (docs/reconcile.md#the-state-file). `PRAGMA user_version` holds the version a file is at.
 *
 * @module
 */

/** Migration `i` brings a file from version `i` to version `i + 1`. Append only: never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    plan TEXT NOT NULL,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    started TEXT NOT NULL,
    ended TEXT,
    result TEXT,
    snapshot TEXT,
    stats TEXT,
    error TEXT
  );
  CREATE INDEX runs_by_pair ON runs (plan, destination, started);
  CREATE TABLE last_success (
    plan TEXT NOT NULL,
    destination TEXT NOT NULL,
    time TEXT NOT NULL,
    snapshot TEXT,
    PRIMARY KEY (plan, destination)
  );
  CREATE TABLE fingerprints (
    plan TEXT NOT NULL,
    destination TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    settings TEXT NOT NULL,
    recorded TEXT NOT NULL,
    PRIMARY KEY (plan, destination)
  );
  CREATE TABLE snapshot_cache (
    destination TEXT PRIMARY KEY,
    listed TEXT NOT NULL,
    snapshots TEXT NOT NULL
  );
  `,
  // Version 2: what the hooks of a run printed (docs/reconcile.md#hooks).
  `
  ALTER TABLE runs ADD COLUMN log TEXT;
  `,
];

/** The schema version this kept writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
