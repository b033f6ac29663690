// `check --read-data`: reads the chosen packs and verifies them on every core. Packs in a local folder the
// workers open themselves, and the main thread takes its share; packs elsewhere are read here, whole, and
// handed over (transferred, not copied).

import { describeError } from "../errors.ts";
import { mapLimit, type PackEntry, type PackId, type Repository } from "../repo/mod.ts";
import { BatchingPool, decodeWorkerError, errorKind } from "../workers/mod.ts";
import type { CheckProblem } from "./check_problem.ts";
import {
  PackChecker,
  type PackOutcome,
  type PackSourceJob,
  type PackVerdict,
  type VerifyKeys,
} from "./_verify_pack.ts";
import type { PackJob, VerifyRequest, VerifyResponse } from "./_verify_worker.ts";

/** How far reading has come, for progress displays. */
export interface ReadProgress {
  packsRead: number;
  packsToRead: number;
  /** Bytes of the packs read, and of all to read (as the index gives their sizes). */
  bytesRead: number;
  bytesToRead: number;
}

/** What became of one pack: a verdict, or why it could not be read (a bug is thrown instead). */
type ReadOutcome = { verdict: PackVerdict } | { unreadable: { cause: "io" | "integrity"; reason: string } };

/**
 * Reads and verifies `packs`; adds a problem for each damaged or unreadable one (in the order of `packs`),
 * and the ids of the blobs they lose to `badBlobs`. A pack that is damaged in one place only loses the
 * blobs there: its other blobs stay restorable.
 *
 * @throws {WorkerBugError} (or the main thread's own error) for a bug, never reported as a damaged pack.
 */
export async function readPacks(
  repository: Repository,
  packs: readonly PackId[],
  context: {
    badBlobs: Set<string>;
    problems: CheckProblem[];
    workers: number;
    onProgress?: ((progress: ReadProgress) => void) | undefined;
  },
): Promise<void> {
  const { badBlobs, workers } = context;
  const verifier = new PackVerifier(repository, workers);
  let packsRead = 0;
  let bytesRead = 0;
  // From the index's rows, not its entries: an object and a hex id per blob, three times over, cost a
  // check of 1 GiB 50 MiB of peak RSS.
  const sizeOf = (pack: PackId) => repository.index.packSize(pack) ?? 0;
  const bytesToRead = packs.reduce((sum, pack) => sum + sizeOf(pack), 0);
  try {
    // The packs each worker holds (also the bound on whole packs held here), and the one this thread checks.
    const outcomes = await mapLimit(packs, verifier.inFlight, async (pack) => {
      const entries = [...(repository.index.packEntries(pack) ?? [])];
      const outcome = await readPack(repository, verifier, pack, entries);
      const lost = "verdict" in outcome ? outcome.verdict.damagedBlobs : entries.map((entry) => entry.id);
      for (const id of lost) badBlobs.add(id);
      bytesRead += sizeOf(pack);
      context.onProgress?.({ packsRead: ++packsRead, packsToRead: packs.length, bytesRead, bytesToRead });
      return outcome;
    });
    packs.forEach((pack, i) => {
      const problem = packProblem(pack, outcomes[i]!);
      if (problem) context.problems.push(problem);
    });
  } finally {
    verifier.close();
  }
}

/**
 * Verifies one pack: by its path where it lies in a local folder, else by its bytes, read here. Storage
 * and integrity errors make the pack unreadable; a bug (here or in a worker) is thrown.
 */
async function readPack(
  repository: Repository,
  verifier: PackVerifier,
  pack: PackId,
  entries: PackEntry[],
): Promise<ReadOutcome> {
  try {
    const path = repository.packs.localPath(pack);
    const source = path !== undefined ? { path } : { bytes: await repository.packs.read(pack) };
    return { verdict: await verifier.verify(pack, source, entries) };
  } catch (error) {
    const cause = errorKind(error);
    if (cause === "bug") throw error;
    return { unreadable: { cause, reason: describeError(error) } };
  }
}

/** The problem a pack's outcome amounts to, if any. */
function packProblem(pack: string, outcome: ReadOutcome): CheckProblem | undefined {
  if ("unreadable" in outcome) {
    return { kind: "pack-unreadable", severity: "error", pack, ...outcome.unreadable };
  }
  const { damagedBlobs, hashMismatch, headerDamaged } = outcome.verdict;
  if (damagedBlobs.length === 0 && !hashMismatch && !headerDamaged) return undefined;
  return { kind: "pack-damaged", severity: "error", pack, damagedBlobs, hashMismatch, headerDamaged };
}

/**
 * Verifies packs on every core: each worker reads (or is given) a pack and checks it. With packs in a local
 * folder the main thread has nothing else to do, so it checks packs too, in place of one worker: the same
 * cores busy, one isolate fewer (its heap, young generation and buffers: ~20 MiB of a check's peak).
 */
class PackVerifier {
  #pool: BatchingPool<Omit<PackJob, "job">, PackVerdict, VerifyResponse> | undefined;
  /** The main thread's checker, where it takes a share; `busy` while it checks one. */
  #here: { checker: PackChecker; busy: boolean } | undefined;
  readonly #workers: number;
  /** Packs a worker may hold: the one it reads and the next, and a third while this thread checks one. */
  readonly #perWorker: number;

  constructor(repository: Repository, count: number) {
    const keys = repository.workerKeys();
    const local = repository.packs.localFiles;
    if (local) this.#here = { checker: new PackChecker(keys), busy: false };
    this.#workers = local ? count - 1 : Math.max(1, count);
    // While this thread checks a pack it hears no worker: a worker that finished its two would wait.
    this.#perWorker = local ? 3 : 2;
    if (this.#workers > 0) {
      this.#pool = newPool(
        this.#workers,
        this.#perWorker,
        keys,
        (index, response) => this.#receive(index, response),
      );
    }
  }

  /** Packs to have in flight: the workers' and the one here. */
  get inFlight(): number {
    return this.#perWorker * this.#workers + (this.#here ? 1 : 0);
  }

  /**
   * Verifies one pack: its hash, header and every blob listed in `entries`. Rejects with an `IoError` or an
   * `IntegrityError` when it cannot be read, and with a `WorkerBugError` for a bug, wherever it ran.
   */
  async verify(pack: string, source: PackSourceJob, entries: PackEntry[]): Promise<PackVerdict> {
    const here = this.#here;
    if (!here || here.busy) return this.#pool!.submit({ pack, source, entries }, 1);
    here.busy = true;
    try {
      // Let the workers' answers in first: a check here holds this thread for a pack's time.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return verdictOf(here.checker.check(pack, source, entries));
    } finally {
      here.busy = false;
    }
  }

  close(): void {
    this.#pool?.terminate();
  }

  #receive(index: number, response: VerifyResponse): void {
    for (const { job: id, ...outcome } of response.done) {
      const job = this.#pool!.finish(index, id);
      if ("verdict" in outcome) job?.resolve(outcome.verdict);
      else job?.reject(decodeWorkerError(outcome.error, "verify worker"));
    }
  }
}

/** The verdict of an outcome, or its error, as a worker's would be rejected. */
function verdictOf(outcome: PackOutcome): PackVerdict {
  if ("verdict" in outcome) return outcome.verdict;
  throw decodeWorkerError(outcome.error, "pack check");
}

function newPool(
  count: number,
  perWorker: number,
  keys: VerifyKeys,
  receive: (index: number, response: VerifyResponse) => void,
): BatchingPool<Omit<PackJob, "job">, PackVerdict, VerifyResponse> {
  return new BatchingPool(
    new URL("./_verify_worker.ts", import.meta.url),
    count,
    // A pack per message.
    { jobsPerWorker: perWorker, batchJobs: 1, batchBytes: 1 },
    {
      label: "verify worker",
      init: (worker) => worker.postMessage({ type: "init", keys } satisfies VerifyRequest),
      send: (worker, jobs) => {
        const packs = jobs.map((job) => ({ ...job.payload, job: job.id }));
        worker.postMessage({ type: "packs", packs } satisfies VerifyRequest, {
          transfer: transferable(packs),
        });
      },
      receive,
    },
  );
}

/**
 * The buffers of packs handed over whole: moved to the worker rather than copied (`get` gives the caller
 * bytes of its own, so nothing else refers to them).
 */
function transferable(packs: readonly PackJob[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const { source } of packs) {
    if ("bytes" in source && source.bytes.buffer instanceof ArrayBuffer) buffers.push(source.bytes.buffer);
  }
  return buffers;
}
