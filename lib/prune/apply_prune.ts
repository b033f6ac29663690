/**
 * Carrying out a {@link PrunePlan}, in the order that keeps every crash safe (docs/format.md#prune): new
 * packs (with the index files naming them), then index files naming every pack kept, then the old index
 * files removed, then the packs nothing names any more removed.
 *
 * @module
 */

import { fromHex } from "../crypto/mod.ts";
import { IntegrityError } from "../errors.ts";
import { BlobOpener, type IndexFile, type PackEntry, type PackSink, toIndexFile } from "../repo/mod.ts";
import { PACKS_PER_INDEX, type PrunePlan, type RepackPack } from "./plan_prune.ts";

/** Packs removed in one call: one DeleteObjects request on S3 (its limit), and a progress step after. */
const PACKS_PER_REMOVAL = 1000;

/** What carrying out a plan needs of a repository (a `Repository` has it all). */
export interface PruneTarget {
  readonly index: { packEntries(pack: string): readonly PackEntry[] | undefined };
  readonly packs: { read(pack: string): Promise<Uint8Array> };
  /** A pack sink that stores blobs the index has already (copies). */
  packSink(options: { copies: true }): PackSink;
  /** The keys to verify each copied blob with (its seal and id). */
  workerKeys(): { encrypt: Uint8Array; id: Uint8Array };
  writeMeta(kind: "index", value: IndexFile): Promise<string>;
  removeIndexFile(name: string): Promise<void>;
  removePacks(ids: readonly string[]): Promise<void>;
}

/** A point in prune's work, reported before the work goes on (progress, and tests that stop it there). */
export type PruneStep =
  | { kind: "repacked"; pack: string }
  | { kind: "new-packs-stored" }
  | { kind: "index-written"; name: string }
  | { kind: "index-removed"; name: string }
  | { kind: "pack-removed"; pack: string };

/** Options of {@link applyPrune}. */
export interface ApplyPruneOptions {
  /** Called after each step; prune waits for it. */
  onStep?: ((step: PruneStep) => void | Promise<void>) | undefined;
}

/** What prune did. */
export interface PruneResult {
  repackedPacks: number;
  /** Blobs and sealed bytes copied into new packs. */
  copiedBlobs: number;
  copiedBytes: number;
  indexFilesWritten: number;
  indexFilesRemoved: number;
  packsRemoved: number;
}

/**
 * Carries out `plan`. Killed at any point, every snapshot stays restorable and the next prune finishes the
 * work; it stops at the first storage error the same way.
 *
 * @throws {IntegrityError} when a blob to copy is damaged (before any index file or pack is removed).
 */
export async function applyPrune(
  target: PruneTarget,
  plan: PrunePlan,
  options: ApplyPruneOptions = {},
): Promise<PruneResult> {
  const step = async (done: PruneStep) => await options.onStep?.(done);
  const result: PruneResult = {
    repackedPacks: 0,
    copiedBlobs: 0,
    copiedBytes: 0,
    indexFilesWritten: 0,
    indexFilesRemoved: 0,
    packsRemoved: 0,
  };
  if (plan.repack.packList.length > 0) {
    await repack(target, plan.repack.packList, result, step);
    await step({ kind: "new-packs-stored" });
  }
  if (plan.indexFiles.length > 0) {
    for (const file of keptIndexFiles(target, plan)) {
      await step({ kind: "index-written", name: await target.writeMeta("index", file) });
      result.indexFilesWritten++;
    }
    for (const name of plan.indexFiles) {
      await target.removeIndexFile(name);
      result.indexFilesRemoved++;
      await step({ kind: "index-removed", name });
    }
  }
  const removable = [
    ...plan.delete.ids,
    ...plan.repack.packList.map((pack) => pack.pack),
    ...plan.unindexed.delete.ids,
  ];
  for (let start = 0; start < removable.length; start += PACKS_PER_REMOVAL) {
    const batch = removable.slice(start, start + PACKS_PER_REMOVAL);
    await target.removePacks(batch);
    for (const pack of batch) {
      result.packsRemoved++;
      await step({ kind: "pack-removed", pack });
    }
  }
  return result;
}

/**
 * Copies the used blobs of `packs` into new packs, sealed bytes as they are (a sealed blob does not depend
 * on its pack), each verified first; stores the new packs and the index files naming them.
 */
async function repack(
  target: PruneTarget,
  packs: readonly RepackPack[],
  result: PruneResult,
  step: (done: PruneStep) => Promise<void>,
): Promise<void> {
  const sink = target.packSink({ copies: true });
  const opener = new BlobOpener(target.workerKeys());
  try {
    for (const { pack, copy } of packs) {
      const bytes = await target.packs.read(pack);
      for (const entry of copy) {
        const sealed = bytes.subarray(entry.offset, entry.offset + entry.length);
        if (sealed.length !== entry.length || !opener.open(entry.id, entry.rawLength, sealed)) {
          throw new IntegrityError(
            `Cannot repack pack "${pack.slice(0, 12)}": blob "${entry.id.slice(0, 12)}" is damaged; ` +
              `nothing was deleted`,
          );
        }
        // The sink copies the bytes before it settles: the pack's buffer may go once it has.
        await sink.add(entry.type, fromHex(entry.id), sealed, entry.rawLength);
        result.copiedBlobs++;
        result.copiedBytes += entry.length;
      }
      result.repackedPacks++;
      await step({ kind: "repacked", pack });
    }
    await sink.finish();
  } catch (error) {
    await sink.discard();
    throw error;
  }
}

/** Index files naming every kept pack with its entries, as the loaded index has them. */
function keptIndexFiles(target: PruneTarget, plan: PrunePlan): IndexFile[] {
  const files: IndexFile[] = [];
  const ids = plan.keep.ids;
  for (let first = 0; first < ids.length; first += PACKS_PER_INDEX) {
    files.push(toIndexFile(
      ids.slice(first, first + PACKS_PER_INDEX).map((id) => ({
        id,
        entries: target.index.packEntries(id) ?? [],
      })),
    ));
  }
  return files;
}
