/**
 * Repository locks (docs/format.md#locks): `locks/<id>` files, sealed like other metadata, that say who
 * uses the repository and how. Shared locks (backup, restore, check) exclude exclusive ones (forget, prune);
 * an exclusive lock excludes every other lock. A holder refreshes its lock; a lock that is not refreshed, or
 * whose process is gone, is stale and is removed by the next locker.
 *
 * @module
 */

import { IntegrityError, NotFoundError, UserError } from "../errors.ts";
import { compareText } from "../compare_text.ts";

/** How a lock shares the repository. */
export type LockKind = "shared" | "exclusive";

/** The content of a lock file (sealed, like a snapshot). */
export interface LockFile {
  version: 1;
  kind: LockKind;
  host: string;
  username: string;
  pid: number;
  /** When the lock was first taken (RFC 3339). */
  created: string;
  /** When the lock was last written (taken or refreshed), RFC 3339: staleness counts from here. */
  time: string;
}

/** The lock files of one repository, as {@link Repository.lockStore} offers them. */
export interface LockStore {
  /** Where the repository is, for messages. */
  readonly location: string;
  /**
   * Whether a file is listed as soon as it is written (a local folder). Else the listing may lag a little
   * (object storage), and an exclusive locker settles before it looks again.
   */
  readonly atomicCreate: boolean;
  /** Lists the lock files with their size and the storage's write time. */
  list(): AsyncIterable<{ name: string; size: number; mtime: number }>;
  /** Reads and authenticates one (`size`, when listed, saves asking); throws `NotFoundError` when gone. */
  read(name: string, size?: number): Promise<LockFile>;
  /** Stores a new lock file and returns its name. */
  write(lock: LockFile): Promise<string>;
  /** Removes a lock file; a missing one is no error. */
  remove(name: string): Promise<void>;
}

/** A lock older than this since its last refresh is stale. */
export const LOCK_STALE_MS = 30 * 60_000;
/** A holder writes its lock again this often. */
export const LOCK_REFRESH_MS = 5 * 60_000;

/** Who locks, and the clock and intervals (injectable for tests). */
export interface LockOwner {
  host: string;
  username: string;
  pid: number;
  /** The clock, in ms since the epoch. */
  now: () => number;
  /** Whether a process of this host is still running. */
  processAlive: (pid: number) => boolean;
  /** Default {@link LOCK_STALE_MS}. */
  staleMs?: number;
  /** Default {@link LOCK_REFRESH_MS}. */
  refreshMs?: number;
}

/** A lock file as listed, with why it is stale (undefined: live). */
export interface ListedLock {
  name: string;
  /** The storage's write time, in ms: orders lockers that raced. */
  mtime: number;
  /**
   * What the file says; for a file that cannot be read (`damaged`), an exclusive lock of an unknown holder
   * dated at the storage's write time.
   */
  lock: LockFile;
  stale: StaleReason | undefined;
  /** Why the file could not be read (damaged, or sealed with another repository's key), if so. */
  damaged?: string;
}

/** Why a lock is stale. */
export type StaleReason =
  | { kind: "expired"; refreshedMsAgo: number }
  | { kind: "process-gone" };

/** Options of {@link acquireLock}. */
export interface AcquireOptions extends LockOwner {
  /** How long to wait for a conflicting lock to go away (default 0: fail at once). */
  waitMs?: number;
  /** How often to look again while waiting (default 1 s). */
  pollMs?: number;
  /** Called for each stale lock removed on the way. */
  onStaleRemoved?: (lock: ListedLock) => void;
  /** Called when a refresh fails (the next one tries again). */
  onRefreshError?: (error: unknown) => void;
  /** Sleeps (tests may make it instant). */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for the back-off after a tie (default Math.random). */
  random?: () => number;
  /**
   * On storage without atomic creation, return as soon as the lock is written and look again in the
   * background, so that the round trip overlaps the work: {@link RepositoryLock.confirmed} then says how it
   * went. A race lost or tied is not tried again (the work that began meanwhile must not go on under a later
   * lock, after a rival may have changed the repository): `confirmed` rejects with the
   * {@linkcode LockConflictError}. Only for shared lockers that make nothing they store known before
   * `confirmed` resolves: no index file, no snapshot (docs/format.md#locks).
   */
  optimistic?: boolean;
}

/** A lock file that cannot be read or decrypted: it blocks until it is old enough to be stale. */
export class LockUnreadableError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "LockUnreadableError";
  }
}

/**
 * This process's lock went away while it worked: another process removed it as stale (this one was stopped
 * or suspended, or its refreshes failed, for longer than a lock lives). What that process did meanwhile
 * (a prune) may have removed data this one counts on, so it must make nothing known: no index file, no
 * snapshot, no removal.
 */
export class LockLostError extends UserError {
  constructor(location: string, why: string) {
    super(`Lost the lock on ${location}: ${why}; nothing more was written, so nothing half-done is left`);
    this.name = "LockLostError";
  }
}

/** A live lock that conflicts with the one wanted: it names the holder. */
export class LockConflictError extends UserError {
  /** The lock in the way. */
  readonly holder: LockFile;

  constructor(location: string, holder: LockFile, waitedMs: number) {
    const waited = waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)}s)` : "";
    super(
      `Repository ${location} is locked ${holder.kind === "exclusive" ? "exclusively" : "(shared)"} by ` +
        `${holder.username}@${holder.host}, pid ${holder.pid}, since ${holder.created}${waited}`,
    );
    this.name = "LockConflictError";
    this.holder = holder;
  }
}

/** Why `lock` is stale for `owner` at `now`, or undefined when it is live. */
export function staleReason(lock: LockFile, owner: LockOwner): StaleReason | undefined {
  const age = owner.now() - Date.parse(lock.time);
  if (!(age <= (owner.staleMs ?? LOCK_STALE_MS))) return { kind: "expired", refreshedMsAgo: age };
  if (lock.host === owner.host && !owner.processAlive(lock.pid)) return { kind: "process-gone" };
  return undefined;
}

/**
 * Reads every lock file of the store (files removed meanwhile are skipped), with its staleness. `own`, a lock
 * the caller just wrote, is taken as written rather than read back.
 */
export async function listLocks(
  store: LockStore,
  owner: LockOwner,
  own?: OwnLock,
): Promise<ListedLock[]> {
  const entries: { name: string; size: number; mtime: number }[] = [];
  for await (const entry of store.list()) if (!entry.name.startsWith(".")) entries.push(entry);
  // Read at once rather than one after another: on object storage each read is a round trip.
  const listed = await Promise.all(entries.map((entry) => readListed(store, owner, entry, own)));
  return listed.filter((entry) => entry !== undefined)
    .sort((a, b) => a.mtime - b.mtime || compareText(a.name, b.name));
}

/** A lock this process wrote: its file's name and content. */
interface OwnLock {
  name: string;
  lock: LockFile;
}

/** One listed lock file as {@link listLocks} gives it; undefined when it was removed meanwhile. */
async function readListed(
  store: LockStore,
  owner: LockOwner,
  { name, size, mtime }: { name: string; size: number; mtime: number },
  own: OwnLock | undefined,
): Promise<ListedLock | undefined> {
  try {
    const lock = name === own?.name ? own.lock : await store.read(name, size);
    return { name, mtime, lock, stale: staleReason(lock, owner) };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    if (!(error instanceof IntegrityError)) throw error;
    const time = new Date(mtime).toISOString();
    const lock: LockFile = {
      version: 1,
      kind: "exclusive",
      host: "?",
      username: "?",
      pid: 0,
      created: time,
      time,
    };
    return { name, mtime, lock, stale: staleReason(lock, owner), damaged: error.message };
  }
}

/** True when a lock of kind `a` and one of kind `b` cannot be held at once. */
export function conflicts(a: LockKind, b: LockKind): boolean {
  return a === "exclusive" || b === "exclusive";
}

/**
 * Removes the stale locks (every lock with `all`) and returns them: `kept unlock`.
 */
export async function removeLocks(
  store: LockStore,
  owner: LockOwner,
  options: { all?: boolean } = {},
): Promise<ListedLock[]> {
  const removed: ListedLock[] = [];
  for (const listed of await listLocks(store, owner)) {
    if (!options.all && listed.stale === undefined) continue;
    await store.remove(listed.name);
    removed.push(listed);
  }
  return removed;
}

/** The injected sleep, or a real one. */
function sleepFor(options: AcquireOptions): (ms: number) => Promise<void> {
  return options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
}

/** How many times lockers that created their locks at the same instant back off and try again. */
const TIE_RETRIES = 8;

/**
 * Takes a lock of `kind`: removes stale locks, waits up to `waitMs` while a live conflicting lock exists,
 * writes the lock, then looks again and settles a race (docs/format.md#locks). The lock refreshes itself
 * until released.
 *
 * @throws {LockConflictError} when a live conflicting lock is still there after `waitMs`.
 */
export async function acquireLock(
  store: LockStore,
  kind: LockKind,
  options: AcquireOptions,
): Promise<RepositoryLock> {
  const started = options.now();
  const sleep = sleepFor(options);
  let ties = 0;
  for (;;) {
    let holder = await liveConflict(store, kind, options);
    if (holder === undefined) {
      const created = new Date(options.now()).toISOString();
      const file: LockFile = {
        version: 1,
        kind,
        host: options.host,
        username: options.username,
        pid: options.pid,
        created,
        time: created,
      };
      const name = await store.write(file);
      const own = { name, lock: file };
      if (!store.atomicCreate && options.optimistic) {
        const settle = (lock: RepositoryLock) => settleInBackground(store, kind, own, lock, options, sleep);
        return new RepositoryLock(store, name, file, options, settle);
      }
      const wait = settleMs(store, kind);
      if (wait > 0) await sleep(wait);
      const race = await settleRace(store, kind, own, options);
      if (race === "won") return new RepositoryLock(store, name, file, options);
      await store.remove(name);
      if (race.tie && ties++ < TIE_RETRIES) {
        await sleep(10 + Math.floor((options.random ?? Math.random)() * 90));
        continue;
      }
      holder = race.holder;
    }
    const waited = options.now() - started;
    if (waited >= (options.waitMs ?? 0)) {
      throw new LockConflictError(store.location, holder, (options.waitMs ?? 0) > 0 ? waited : 0);
    }
    await sleep(Math.min(options.pollMs ?? 1000, (options.waitMs ?? 0) - waited));
  }
}

/**
 * How far, at most, the listing of storage without atomic creation may lag behind a write for its locks to
 * be safe (docs/format.md#locks). The object stores in use (AWS S3, MinIO, B2 and the others) list what was
 * written at once.
 */
export const LISTING_LAG_MS = 250;

/**
 * How long a locker waits after writing its lock before it looks again. A shared locker looks at once; an
 * exclusive one, on storage whose listing may lag, waits out twice the lag: then of a shared and an exclusive
 * locker that raced, the exclusive one sees the shared one whenever the shared one did not see it (and of
 * two exclusive ones, one sees the other). Backups, restores and checks, which run most, never wait; forget
 * and prune do (docs/format.md#locks).
 */
function settleMs(store: LockStore, kind: LockKind): number {
  return store.atomicCreate || kind === "shared" ? 0 : 2 * LISTING_LAG_MS;
}

/**
 * The settling of an optimistic lock (see `AcquireOptions.optimistic`): resolves when it won the race;
 * otherwise removes it and rejects with the rival's {@linkcode LockConflictError}.
 */
async function settleInBackground(
  store: LockStore,
  kind: LockKind,
  own: OwnLock,
  lock: RepositoryLock,
  options: AcquireOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const wait = settleMs(store, kind);
  if (wait > 0) await sleep(wait);
  const race = await settleRace(store, kind, own, options);
  if (race === "won") return;
  await lock.release();
  throw new LockConflictError(store.location, race.holder, 0);
}

/** The oldest live lock in the way of `kind` (stale ones are removed on the way). */
async function liveConflict(
  store: LockStore,
  kind: LockKind,
  options: AcquireOptions,
): Promise<LockFile | undefined> {
  for (const listed of await listLocks(store, options)) {
    if (listed.stale !== undefined) {
      await store.remove(listed.name);
      options.onStaleRemoved?.(listed);
    } else if (listed.damaged !== undefined) {
      throw new LockUnreadableError(
        `Cannot read lock "${listed.name}" in ${store.location}: ${listed.damaged}`,
      );
    } else if (conflicts(kind, listed.lock.kind)) return listed.lock;
  }
  return undefined;
}

/**
 * After writing lock `own`: "won" when no conflicting live lock is listed; otherwise the lock in the way, as
 * a tie: this locker backs off and tries again. Every locker writes before it looks, so of two that raced at
 * least one sees the other (docs/format.md#locks). Storage write times cannot pick a winner: a local file's
 * time is when its bytes were written, not when its name appeared.
 */
async function settleRace(
  store: LockStore,
  kind: LockKind,
  own: OwnLock,
  options: AcquireOptions,
): Promise<"won" | { holder: LockFile; tie: boolean }> {
  const listed = await listLocks(store, options, own);
  const mine = listed.find((entry) => entry.name === own.name);
  const rivals = listed.filter((entry) =>
    entry.name !== own.name && entry.stale === undefined && conflicts(kind, entry.lock.kind)
  );
  // A shared locker on lagging storage looks at once: its own lock may not be listed yet, and need not be.
  const ownListedBy = store.atomicCreate || settleMs(store, kind) > 0;
  if (mine === undefined && ownListedBy) return { holder: rivals[0]?.lock ?? own.lock, tie: true };
  const rival = rivals[0];
  return rival ? { holder: rival.lock, tie: true } : "won";
}

/** A lock held by this process: refreshed on a timer (which does not keep the process alive) until released. */
export class RepositoryLock {
  readonly kind: LockKind;
  #store: LockStore;
  #name: string;
  #file: LockFile;
  #options: AcquireOptions;
  #timer: ReturnType<typeof setInterval>;
  #refreshing: Promise<void> | undefined;
  #released = false;
  /** When the lock file was last written, by the owner's clock: what other lockers judge staleness by. */
  #writtenAt: number;
  /** Set once the lock is found gone or too old: from then on it is never written again. */
  #lost: LockLostError | undefined;
  readonly #confirmed: Promise<void>;

  /**
   * Wraps a lock file just written as `name`; starts refreshing it. `settle`, for an optimistic lock, is
   * its background settling: it becomes {@link confirmed}.
   */
  constructor(
    store: LockStore,
    name: string,
    file: LockFile,
    options: AcquireOptions,
    settle?: (lock: RepositoryLock) => Promise<void>,
  ) {
    this.kind = file.kind;
    this.#store = store;
    this.#name = name;
    this.#file = file;
    this.#options = options;
    this.#writtenAt = Date.parse(file.time);
    const timer = setInterval(() => {
      this.#refreshOnce();
    }, options.refreshMs ?? LOCK_REFRESH_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
    this.#confirmed = settle ? settle(this) : Promise.resolve();
    this.#confirmed.catch(() => {}); // a lost race is for whoever awaits `confirmed`: not unhandled
  }

  /**
   * Resolves once the lock is sure to be held; rejects with a {@linkcode LockConflictError} when an
   * optimistic lock lost its race (it is released then). Resolved from the start for any other lock.
   */
  get confirmed(): Promise<void> {
    return this.#confirmed;
  }

  /** The current lock file's name (it changes with each refresh). */
  get id(): string {
    return this.#name;
  }

  /**
   * Writes the lock again with the current time, then removes the previous file: on storage whose listing
   * may lag, once the new one is surely listed, so that a rival's look never finds neither. Never throws: a
   * lock found lost is not written again (see {@link held}), and other failures are retried next time.
   */
  async refresh(): Promise<void> {
    if (this.#released || this.#lost) return;
    try {
      if (await this.#checkLost()) return;
      const now = this.#options.now();
      const file = { ...this.#file, time: new Date(now).toISOString() };
      const name = await this.#store.write(file);
      const previous = this.#name;
      this.#name = name;
      this.#file = file;
      this.#writtenAt = now;
      if (!this.#store.atomicCreate) await sleepFor(this.#options)(LISTING_LAG_MS);
      await this.#store.remove(previous);
    } catch (error) {
      this.#options.onRefreshError?.(error);
    }
  }

  /**
   * Resolves when the lock is surely still held, for long enough to write one file; rejects with a
   * {@linkcode LockLostError} when it is not (and with the lost race of an optimistic lock). Called before
   * anything that makes data known or removes it. A lock close to stale by the clock is refreshed first;
   * one that is stale by it is lost even when its file is still there, since another locker may be about to
   * remove it (restic stops the same way).
   */
  async held(): Promise<void> {
    await this.#confirmed;
    if (this.#released) throw new Error("A released lock is not held"); // a bug of the caller
    if (this.#lost || await this.#checkLost()) throw this.#lost!;
    const staleMs = this.#options.staleMs ?? LOCK_STALE_MS;
    const refreshMs = this.#options.refreshMs ?? LOCK_REFRESH_MS;
    if (this.#options.now() - this.#writtenAt > staleMs - refreshMs) {
      await this.#refreshOnce();
      if (this.#lost) throw this.#lost;
      if (this.#options.now() - this.#writtenAt > staleMs - refreshMs) {
        throw new LockLostError(this.#store.location, "it could not be refreshed in time");
      }
    }
  }

  /** The refresh under way, or a new one: the timer and {@link held} never write the lock twice at once. */
  #refreshOnce(): Promise<void> {
    return this.#refreshing ??= this.refresh().finally(() => this.#refreshing = undefined);
  }

  /** Whether the lock is lost: its file is gone, or it is stale by this clock. Sets {@link #lost}. */
  async #checkLost(): Promise<boolean> {
    const ageMs = this.#options.now() - this.#writtenAt;
    if (ageMs >= (this.#options.staleMs ?? LOCK_STALE_MS)) {
      this.#lost = new LockLostError(
        this.#store.location,
        `it was last refreshed ${Math.round(ageMs / 60_000)} minutes ago (was this process stopped or ` +
          "suspended?), so another kept may have removed it as stale",
      );
    } else {
      try {
        await this.#store.read(this.#name);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        this.#lost = new LockLostError(
          this.#store.location,
          "another process removed it as stale (was this process stopped or suspended?)",
        );
      }
    }
    return this.#lost !== undefined;
  }

  /** Stops refreshing and removes the lock file. Releasing twice is harmless. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    await this.#refreshing;
    await this.#store.remove(this.#name);
  }
}
