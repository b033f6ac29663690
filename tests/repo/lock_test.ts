// Repository locks in one process, with an injected clock: who conflicts with whom, stale locks, waiting,
// refreshing, releasing, and lockers that race.

import assert from "node:assert/strict";
import { MemoryBackend } from "../../lib/backends/mod.ts";
import {
  acquireLock,
  type AcquireOptions,
  type ListedLock,
  LISTING_LAG_MS,
  listLocks,
  LockConflictError,
  type LockFile,
  LockLostError,
  type LockStore,
  removeLocks,
  type RepositoryLock,
} from "../../lib/repo/mod.ts";
import { NotFoundError } from "../../lib/errors.ts";
import { setImmediate } from "node:timers";
import { testRepository } from "../_support/repository.ts";

const T0 = Date.parse("2026-12-01T12:00:00Z");

/** A lock store on a fresh in-memory repository whose storage clock is `clock.now`. */
async function storeWithClock(clock: { now: number }): Promise<LockStore> {
  const repository = await testRepository(new MemoryBackend({ now: () => clock.now }));
  return repository.lockStore();
}

function owner(clock: { now: number }, overrides: Partial<AcquireOptions> = {}): AcquireOptions {
  return {
    host: "web1",
    username: "alice",
    pid: 100,
    now: () => clock.now,
    processAlive: (pid) => pid === 100 || pid === 200,
    ...overrides,
  };
}

function lockFile(overrides: Partial<LockFile>): LockFile {
  const time = new Date(T0).toISOString();
  return {
    version: 1,
    kind: "exclusive",
    host: "web1",
    username: "bob",
    pid: 200,
    created: time,
    time,
    ...overrides,
  };
}

Deno.test("shared locks are held together; an exclusive lock conflicts with them", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  const a = await acquireLock(store, "shared", owner(clock));
  clock.now += 1;
  const b = await acquireLock(store, "shared", owner(clock, { pid: 200 }));
  clock.now += 1;
  await assert.rejects(acquireLock(store, "exclusive", owner(clock)), LockConflictError);
  await a.release();
  await b.release();
  const c = await acquireLock(store, "exclusive", owner(clock));
  await assert.rejects(acquireLock(store, "shared", owner(clock, { pid: 200 })), LockConflictError);
  await c.release();
  assert.deepEqual(await listLocks(store, owner(clock)), []);
});

Deno.test("acquireLock() names the holder: user, host, pid and since when", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  await store.write(lockFile({ kind: "shared", host: "db2", username: "backup", pid: 4242 }));
  const error = await acquireLock(store, "exclusive", owner(clock)).catch((error) => error);
  assert.ok(error instanceof LockConflictError);
  assert.match(error.message, /locked \(shared\) by backup@db2, pid 4242, since 2026-12-01T12:00:00.000Z/);
  assert.equal(error.exitCode, 1);
});

Deno.test("a lock not refreshed for 30 minutes is stale and removed, one refreshed 29 minutes ago is not", async () => {
  const clock = { now: T0 + 29 * 60_000 };
  const store = await storeWithClock(clock);
  await store.write(lockFile({ host: "elsewhere", pid: 7 }));
  await assert.rejects(acquireLock(store, "shared", owner(clock)), LockConflictError);
  clock.now = T0 + 30 * 60_000 + 1;
  const removed: ListedLock[] = [];
  const lock = await acquireLock(store, "shared", owner(clock, { onStaleRemoved: (l) => removed.push(l) }));
  assert.deepEqual(removed.map((l) => [l.lock.host, l.stale?.kind]), [["elsewhere", "expired"]]);
  await lock.release();
});

Deno.test("a lock whose process is gone is stale on its own host only", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  await store.write(lockFile({ pid: 999 }));
  const listed = await listLocks(store, owner(clock));
  assert.equal(listed[0]?.stale?.kind, "process-gone");
  assert.equal((await listLocks(store, owner(clock, { host: "other" })))[0]?.stale, undefined);
  await assert.rejects(acquireLock(store, "shared", owner(clock, { host: "other" })), LockConflictError);
  const removed: ListedLock[] = [];
  const lock = await acquireLock(store, "shared", owner(clock, { onStaleRemoved: (l) => removed.push(l) }));
  assert.equal(removed.length, 1);
  await lock.release();
});

Deno.test("acquireLock() waits up to waitMs for a conflicting lock to go", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  const holder = await acquireLock(store, "shared", owner(clock, { pid: 200 }));
  let polls = 0;
  const sleep = async (ms: number) => {
    clock.now += ms;
    if (++polls === 3) await holder.release();
  };
  const lock = await acquireLock(store, "exclusive", owner(clock, { waitMs: 10_000, pollMs: 1000, sleep }));
  assert.equal(polls, 3);
  await lock.release();

  const again = await acquireLock(store, "shared", owner(clock, { pid: 200 }));
  const error = await acquireLock(store, "exclusive", owner(clock, { waitMs: 2500, pollMs: 1000, sleep }))
    .catch((error) => error);
  assert.ok(error instanceof LockConflictError);
  assert.match(error.message, /waited 3s/);
  await again.release();
});

Deno.test("a held lock is refreshed on a timer and removed on release", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  const lock = await acquireLock(store, "shared", owner(clock, { refreshMs: 10 }));
  const first = lock.id;
  clock.now = T0 + 20 * 60_000;
  await new Promise((resolve) => setTimeout(resolve, 60));
  const listed = await listLocks(store, owner(clock));
  assert.equal(listed.length, 1, "a refresh leaves one lock file");
  assert.notEqual(listed[0]!.name, first);
  assert.equal(listed[0]!.lock.time, new Date(clock.now).toISOString());
  assert.equal(listed[0]!.lock.created, new Date(T0).toISOString());
  assert.equal(listed[0]!.stale, undefined, "a refreshed lock is not stale");
  await lock.release();
  await lock.release();
  assert.deepEqual(await listLocks(store, owner(clock)), []);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(await listLocks(store, owner(clock)), [], "no refresh after release");
});

Deno.test("two exclusive lockers at the same instant: exactly one gets the lock", async () => {
  for (let round = 0; round < 20; round++) {
    const clock = { now: T0 };
    const store = await storeWithClock(clock);
    const results = await Promise.allSettled([
      acquireLock(store, "exclusive", owner(clock)),
      acquireLock(store, "exclusive", owner(clock, { pid: 200 })),
    ]);
    const won = results.filter((result) => result.status === "fulfilled");
    assert.equal(won.length, 1, `round ${round}: ${won.length} lockers got the lock`);
    const lost = results.find((result) => result.status === "rejected");
    assert.ok(lost?.reason instanceof LockConflictError, String(lost?.reason));
    assert.equal((await listLocks(store, owner(clock))).length, 1, "the loser removed its lock");
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  }
});

Deno.test("removeLocks() removes stale locks, and with all every lock", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  await store.write(lockFile({ pid: 999 }));
  await store.write(lockFile({ kind: "shared", pid: 200 }));
  assert.deepEqual((await removeLocks(store, owner(clock))).map((l) => l.lock.pid), [999]);
  assert.deepEqual((await listLocks(store, owner(clock))).map((l) => l.lock.pid), [200]);
  assert.deepEqual((await removeLocks(store, owner(clock), { all: true })).map((l) => l.lock.pid), [200]);
  assert.deepEqual(await listLocks(store, owner(clock)), []);
});

Deno.test("a lock file that cannot be read blocks every locker until it is 30 minutes old or unlocked", async () => {
  const clock = { now: T0 };
  const backend = new MemoryBackend({ now: () => clock.now });
  const store = (await testRepository(backend)).lockStore();
  await backend.put({ kind: "locks", name: "0".repeat(64) }, new TextEncoder().encode("garbage"));
  await assert.rejects(
    acquireLock(store, "shared", owner(clock)),
    (error: unknown) =>
      error instanceof Error && /^Cannot read lock "0{64}" in .*: locks file/.test(error.message),
  );
  assert.deepEqual(await removeLocks(store, owner(clock)), [], "not stale yet");
  clock.now += 30 * 60_000 + 1;
  const removed: ListedLock[] = [];
  const lock = await acquireLock(
    store,
    "exclusive",
    owner(clock, { onStaleRemoved: (l) => removed.push(l) }),
  );
  assert.deepEqual(removed.map((l) => [l.name, l.stale?.kind, l.damaged !== undefined]), [[
    "0".repeat(64),
    "expired",
    true,
  ]]);
  await lock.release();

  await backend.put({ kind: "locks", name: "1".repeat(64) }, new TextEncoder().encode("garbage"));
  assert.equal((await removeLocks(store, owner(clock), { all: true })).length, 1);
  await (await acquireLock(store, "exclusive", owner(clock))).release();
});

/**
 * Lock files in memory whose first write stays invisible until `reveal()`: the write time a local file gets
 * is when its bytes were written, and its name may appear later, after another locker's.
 */
function slowFirstWriteStore(clock: { now: number }): LockStore & { reveal(): void } {
  const files = new Map<string, { lock: LockFile; mtime: number; visible: boolean }>();
  let writes = 0;
  return {
    location: "memory",
    atomicCreate: false,
    async *list() {
      for (const [name, file] of files) if (file.visible) yield { name, size: 0, mtime: file.mtime };
    },
    read: (name) => Promise.resolve(files.get(name)!.lock),
    write: (lock) => {
      const name = `lock-${++writes}`;
      files.set(name, { lock, mtime: clock.now++, visible: writes > 1 });
      return Promise.resolve(name);
    },
    remove: (name) => Promise.resolve(void files.delete(name)),
    reveal: () => files.forEach((file) => file.visible = true),
  };
}

Deno.test("a lock written earlier but visible later does not win the race (write times pick no winner)", async () => {
  const clock = { now: T0 };
  const store = slowFirstWriteStore(clock);
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => settle = resolve);
  let pauses = 0;
  // A writes first, then waits for its write to settle; meanwhile B takes the lock.
  const a = acquireLock(
    store,
    "exclusive",
    owner(clock, { sleep: () => pauses++ === 0 ? settled : Promise.resolve() }),
  );
  await new Promise((resolve) => setTimeout(resolve, 10));
  const b = await acquireLock(store, "exclusive", owner(clock, { pid: 200, sleep: () => Promise.resolve() }));
  store.reveal();
  settle();
  await assert.rejects(a, LockConflictError);
  assert.deepEqual((await listLocks(store, owner(clock))).map((listed) => listed.lock.pid), [200]);
  await b.release();
});

/**
 * Lock files in memory on storage without atomic creation (as on S3). The second listing waits for `hold`
 * when it is set: a locker's look after writing is then under the test's control.
 */
function objectStore(clock: { now: number }): LockStore & { writes: number; hold?: Promise<void> } {
  const files = new Map<string, { lock: LockFile; mtime: number }>();
  let listings = 0;
  const store: LockStore & { writes: number; hold?: Promise<void> } = {
    location: "bucket",
    atomicCreate: false,
    writes: 0,
    async *list() {
      if (++listings === 2) await store.hold;
      for (const [name, file] of files) yield { name, size: 0, mtime: file.mtime };
    },
    read: (name: string) => Promise.resolve(files.get(name)!.lock),
    write: (lock: LockFile) => {
      const name = `lock-${++store.writes}`;
      files.set(name, { lock, mtime: clock.now++ });
      return Promise.resolve(name);
    },
    remove: (name: string) => Promise.resolve(void files.delete(name)),
  };
  return store;
}

/** A gate that stays shut until `open()` is called. */
function gate(): { shut: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const shut = new Promise<void>((resolve) => open = resolve);
  return { shut, open };
}

/** An object store whose second listing waits until `look.open()`, and its clock. */
function storeWithHeldLook() {
  const clock = { now: T0 };
  const store = objectStore(clock);
  const look = gate();
  store.hold = look.shut;
  return { clock, store, look };
}

/** Records each sleep's length and ends it at once. */
function sleepsOf(): { sleep: (ms: number) => Promise<void>; slept: number[] } {
  const slept: number[] = [];
  return { sleep: (ms) => (slept.push(ms), Promise.resolve()), slept };
}

Deno.test("on object storage a shared locker looks again at once; an exclusive one waits twice the lag", async () => {
  const clock = { now: T0 };
  const store = objectStore(clock);
  const shared = sleepsOf();
  await (await acquireLock(store, "shared", owner(clock, { sleep: shared.sleep }))).release();
  assert.deepEqual(shared.slept, []);
  const exclusive = sleepsOf();
  await (await acquireLock(store, "exclusive", owner(clock, { sleep: exclusive.sleep }))).release();
  assert.deepEqual(exclusive.slept, [2 * LISTING_LAG_MS]);
});

Deno.test("on object storage a refresh removes the previous file only once the new one is surely listed", async () => {
  const clock = { now: T0 };
  const store = objectStore(clock);
  const slept: number[] = [];
  const lag = gate();
  const lock = await acquireLock(
    store,
    "shared",
    owner(clock, { sleep: (ms) => (slept.push(ms), lag.shut) }),
  );
  const refreshing = lock.refresh();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(slept, [LISTING_LAG_MS]);
  assert.equal((await listLocks(store, owner(clock))).length, 2, "both while the new one may not be listed");
  lag.open();
  await refreshing;
  assert.deepEqual((await listLocks(store, owner(clock))).map((listed) => listed.name), [lock.id]);
  await lock.release();
});

Deno.test("an optimistic shared lock is handed out before its second look, and confirmed once it won", async () => {
  const { clock, store, look } = storeWithHeldLook();
  const lock = await acquireLock(store, "shared", owner(clock, { optimistic: true }));
  let confirmed = false;
  lock.confirmed.then(() => confirmed = true);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(confirmed, false, "confirmed before the second look");
  look.open();
  await lock.confirmed;
  assert.equal(confirmed, true);
  assert.deepEqual((await listLocks(store, owner(clock))).map((listed) => listed.lock.kind), ["shared"]);
  await lock.release();
});

Deno.test("an optimistic lock that loses its race is removed and fails confirmed, without trying again", async () => {
  const { clock, store, look } = storeWithHeldLook();
  const lock = await acquireLock(store, "shared", owner(clock, { optimistic: true }));
  // A prune writes its lock before this one looks again: both will see each other.
  await store.write(lockFile({ kind: "exclusive", username: "pruner", pid: 200 }));
  look.open();
  await assert.rejects(
    lock.confirmed,
    (error) =>
      error instanceof LockConflictError && /locked exclusively by pruner@web1, pid 200/.test(error.message),
  );
  assert.deepEqual((await listLocks(store, owner(clock))).map((listed) => listed.lock.username), ["pruner"]);
  assert.equal(store.writes, 2, "the lost lock is not written again");
});

Deno.test("an optimistic lock still fails at once on a conflict it sees before writing", async () => {
  const clock = { now: T0 };
  const store = objectStore(clock);
  await store.write(lockFile({ kind: "exclusive" }));
  await assert.rejects(
    acquireLock(store, "shared", owner(clock, { optimistic: true, sleep: () => Promise.resolve() })),
    LockConflictError,
  );
  assert.equal(store.writes, 1);
});

Deno.test("with atomic creation an optimistic lock is confirmed at once, with no settling", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  assert.equal(store.atomicCreate, true);
  const sleep = () => Promise.reject(new Error("nothing to settle"));
  const lock = await acquireLock(store, "shared", owner(clock, { optimistic: true, sleep }));
  await lock.confirmed;
  await lock.release();
});

Deno.test("a shared locker holds its lock when its own write is not listed yet; an exclusive one ties", async () => {
  const clock = { now: T0 };
  const shared = slowFirstWriteStore(clock);
  await (await acquireLock(shared, "shared", owner(clock, { sleep: () => Promise.resolve() }))).release();
  const exclusive = slowFirstWriteStore(clock);
  // Its first lock stays unlisted: it ties, backs off, and holds the one it writes next.
  const lock = await acquireLock(exclusive, "exclusive", owner(clock, { sleep: () => Promise.resolve() }));
  assert.equal(lock.id, "lock-2");
  await lock.release();
});

/**
 * Time that passes only while every locker waits: the earliest pending sleep (a locker's, or a round trip to
 * storage) ends next.
 */
class FakeTime {
  now = 0;
  #pending: { at: number; order: number; end: () => void }[] = [];
  #order = 0;

  sleep = (ms: number): Promise<void> =>
    new Promise((end) => this.#pending.push({ at: this.now + ms, order: this.#order++, end }));

  /** Lets the lockers run, ending sleeps in time order, until `work` settles. */
  async run(work: Promise<unknown>): Promise<void> {
    let settled = false;
    work.then(() => settled = true, () => settled = true);
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve)); // every locker runs until it waits
      if (settled) return;
      this.#pending.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.#pending.shift();
      if (!next) throw new Error("every locker waits for nothing");
      this.now = next.at;
      next.end();
    }
  }
}

/**
 * Object storage whose listing shows a lock `lag(writer)` ms after its write returned; each request takes
 * `requestMs`. The pid in the lock names the writer.
 */
function laggingStore(time: FakeTime, lag: (pid: number) => number, requestMs: number): LockStore {
  const files = new Map<string, { lock: LockFile; listedFrom: number; mtime: number }>();
  let writes = 0;
  return {
    location: "bucket",
    atomicCreate: false,
    async *list() {
      await time.sleep(requestMs);
      const now = time.now;
      for (const [name, file] of [...files]) {
        if (file.listedFrom <= now) yield { name, size: 0, mtime: file.mtime };
      }
    },
    read: async (name) => {
      await time.sleep(requestMs);
      const file = files.get(name);
      if (!file) throw new NotFoundError(`no lock ${name}`);
      return file.lock;
    },
    write: async (lock) => {
      await time.sleep(requestMs);
      const name = `lock-${++writes}`;
      files.set(name, { lock, listedFrom: time.now + lag(lock.pid), mtime: time.now });
      return name;
    },
    remove: async (name) => {
      await time.sleep(requestMs);
      files.delete(name);
    },
  };
}

type Locker = "shared" | "optimistic" | "exclusive";

/** Whether `a` and `b` (pids 100 and 200), starting `startsApart` ms apart, both came to hold their locks. */
async function bothHold(
  a: Locker,
  b: Locker,
  startsApart: number,
  lags: [number, number],
  requestMs: number,
): Promise<boolean> {
  const time = new FakeTime();
  const store = laggingStore(time, (pid) => pid === 100 ? lags[0] : lags[1], requestMs);
  const take = async (locker: Locker, pid: number, delay: number): Promise<RepositoryLock | undefined> => {
    await time.sleep(delay);
    const kind = locker === "exclusive" ? "exclusive" : "shared";
    const options = owner({ now: 0 }, {
      pid,
      now: () => T0 + time.now,
      sleep: time.sleep,
      random: () => 0.5,
      optimistic: locker === "optimistic",
    });
    try {
      const lock = await acquireLock(store, kind, options);
      await lock.confirmed;
      return lock;
    } catch (error) {
      if (error instanceof LockConflictError) return undefined;
      throw error;
    }
  };
  const outcome = (async () => {
    const locks = await Promise.all([
      take(a, 100, Math.max(0, -startsApart)),
      take(b, 200, Math.max(0, startsApart)),
    ]);
    for (const lock of locks) await lock?.release();
    return locks.every((lock) => lock !== undefined);
  })();
  await time.run(outcome);
  return await outcome;
}

Deno.test("lockers racing on storage whose listing lags up to the bound never both hold what conflicts", async () => {
  const pairs: [Locker, Locker][] = [["optimistic", "exclusive"], ["shared", "exclusive"], [
    "exclusive",
    "exclusive",
  ]];
  const lags = [0, LISTING_LAG_MS / 2, LISTING_LAG_MS];
  const failures: string[] = [];
  for (const [a, b] of pairs) {
    for (const lagA of lags) {
      for (const lagB of lags) {
        for (const requestMs of [0, 40]) {
          for (let apart = -700; apart <= 700; apart += 25) {
            if (await bothHold(a, b, apart, [lagA, lagB], requestMs)) {
              failures.push(
                `${a} and ${b}, ${apart} ms apart, lags ${lagA}/${lagB}, requests ${requestMs} ms`,
              );
            }
          }
        }
      }
    }
  }
  assert.deepEqual(failures, []);
});

Deno.test("a lock another process removed as stale is lost: held() rejects and it is never written again", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  const lock = await acquireLock(store, "shared", owner(clock, { refreshMs: 10 }));
  await lock.held();
  // What `kept unlock` or a prune that found it stale does.
  await store.remove(lock.id);
  await assert.rejects(lock.held(), LockLostError);
  await new Promise((resolve) => setTimeout(resolve, 40)); // refreshes came and went
  assert.deepEqual(await listLocks(store, owner(clock)), [], "a lost lock is not written again");
  await assert.rejects(lock.held(), /another process removed it as stale/);
  await lock.release();
});

Deno.test("a lock stale by its holder's own clock is lost even while its file is still there", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  const lock = await acquireLock(store, "exclusive", owner(clock));
  // Suspended for half an hour: a rival that listed the lock meanwhile may be about to remove it.
  clock.now = T0 + 31 * 60_000;
  await assert.rejects(lock.held(), /last refreshed 31 minutes ago/);
  await lock.refresh();
  const listed = await listLocks(store, owner(clock));
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.lock.time, new Date(T0).toISOString(), "a lost lock is not refreshed");
  await lock.release();
});

Deno.test("held() refreshes a lock close to stale first, and passes a fresh one without writing", async () => {
  const clock = { now: T0 };
  const store = await storeWithClock(clock);
  const lock = await acquireLock(store, "shared", owner(clock));
  const first = lock.id;
  clock.now = T0 + 4 * 60_000;
  await lock.held();
  assert.equal(lock.id, first, "four minutes old: not written again");
  clock.now = T0 + 27 * 60_000;
  await lock.held();
  assert.notEqual(lock.id, first, "27 minutes old: refreshed before going on");
  const [listed] = await listLocks(store, owner(clock));
  assert.equal(listed!.lock.time, new Date(clock.now).toISOString());
  await lock.release();
});

Deno.test("a repository under a lost lock writes no index file or snapshot and removes nothing", async () => {
  const clock = { now: T0 };
  const backend = new MemoryBackend({ now: () => clock.now });
  const repository = await testRepository(backend);
  const lock = await acquireLock(repository.lockStore(), "exclusive", owner(clock));
  repository.guardWrites(() => lock.held());
  const kept = await repository.writeMeta("snapshots", { before: true });
  await repository.lockStore().remove(lock.id);
  await assert.rejects(repository.writeMeta("snapshots", { after: true }), LockLostError);
  await assert.rejects(repository.writeMeta("index", { after: true }), LockLostError);
  await assert.rejects(repository.removeSnapshot(kept as never), LockLostError);
  await assert.rejects(repository.removePacks(["00".repeat(32) as never]), LockLostError);
  const snapshots: string[] = [];
  for await (const entry of backend.list("snapshots")) snapshots.push(entry.name);
  assert.deepEqual(snapshots, [kept]);
  await lock.release();
});
