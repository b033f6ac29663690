/**
 * Unlocking before the plan is read. Deriving the password's key (scrypt) takes a fifth of a second of a core
 * by design, and before it could start, Deno loaded kept's modules and kept read its plan and the key file,
 * about as long again on the main thread, with the other core idle. So a run that opened a repository
 * records, by its command line and working folder, which repository that was, a copy of the key file that
 * opened it and where its password came from: an environment variable's name or a password file's path,
 * never the password. The next run with the same command line starts the derivation from that copy first
 * thing (main.ts), on another core while the rest loads.
 *
 * Nothing in a record is trusted. The repository is opened with the keys derived early only when the plan
 * resolves to the same location and the same password, and, as for a key remembered by the cache, when
 * storage still holds that repository and that key file (`Repository.open`). A missing or damaged record,
 * a changed plan or password only cost that derivation on a core that was idle; the run then unlocks as it
 * always does. A password given by a command or typed at a prompt is not recorded (a command is not run
 * before the plan asks for it).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  closeSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { defaultCacheRoot, WARM_UNLOCK_FOLDER } from "../backends/cache_root.ts";
import { sha256Hex } from "../crypto/mod.ts";
import type { PasswordSource } from "../plan/mod.ts";
import { type MasterKeys, openKeyFile } from "../repo/keys.ts";
import type { EarlyUnlock } from "../repo/repository.ts";
import { openRegularSync, preadFullSync } from "../regular_file.ts";
import { readPasswordFile } from "../secrets.ts";

/** Where a recorded password comes from. */
type PasswordOrigin = { env: string } | { file: string };

/** What a run records about the first repository it opened. */
interface WarmRecord {
  /** The destination's location: the same text names the same storage. */
  location: string;
  repository: string;
  keyId: string;
  /** The key file's stored bytes. */
  keyFile: Uint8Array;
  password: PasswordOrigin;
}

/** Records kept: one per command line run in a folder; the oldest go first. */
const MAX_RECORDS = 64;

/** A record holds a key file (at most 64 KiB, docs/format.md#bounds) in base64, and little else. */
const RECORD_MAX_BYTES = 128 * 1024;

/** This run's record: set by {@link startWarmUnlock}, so that only the command line's runs keep records. */
let run: { path: string; found: WarmRecord | undefined; written: boolean } | undefined;

/** The derivation started from the record, until the first repository opened takes it. */
let pending: {
  record: WarmRecord;
  password: Promise<string | undefined>;
  keys: Promise<MasterKeys | undefined>;
} | undefined;

/**
 * Starts deriving the key of the repository that the same command line, run in the same folder, opened
 * last time. Never throws: without a usable record nothing starts.
 */
export function startWarmUnlock(
  args: readonly string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): void {
  try {
    const root = defaultCacheRoot(env);
    if (root === undefined) return;
    const path = join(root, WARM_UNLOCK_FOLDER, `${invocationId(args)}.json`);
    const found = readRecord(path);
    run = { path, found, written: false };
    if (found === undefined) return;
    const password = passwordOf(found.password, env);
    const keys = password.then((value) =>
      value ? openKeyFile(found.keyId, found.keyFile, found.repository, value) : undefined
    );
    pending = { record: found, password, keys };
  } catch {
    // No cache folder, no working folder: this run unlocks as it always does.
  }
}

/**
 * The keys being derived early, for the repository at `location` opened with `password`; undefined when
 * none were started for it. The first repository a run opens takes them (or leaves them) for good.
 */
export async function takeWarmUnlock(location: string, password: string): Promise<EarlyUnlock | undefined> {
  const taken = pending;
  pending = undefined;
  if (taken === undefined || taken.record.location !== location) return undefined;
  if ((await taken.password) !== password) return undefined;
  return { repository: taken.record.repository, keyId: taken.record.keyId, keys: taken.keys };
}

/** What {@link rememberWarmUnlock} needs of the repository a run opened. */
export interface OpenedRepository {
  location: string;
  repository: string;
  keyId: string;
  /** Reads the key file's stored bytes: only when the record changes. */
  keyFile: () => Promise<Uint8Array>;
}

/**
 * Records the first repository this run opened for the next run of the same command line (best effort:
 * a cache that cannot be written changes nothing). A password from a command or a prompt removes the record.
 */
export async function rememberWarmUnlock(
  opened: OpenedRepository,
  source: PasswordSource | undefined,
  password: string,
  env: (name: string) => string | undefined,
): Promise<void> {
  if (run === undefined || run.written) return;
  run.written = true;
  const { path, found } = run;
  try {
    const origin = passwordOrigin(source, password, env);
    if (origin === undefined) {
      if (found !== undefined) unlinkSync(path);
      return;
    }
    if (
      found?.location === opened.location && found.repository === opened.repository &&
      found.keyId === opened.keyId && sameOrigin(found.password, origin)
    ) {
      // Used: the records dropped first are those used longest ago.
      const now = new Date();
      utimesSync(path, now, now);
      return;
    }
    const keyFile = await opened.keyFile();
    if (sha256Hex(keyFile) !== opened.keyId) return;
    writeRecord(path, { ...opened, keyFile, password: origin });
  } catch {
    // Best effort, like the rest of the cache.
  }
}

/**
 * Drops every record that names `location` (a repository was just created there: whatever a record names
 * is gone, and would cost its next run a derivation for nothing) or key file `keyId` (it was removed: its
 * copies go too). Best effort.
 */
export function forgetWarmUnlocks(
  which: { location: string } | { keyId: string },
  env: (name: string) => string | undefined,
): void {
  const root = defaultCacheRoot(env);
  if (root === undefined) return;
  const folder = join(root, WARM_UNLOCK_FOLDER);
  const named = (record: WarmRecord) =>
    "location" in which ? record.location === which.location : record.keyId === which.keyId;
  try {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const record = name.endsWith(".json") ? readRecord(path) : undefined;
      if (record && named(record)) unlinkSync(path);
    }
  } catch {
    // No records, or none that can be removed: they open nothing anyway.
  }
}

/** How many records the cache under `root` holds (`kept cache` shows it). */
export function countWarmUnlocks(root: string): number {
  try {
    return readdirSync(join(root, WARM_UNLOCK_FOLDER)).filter((name) => name.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

/** A command line run in a folder, as a file name. */
function invocationId(args: readonly string[]): string {
  return sha256Hex(new TextEncoder().encode(JSON.stringify([Deno.cwd(), ...args]))).slice(0, 32);
}

/**
 * Where the password came from, if the next run can find it before reading the plan: the destination's
 * password file, or the environment variable that holds it (`KEPT_PASSWORD`, or the one the plan names as
 * `${NAME}`, found by its value). Undefined for a command, a prompt, or a password written in the plan.
 */
function passwordOrigin(
  source: PasswordSource | undefined,
  password: string,
  env: (name: string) => string | undefined,
): PasswordOrigin | undefined {
  if (source?.kind === "file") return { file: source.path };
  if (source?.kind === "command") return undefined;
  if (env("KEPT_PASSWORD") === password) return { env: "KEPT_PASSWORD" };
  if (source === undefined) return undefined;
  const names = Object.keys(Deno.env.toObject()).sort();
  const name = names.find((candidate) => VARIABLE_NAME.test(candidate) && env(candidate) === password);
  return name === undefined ? undefined : { env: name };
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function sameOrigin(a: PasswordOrigin, b: PasswordOrigin): boolean {
  return "env" in a ? "env" in b && a.env === b.env : "file" in b && a.file === b.file;
}

/** The password a recorded origin gives now; undefined when there is none. */
function passwordOf(
  origin: PasswordOrigin,
  env: (name: string) => string | undefined,
): Promise<string | undefined> {
  if ("env" in origin) return Promise.resolve(env(origin.env));
  // The same rules as the plan's password_file (a regular file, its first line); no warnings, no errors:
  // the plan reads it again and says what is wrong with it.
  const names = { file: origin.file, cannot: origin.file };
  return readPasswordFile(origin.file, names, undefined).catch(() => undefined);
}

/** The record at `path`, checked; undefined when there is none or it is not one kept wrote. */
function readRecord(path: string): WarmRecord | undefined {
  let text: string;
  try {
    text = new TextDecoder().decode(readSmallFile(path));
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { location, repository, keyId, keyFile, password } = value ?? {};
    if (typeof location !== "string" || typeof keyFile !== "string") return undefined;
    if (typeof repository !== "string" || !/^[0-9a-f]{32}$/.test(repository)) return undefined;
    if (typeof keyId !== "string" || !/^[0-9a-f]{64}$/.test(keyId)) return undefined;
    const origin = recordedOrigin(password);
    if (origin === undefined) return undefined;
    const bytes = new Uint8Array(Buffer.from(keyFile, "base64"));
    if (sha256Hex(bytes) !== keyId) return undefined;
    return { location, repository, keyId, keyFile: bytes, password: origin };
  } catch {
    return undefined;
  }
}

function recordedOrigin(value: unknown): PasswordOrigin | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { env, file } = value as Record<string, unknown>;
  if (typeof env === "string" && VARIABLE_NAME.test(env)) return { env };
  if (typeof file === "string" && file.startsWith("/")) return { file };
  return undefined;
}

/** A regular file of at most {@link RECORD_MAX_BYTES} (a FIFO in its place must not hang every run). */
function readSmallFile(path: string): Uint8Array {
  const opened = openRegularSync(path);
  if (opened === undefined || opened.size > RECORD_MAX_BYTES) {
    if (opened) closeSync(opened.fd);
    throw new RangeError(`${path} is not a record`);
  }
  try {
    const bytes = new Uint8Array(opened.size);
    return bytes.subarray(0, preadFullSync(opened.fd, bytes, 0));
  } finally {
    closeSync(opened.fd);
  }
}

/** Writes a record whole (a new file renamed over the old), readable by its owner only; drops the oldest. */
function writeRecord(path: string, record: WarmRecord): void {
  const folder = join(path, "..");
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const { keyFile, ...rest } = record;
  const text = JSON.stringify({ ...rest, keyFile: Buffer.from(keyFile).toString("base64") });
  const temporary = `${path}.${Deno.pid}${TEMPORARY}`;
  try {
    writeFileSync(temporary, text + "\n", { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  dropOldest(folder);
}

/** The ending of a record being written; one a run killed meanwhile left goes after {@link STALE_MS}. */
const TEMPORARY = ".tmp";
const STALE_MS = 10 * 60 * 1000;

/** Keeps the {@link MAX_RECORDS} records written or used last, and no stale temporary files. */
function dropOldest(folder: string): void {
  const files = readdirSync(folder).map((name) => ({ name, mtime: statSync(join(folder, name)).mtimeMs }));
  const stale = Date.now() - STALE_MS;
  for (const { name, mtime } of files) {
    if (name.endsWith(TEMPORARY) && mtime < stale) unlinkSync(join(folder, name));
  }
  const records = files.filter(({ name }) => name.endsWith(".json")).sort((a, b) => a.mtime - b.mtime);
  for (const { name } of records.slice(0, Math.max(0, records.length - MAX_RECORDS))) {
    unlinkSync(join(folder, name));
  }
}
