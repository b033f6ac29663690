/**
 * Opening a destination's repository under a lock (docs/format.md#locks): the lock's owner is this
 * process, on this host, with the real clock unless a caller passes another.
 *
 * @module
 */

import type { Destination } from "../plan/mod.ts";
import {
  acquireLock,
  type AcquireOptions,
  type ListedLock,
  type LockKind,
  type LockOwner,
  type Repository,
  type RepositoryLock,
} from "../repo/mod.ts";
import { openRepository, type RepositoryAccess } from "./destination.ts";
import { processAlive } from "../process_alive.ts";

export { processAlive };

/** This process as a lock owner: host name, pid, the real clock; `overrides` replace any of it. */
export function processLockOwner(username: string, overrides: Partial<LockOwner> = {}): LockOwner {
  return {
    host: Deno.hostname(),
    username,
    pid: Deno.pid,
    now: () => Date.now(),
    processAlive,
    ...overrides,
  };
}

/** How {@link openLockedRepository} locks. */
export type LockRequest = Omit<AcquireOptions, keyof LockOwner> & {
  kind: LockKind;
  owner: LockOwner;
};

/** A repository and the lock this process holds on it (release it when done). */
export interface LockedRepository {
  repository: Repository;
  lock: RepositoryLock;
}

/**
 * Opens and unlocks a destination's repository, then takes a lock of `request.kind` on it (removing stale
 * locks, waiting up to `request.waitMs` for a conflicting one). An optimistic lock (`request.optimistic`)
 * may still be settling: the repository writes no index file or snapshot until it is confirmed, and none
 * at all, nor removes anything, once the lock is lost (`RepositoryLock.held`).
 *
 * @throws {LockConflictError} when a live conflicting lock stays in the way.
 */
export async function openLockedRepository(
  destination: Destination,
  access: RepositoryAccess,
  request: LockRequest,
): Promise<LockedRepository> {
  const repository = await openRepository(destination, access);
  const { kind, owner, ...options } = request;
  const lock = await acquireLock(repository.lockStore(), kind, { ...owner, ...options });
  repository.guardWrites(() => lock.held());
  return { repository, lock };
}

/** A stale lock that was removed, in one line (for the notice on stderr). */
export function describeStaleLock(listed: ListedLock): string {
  const { lock, stale } = listed;
  if (listed.damaged !== undefined) {
    return `stale unreadable lock ${listed.name.slice(0, 12)} (written ${lock.created}): ${listed.damaged}`;
  }
  const why = stale?.kind === "process-gone"
    ? "its process is gone"
    : `not refreshed for ${Math.round((stale?.refreshedMsAgo ?? 0) / 60_000)} minutes`;
  return `stale ${lock.kind} lock ${listed.name.slice(0, 12)} of ${lock.username}@${lock.host} ` +
    `(pid ${lock.pid}, since ${lock.created}): ${why}`;
}
