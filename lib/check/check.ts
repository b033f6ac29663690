/**
 * Verifies a repository: every blob a snapshot needs is indexed and its pack exists; with `readData`,
 * every pack (or a subset) is read, hashed, and every blob in it decrypted and checked against its id.
 * Damage is reported with the packs, snapshots and files it affects.
 *
 * @module
 */

import type { Handle } from "../backends/mod.ts";
import { describeError, UserError } from "../errors.ts";
import { formatBytes } from "../plan/mod.ts";
import type { PackEntry } from "../repo/mod.ts";
import { mapLimit, type Repository, type SnapshotEntry } from "../repo/mod.ts";
import { isSafeName } from "../repo/mod.ts";
import { BatchingPool } from "../workers/mod.ts";
import type { PackVerdict, VerifyKeys } from "./_verify_pack.ts";
import type { PackJob, VerifyRequest, VerifyResponse } from "./_verify_worker.ts";

/** Options of {@link check}. */
export interface CheckOptions {
  /** Read and verify pack contents. */
  readData?: boolean;
  /** Read only this fraction (0..1] of the packs, chosen at random. */
  readDataSubset?: number;
  onProgress?: (message: string) => void;
}

/** What a check found. `ok` is false when anything is wrong. */
export interface CheckResult {
  ok: boolean;
  snapshots: number;
  packs: number;
  packsRead: number;
  /** One line per problem. */
  errors: string[];
  /** Problems that lose nothing (e.g. unreferenced packs, which prune removes). */
  warnings: string[];
  damagedPacks: string[];
  /** Snapshot id → paths of files whose data is damaged or missing. */
  affected: Map<string, string[]>;
}

/** Checks the repository's structure and, optionally, its data. */
export async function check(repository: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  const result: CheckResult = {
    ok: true,
    snapshots: 0,
    packs: 0,
    packsRead: 0,
    errors: [],
    warnings: [],
    damagedPacks: [],
    affected: new Map(),
  };
  await repository.loadIndex();
  repository.cachePacks(4);

  const stored = new Map<string, number>();
  for await (const entry of repository.packs.list()) stored.set(entry.name, entry.size);
  result.packs = stored.size;
  const indexed = new Set(repository.index.packIds());
  const badBlobs = new Set<string>();
  for (const pack of indexed) {
    if (!stored.has(pack)) {
      result.errors.push(`pack ${pack} is in the index but missing from storage`);
      result.damagedPacks.push(pack);
      for (const entry of repository.index.packEntries(pack) ?? []) badBlobs.add(entry.id);
    }
  }
  for (const pack of stored.keys()) {
    if (!indexed.has(pack)) result.warnings.push(`pack ${pack} is not in any index (prune removes it)`);
  }

  if (options.readData || options.readDataSubset !== undefined) {
    const packs = [...indexed].filter((p) => stored.has(p));
    const fraction = options.readDataSubset ?? 1;
    const chosen = fraction >= 1 ? packs : packs.filter(() => Math.random() < fraction);
    const localPath = (handle: Handle) => {
      const path = repository.packs.localPath(handle.name);
      if (path === undefined) {
        throw new UserError(`Reading the data of ${repository.location} is not supported yet`);
      }
      return path;
    };
    const workers = navigator.hardwareConcurrency ?? 2;
    const verifier = new PackVerifier(workers, repository.workerKeys());
    try {
      // Two packs per worker in flight: the one it reads and the next.
      const problems = await mapLimit(chosen, 2 * workers, async (pack) => {
        const problem = await verifyPack(repository, verifier, localPath, pack, badBlobs);
        result.packsRead++;
        options.onProgress?.(`read ${result.packsRead}/${chosen.length} packs`);
        return problem;
      });
      chosen.forEach((pack, i) => {
        if (!problems[i]) return;
        result.errors.push(`pack ${pack}: ${problems[i]}`);
        result.damagedPacks.push(pack);
      });
    } finally {
      verifier.close();
    }
  }

  let snapshots: SnapshotEntry[] = [];
  try {
    snapshots = await repository.listSnapshots();
  } catch (error) {
    result.errors.push(`cannot read snapshots: ${describeError(error)}`);
  }
  result.snapshots = snapshots.length;
  const treesSeen = new Map<string, boolean>();
  for (const { id, snapshot } of snapshots) {
    const affected: string[] = [];
    await walkTree(repository, snapshot.tree, "", badBlobs, treesSeen, affected, result.errors);
    if (affected.length > 0) result.affected.set(id, affected);
  }
  for (const [id, paths] of result.affected) {
    result.errors.push(`snapshot ${id.slice(0, 12)} has damaged or missing data in: ${paths.join(", ")}`);
  }
  await reportLeftovers(repository, result);
  result.ok = result.errors.length === 0;
  return result;
}

/**
 * Temporary files of interrupted writes take space but lose nothing: a warning, and who removes them. (A
 * backup running right now has some too: they are listed all the same, as check cannot tell them apart.)
 */
async function reportLeftovers(repository: Repository, result: CheckResult): Promise<void> {
  try {
    const found = await repository.removeLeftovers(0, { dryRun: true });
    if (!found || found.removed.length === 0) return;
    const shown = found.removed.slice(0, 5).join(", ");
    const more = found.removed.length > 5 ? ` and ${found.removed.length - 5} more` : "";
    const files = found.removed.length === 1 ? "1 temporary file" : `${found.removed.length} temporary files`;
    result.warnings.push(
      `${files} (${formatBytes(found.bytes)}) left by interrupted writes, or being written by a backup ` +
        `running now: ${shown}${more} (a backup removes them once they are a day old)`,
    );
  } catch (error) {
    result.errors.push(`cannot look for temporary files: ${describeError(error)}`);
  }
}

/** Verifies packs on every core: each worker reads a pack file and checks it. */
class PackVerifier {
  #pool: BatchingPool<Omit<PackJob, "job">, PackVerdict, VerifyResponse>;

  constructor(count: number, keys: VerifyKeys) {
    this.#pool = new BatchingPool(
      new URL("./_verify_worker.ts", import.meta.url),
      count,
      // One pack being read and one waiting per worker; a pack per message.
      { jobsPerWorker: 2, batchJobs: 1, batchBytes: 1 },
      {
        label: "verify worker",
        init: (worker) => worker.postMessage({ type: "init", keys } satisfies VerifyRequest),
        send: (worker, jobs) => {
          const packs = jobs.map((job) => ({ ...job.payload, job: job.id }));
          worker.postMessage({ type: "packs", packs } satisfies VerifyRequest);
        },
        receive: (index, response) => {
          for (const { job: id, ...verdict } of response.done) this.#pool.finish(index, id)?.resolve(verdict);
        },
      },
    );
  }

  /** Reads and verifies one pack: its hash, header and every blob listed in `entries`. */
  verify(pack: string, path: string, entries: PackEntry[]): Promise<PackVerdict> {
    return this.#pool.submit({ pack, path, entries }, 1);
  }

  close(): void {
    this.#pool.terminate();
  }
}

/**
 * Verifies one pack; returns the problem or undefined. Only the blobs that fail (all of them when the
 * pack cannot be read) are added to `badBlobs`: a damaged header or one damaged blob leaves the pack's
 * other blobs restorable.
 */
async function verifyPack(
  repository: Repository,
  verifier: PackVerifier,
  localPath: (handle: Handle) => string,
  pack: string,
  badBlobs: Set<string>,
): Promise<string | undefined> {
  const entries = [...(repository.index.packEntries(pack) ?? [])];
  const verdict = await verifier.verify(pack, localPath({ kind: "data", name: pack }), entries);
  for (const id of verdict.badBlobs) badBlobs.add(id);
  return verdict.problems.length > 0 ? verdict.problems.join("; ") : undefined;
}

/**
 * Walks a tree: every subtree and data blob must be indexed and not damaged. Collects the paths of
 * affected files. `seen` remembers verdicts for shared subtrees (true: clean).
 */
async function walkTree(
  repository: Repository,
  treeId: string,
  path: string,
  badBlobs: ReadonlySet<string>,
  seen: Map<string, boolean>,
  affected: string[],
  errors: string[],
): Promise<boolean> {
  const verdict = seen.get(treeId);
  if (verdict === true) return true;
  if (!repository.index.has(treeId) || badBlobs.has(treeId)) {
    affected.push(`${path || "/"} (folder listing)`);
    seen.set(treeId, false);
    return false;
  }
  let clean = true;
  try {
    const tree = await repository.loadTree(treeId);
    const names = new Set<string>();
    for (const node of tree.nodes) {
      const nodePath = `${path}/${node.name}`;
      // Restore refuses these; check says so before anyone needs the snapshot.
      if (!isSafeName(node.name)) {
        errors.push(
          `${path || "/"}: unsafe name ${JSON.stringify(node.name)} in folder listing ${treeId.slice(0, 12)}`,
        );
        clean = false;
        continue;
      }
      if (names.has(node.name)) {
        errors.push(`${path || "/"}: folder listing ${treeId.slice(0, 12)} lists "${node.name}" twice`);
        clean = false;
      }
      names.add(node.name);
      if (node.type === "dir" && node.subtree) {
        if (!(await walkTree(repository, node.subtree, nodePath, badBlobs, seen, affected, errors))) {
          clean = false;
        }
      } else if (node.type === "file") {
        const missing = (node.content ?? []).some((id) => !repository.index.has(id) || badBlobs.has(id));
        if (missing) {
          affected.push(nodePath);
          clean = false;
        }
      }
    }
  } catch (error) {
    errors.push(`tree ${treeId.slice(0, 12)} at ${path || "/"}: ${describeError(error)}`);
    clean = false;
  }
  seen.set(treeId, clean);
  return clean;
}
