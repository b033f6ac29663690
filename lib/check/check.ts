/**
 * Verifies a repository: every blob a snapshot needs is indexed and its pack exists; with `readData`,
 * every pack (or a subset) is read, hashed, and every blob in it decrypted and checked against its id.
 * Damage is reported with the packs, snapshots and files it affects, as {@linkcode CheckProblem} values.
 *
 * @module
 */

import { describeError } from "../errors.ts";
import { asPackId, type PackId, packSizeOf, type Repository, type SnapshotEntry } from "../repo/mod.ts";
import type { CheckProblem } from "./check_problem.ts";
import { readPacks, type ReadProgress } from "./_read_packs.ts";
import { walkSnapshots } from "./_walk_snapshots.ts";

/** Options of {@link check}. */
export interface CheckOptions {
  /** Read and verify pack contents. */
  readData?: boolean;
  /** Read only this fraction (above 0, at most 1) of the packs, each chosen when `random()` is below it. */
  readDataSubset?: number;
  /**
   * Uniform numbers in [0, 1) that choose the subset (the CLI passes `Math.random`; tests a seeded source).
   * Needed with a `readDataSubset` below 1.
   */
  random?: () => number;
  /** Worker threads that verify packs (default: one per core). */
  workers?: number;
  /** Called after each pack read. */
  onProgress?: (progress: ReadProgress) => void;
}

/** What a check found. */
export interface CheckResult {
  /** True when no problem is an error (warnings lose nothing). */
  ok: boolean;
  /** Snapshots checked. */
  snapshots: number;
  /** Packs in storage. */
  packs: number;
  /** Packs read and verified (`readPacks.length`). */
  packsRead: number;
  /** The packs read, by id, sorted. */
  readPacks: string[];
  /** Everything found, in the order it was found. */
  problems: CheckProblem[];
}

/**
 * Checks the repository's structure and, optionally, its data.
 *
 * @throws {RangeError} when `readDataSubset` is not in (0, 1], or is below 1 without `random` (bugs in the
 * caller); storage errors that stop the check as a whole (the index cannot be read) are thrown as they are.
 */
export async function check(repository: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  const problems: CheckProblem[] = [];
  // Snapshots first, then the index: a backup stores its snapshot after its index files, so every snapshot
  // listed here finds its blobs in the index read next, even while a backup runs (docs/format.md#write-order).
  const snapshots = await listSnapshots(repository, problems);
  await repository.loadIndex();
  reportDamagedFiles(repository, problems);
  repository.cachePacks(4);
  const { stored, badBlobs } = await comparePacks(repository, problems);
  let chosen: PackId[] = [];
  if (options.readData || options.readDataSubset !== undefined) {
    const readable = [...repository.index.packIds()].filter((pack) => stored.has(pack)).sort();
    chosen = choosePacks(readable, options);
    await readPacks(repository, chosen, {
      badBlobs,
      problems,
      workers: options.workers ?? navigator.hardwareConcurrency ?? 2,
      onProgress: options.onProgress,
    });
  }
  const walked = await walkSnapshots(repository, snapshots, badBlobs, problems);
  if (walked.complete) findUnused(repository, stored, walked.used, problems);
  markUnindexedPacks(problems);
  await findLeftovers(repository, problems);
  return {
    ok: !problems.some((problem) => problem.severity === "error"),
    snapshots: walked.snapshots,
    packs: stored.size,
    packsRead: chosen.length,
    readPacks: chosen,
    problems,
  };
}

/** Every snapshot, or none when they cannot be listed (reported: the rest is still checked). */
async function listSnapshots(
  repository: Repository,
  problems: CheckProblem[],
): Promise<SnapshotEntry[] | undefined> {
  try {
    return await repository.listSnapshots();
  } catch (error) {
    problems.push({ kind: "snapshots-unreadable", severity: "error", reason: describeError(error) });
    return undefined;
  }
}

/** The snapshot, index and key files the repository left out as damaged. */
function reportDamagedFiles(repository: Repository, problems: CheckProblem[]): void {
  for (const { kind, name, reason } of repository.damagedFiles) {
    const severity = kind === "keys" ? "warning" : "error";
    problems.push({ kind: "file-damaged", severity, file: kind, name, reason });
  }
}

/**
 * Compares the packs the index names with those in storage: missing ones lose their blobs (added to the
 * returned `badBlobs`), so do the blobs beyond the end of a pack of the wrong size; unindexed ones only take
 * space.
 */
async function comparePacks(
  repository: Repository,
  problems: CheckProblem[],
): Promise<{ stored: Set<PackId>; badBlobs: Set<string> }> {
  const sizes = new Map<PackId, number>();
  for await (const entry of repository.packs.list()) sizes.set(asPackId(entry.name), entry.size);
  const indexed = new Set(repository.index.packIds());
  const badBlobs = new Set<string>();
  for (const pack of indexed) {
    const size = sizes.get(pack);
    // The usual case, a pack of the size its entries give, needs no object per entry.
    if (size !== undefined && size === repository.index.packSize(pack)) continue;
    const entries = repository.index.packEntries(pack) ?? [];
    if (size === undefined) {
      problems.push({ kind: "pack-missing", severity: "error", pack });
      for (const entry of entries) badBlobs.add(entry.id);
      continue;
    }
    problems.push({ kind: "pack-size", severity: "error", pack, size, expected: packSizeOf(entries) });
    for (const entry of entries) if (entry.offset + entry.length > size) badBlobs.add(entry.id);
  }
  for (const pack of sizes.keys()) {
    if (!indexed.has(pack)) {
      problems.push({ kind: "pack-unindexed", severity: "info", pack, indexMayFix: false });
    }
  }
  return { stored: new Set(sizes.keys()), badBlobs };
}

/**
 * Unindexed packs are only space while nothing is missing; once a snapshot misses data, or an index file
 * was left out, they may hold it: then they are warnings that indexing them may mend (not packs for prune).
 */
function markUnindexedPacks(problems: CheckProblem[]): void {
  const missing = problems.some((problem) =>
    problem.kind === "snapshot-damaged" || problem.kind === "tree-unreadable" ||
    (problem.kind === "file-damaged" && problem.file === "index")
  );
  if (!missing) return;
  problems.forEach((problem, i) => {
    if (problem.kind === "pack-unindexed") {
      problems[i] = { ...problem, severity: "warning", indexMayFix: true };
    }
  });
}

/**
 * Index entries no snapshot needs (or a second copy of a blob), and the stored packs that hold nothing
 * else: the space prune frees. Information, not a problem.
 */
function findUnused(
  repository: Repository,
  stored: ReadonlySet<string>,
  used: ReadonlySet<string>,
  problems: CheckProblem[],
): void {
  const counted = new Set<string>();
  const packs: string[] = [];
  let blobs = 0, bytes = 0;
  for (const pack of [...repository.index.packIds()].sort()) {
    if (!stored.has(pack)) continue;
    let needed = false;
    for (const entry of repository.index.packEntries(pack) ?? []) {
      if (used.has(entry.id) && !counted.has(entry.id)) {
        counted.add(entry.id);
        needed = true;
      } else {
        blobs++;
        bytes += entry.length;
      }
    }
    if (!needed) packs.push(pack);
  }
  if (blobs > 0) problems.push({ kind: "unused-data", severity: "info", blobs, bytes, packs });
}

/** The packs to read: all, or each with probability `readDataSubset`, in the order given. */
function choosePacks(packs: readonly PackId[], options: CheckOptions): PackId[] {
  const fraction = options.readDataSubset ?? 1;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`Invalid readDataSubset ${fraction}: must be above 0 and at most 1`);
  }
  if (fraction === 1) return [...packs];
  const random = options.random;
  if (random === undefined) throw new RangeError(`Cannot choose ${fraction} of the packs: no random option`);
  return packs.filter(() => random() < fraction);
}

/**
 * Temporary files of interrupted writes take space but lose nothing: a warning. (A backup running right now
 * has some too: they are listed all the same, as check cannot tell them apart.)
 */
async function findLeftovers(repository: Repository, problems: CheckProblem[]): Promise<void> {
  try {
    const found = await repository.removeLeftovers(0, { dryRun: true });
    if (found.removed.length === 0) return;
    problems.push({ kind: "leftovers", severity: "warning", files: found.removed, bytes: found.bytes });
  } catch (error) {
    problems.push({ kind: "leftovers-unreadable", severity: "error", reason: describeError(error) });
  }
}
