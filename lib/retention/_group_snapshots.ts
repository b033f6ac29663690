/**
 * Snapshots as retention sees them, and their groups: retention applies to each plan, host and
 * destination on its own.
 *
 * @module
 */

/** What retention needs to know about a snapshot; callers pass their own objects with these fields. */
export interface RetentionSnapshot {
  /** Unique among the snapshots passed in. */
  readonly id: string;
  /** When the snapshot was taken: a Date or milliseconds since the epoch. */
  readonly time: Date | number;
  readonly tags?: readonly string[] | undefined;
  readonly plan: string;
  readonly host: string;
  readonly destination: string;
}

/** The snapshots of one plan, host and destination, newest first. */
export interface SnapshotGroup<T extends RetentionSnapshot> {
  readonly plan: string;
  readonly host: string;
  readonly destination: string;
  readonly snapshots: readonly T[];
}

/**
 * Splits snapshots into groups by plan, host and destination. Groups come sorted by plan, then host,
 * then destination; each group lists its snapshots newest first, equal times by id, so the result
 * does not depend on the order of `snapshots`.
 *
 * @throws {RangeError} when two snapshots share an id or a time is not a valid date.
 */
export function groupSnapshots<T extends RetentionSnapshot>(snapshots: readonly T[]): SnapshotGroup<T>[] {
  const groups = new Map<string, { plan: string; host: string; destination: string; snapshots: T[] }>();
  const ids = new Set<string>();
  for (const snapshot of snapshots) {
    if (ids.has(snapshot.id)) throw new RangeError(`Duplicate snapshot id "${snapshot.id}"`);
    ids.add(snapshot.id);
    epochMilliseconds(snapshot); // fail here, before sorting compares NaN
    const { plan, host, destination } = snapshot;
    const key = JSON.stringify([plan, host, destination]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, group = { plan, host, destination, snapshots: [] });
    group.snapshots.push(snapshot);
  }
  for (const group of groups.values()) group.snapshots.sort(newestFirst);
  return [...groups.values()].sort((a, b) =>
    compareText(a.plan, b.plan) || compareText(a.host, b.host) || compareText(a.destination, b.destination)
  );
}

/**
 * Orders snapshots newest first, equal times by id: the one order retention counts in.
 * A negative result puts `a` first.
 */
export function newestFirst(a: RetentionSnapshot, b: RetentionSnapshot): number {
  return epochMilliseconds(b) - epochMilliseconds(a) || compareText(a.id, b.id);
}

/**
 * A snapshot's time in milliseconds since the epoch.
 *
 * @throws {RangeError} when the time is not a valid date.
 */
export function epochMilliseconds(snapshot: RetentionSnapshot): number {
  const time = snapshot.time instanceof Date ? snapshot.time.getTime() : snapshot.time;
  if (!Number.isFinite(time) || Math.abs(time) > MAX_EPOCH_MILLISECONDS) {
    throw new RangeError(`Invalid time of snapshot "${snapshot.id}": "${String(snapshot.time)}"`);
  }
  return time;
}

/** The range of Date and Temporal.Instant: 10^8 days either side of 1970. */
const MAX_EPOCH_MILLISECONDS = 8.64e15;

/**
 * Compares by UTF-16 code units, not by locale, so that the order is the same on every machine. Retention
 * imports nothing of kept's (STYLE.md): this is lib/compare_text.ts's rule, repeated.
 */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
