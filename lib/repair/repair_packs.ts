/**
 * `kept repair packs`: salvages damaged packs. `kept check --read-data` names a pack whose bytes no longer
 * match; its index entries still claim every blob in it, so backups keep deduplicating against the damaged
 * ones and `kept repair index` (which trusts a pack of the right size) cannot help. Each named pack is read
 * whole and every blob in it checked (seal and id); the intact ones are copied into new packs, the damaged
 * ones are left behind, and the pack goes. The next backup then stores again what the sources still hold.
 *
 * The order keeps every crash safe, as prune's does (docs/format.md#prune): new packs and the index files
 * naming them, then index files naming every other pack, then the old index files removed, then the
 * damaged packs removed. Killed in between, blobs are indexed twice (readers accept it) or a damaged pack
 * is left unindexed (prune removes it after its grace period); nothing intact is ever unindexed.
 *
 * @module
 */

import { fromHex } from "../crypto/mod.ts";
import { UserError } from "../errors.ts";
import {
  asPackId,
  BlobOpener,
  type PackEntry,
  type PackId,
  type PackReader,
  type PackSink,
} from "../repo/mod.ts";
import {
  applyIndexRepair,
  type IndexRepairSource,
  type IndexRepairTarget,
  type RepairedPack,
} from "./repair_index.ts";

/**
 * What salvaging packs needs of a repository (a `Repository` has it all): what an index repair reads and
 * writes, and a sink for the copies with the keys to check each blob by.
 */
export interface PackRepairTarget extends Omit<IndexRepairSource, "headerKey">, IndexRepairTarget {
  /** A pack sink that stores blobs the index has already (copies). */
  packSink(options: { copies: true }): PackSink;
  /** The keys each blob is checked with (its seal and id). */
  workerKeys(): { encrypt: Uint8Array; id: Uint8Array };
  removePacks(ids: readonly PackId[]): Promise<void>;
}

/** What became of one pack. */
export interface SalvagedPack {
  pack: PackId;
  /** Blobs copied into new packs. */
  intact: number;
  /** Blobs that failed their check: gone with the pack. */
  damaged: { id: string; type: PackEntry["type"] }[];
}

/** What a repair did (or, with `dryRun`, would do). */
export interface PackRepairResult {
  packs: SalvagedPack[];
  /** Sealed bytes copied into new packs. */
  copiedBytes: number;
  indexFilesWritten: number;
  indexFilesRemoved: number;
}

/**
 * The stored packs that `names` (full ids or unique prefixes of at least 8 digits, as `kept check` prints
 * them) stand for, each once.
 *
 * @throws {UserError} for a name that is not a pack id, matches no stored pack, or matches several.
 */
export async function findPacks(
  packs: Pick<PackReader, "list">,
  names: readonly string[],
): Promise<PackId[]> {
  const stored: string[] = [];
  for await (const entry of packs.list()) stored.push(entry.name);
  const found = new Set<PackId>();
  for (const name of names) {
    if (!/^[0-9a-f]{8,64}$/.test(name)) {
      throw new UserError(`"${name}" is not a pack id: expected 8 to 64 lower-case hex digits`);
    }
    const matches = stored.filter((pack) => pack.startsWith(name));
    if (matches.length === 0) {
      // One that check names as missing is the index's to drop: there is nothing left to salvage.
      throw new UserError(`No pack "${name}" is stored in the repository`, {
        hint: "a pack that is gone cannot be salvaged: `kept repair index` drops it from the index",
      });
    }
    if (matches.length > 1) {
      throw new UserError(`"${name}" names ${matches.length} packs (${matches.slice(0, 3).join(", ")}…)`);
    }
    found.add(asPackId(matches[0]!));
  }
  return [...found];
}

/**
 * Salvages `packs`: checks every blob the index lists in each, copies the intact ones into new packs,
 * rewrites the index without the salvaged packs, and removes them. With `dryRun` it only reads and
 * checks.
 *
 * @throws {UserError} for a pack the index does not describe (`kept repair index` first).
 */
export async function repairPacks(
  target: PackRepairTarget,
  packs: readonly PackId[],
  options: { dryRun?: boolean } = {},
): Promise<PackRepairResult> {
  for (const pack of packs) {
    if (!target.index.packEntries(pack)?.length) {
      throw new UserError(
        `Pack ${
          pack.slice(0, 12)
        } is not in the index: \`kept repair index\` describes it from its header first`,
      );
    }
  }
  const sink = options.dryRun ? undefined : target.packSink({ copies: true });
  const result: PackRepairResult = { packs: [], copiedBytes: 0, indexFilesWritten: 0, indexFilesRemoved: 0 };
  try {
    const opener = new BlobOpener(target.workerKeys());
    for (const pack of packs) result.packs.push(await salvage(target, opener, pack, sink, result));
    await sink?.finish();
  } catch (error) {
    await sink?.discard().catch(() => {});
    throw error;
  }
  if (options.dryRun) return result;

  const salvaged = new Set<PackId>(packs);
  const others: RepairedPack[] = [...target.index.packIds()]
    .filter((pack) => !salvaged.has(pack))
    .sort()
    .map((id) => ({ id, entries: target.index.packEntries(id) ?? [], from: "index" }));
  const rewritten = await applyIndexRepair(target, { packs: others, oldIndexFiles: target.indexFiles });
  result.indexFilesWritten = rewritten.indexFilesWritten;
  result.indexFilesRemoved = rewritten.indexFilesRemoved;
  await target.removePacks(packs);
  return result;
}

/** Checks every blob of one pack; hands the intact ones to `sink` (none in a dry run). */
async function salvage(
  target: PackRepairTarget,
  opener: BlobOpener,
  pack: PackId,
  sink: PackSink | undefined,
  result: PackRepairResult,
): Promise<SalvagedPack> {
  const bytes = await target.packs.read(pack);
  const salvaged: SalvagedPack = { pack, intact: 0, damaged: [] };
  for (const entry of target.index.packEntries(pack)!) {
    const sealed = bytes.subarray(entry.offset, entry.offset + entry.length);
    if (sealed.length !== entry.length || !opener.open(entry.id, entry.rawLength, sealed)) {
      salvaged.damaged.push({ id: entry.id, type: entry.type });
      continue;
    }
    // The sink copies the bytes before it settles: the pack's buffer may go once it has.
    await sink?.add(entry.type, fromHex(entry.id), sealed, entry.rawLength);
    salvaged.intact++;
    result.copiedBytes += entry.length;
  }
  return salvaged;
}
