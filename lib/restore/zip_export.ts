// Export: a snapshot, or a path in it, written as one zip archive to a stream (docs/restore.md#zip). The
// entries are the ones a restore would write into an empty folder, in its order, named by their path in
// the snapshot without the leading slash (etc/ssh/sshd_config), with mode, owner and modification time.

import { describeError, IntegrityError, UserError } from "../errors.ts";
import { describePath, pathBytes } from "../platform/mod.ts";
import type { BlobId, TreeNode } from "../repo/mod.ts";
import { type ErrorKind, errorKind, IoError } from "../workers/mod.ts";
import { type ExportPlanOptions, planExport, type TreeSource } from "./plan_restore.ts";
import type { RestoreEntry, RestoreProblem } from "./types.ts";
import { type ZipEntryInfo, ZipWriter } from "./_zip_writer.ts";

/** Deflate level of file contents: zlib's default, as zip(1) and restic's dump use. */
export const ZIP_LEVEL = 6;

/** What an export reads of a repository: trees, and the blobs of file contents, each verified. */
export interface ExportSource extends TreeSource {
  loadBlob(id: BlobId): Promise<Uint8Array>;
}

/** Options of {@linkcode exportZip}. */
export interface ZipOptions extends ExportPlanOptions {
  /** Called with each entry left out of the archive (refused, FIFO, device) as it is met; in the result too. */
  onLeftOut?: (entry: RestoreEntry) => void;
  /** Called with each entry once it is in the archive, and the bytes of content it holds (progress). */
  onProgress?: (entry: RestoreEntry, bytes: number) => void;
  /** Deflate level, 0 (stored) to 9 (default {@linkcode ZIP_LEVEL}). */
  level?: number;
}

/** What an export wrote, and what it left out. */
export interface ZipResult {
  /** Files and symlinks in the archive; each hard link is a file of its own. */
  files: number;
  dirs: number;
  /** Bytes of file content. */
  bytes: number;
  /** FIFOs and device nodes, which a zip archive cannot hold (sockets are left out as a restore leaves them). */
  special: RestoreEntry[];
  /** Entries a restore would refuse too: names that are not one safe path component. */
  problems: RestoreProblem[];
}

/**
 * Writes the snapshot's entries below `options.path` (matching `options.include`) to `out` as a zip
 * archive (Zip64 where sizes need it), then closes `out`. File contents are read a blob at a time (the
 * next one read meanwhile) and deflated, at level 0 when their first blob does not shrink; links are
 * stored with their target as content, as Info-ZIP does; hard links are each a file of their own.
 *
 * @throws {IntegrityError} (or `IoError`) naming the entry, as soon as a folder's tree or a file's data
 * cannot be read, and an `IoError` when `out` refuses what is written: the archive is then incomplete (`out`
 * is aborted), and whoever made it must not keep it. Throws as `planRestore()` does for a bad path or
 * include pattern (`out` aborted, nothing written).
 */
export async function exportZip(
  source: ExportSource,
  out: WritableStream<Uint8Array>,
  options: ZipOptions,
): Promise<ZipResult> {
  const result: ZipResult = { files: 0, dirs: 0, bytes: 0, special: [], problems: [] };
  const writer = new ZipWriter(out);
  const level = options.level ?? ZIP_LEVEL;
  try {
    const entries = await planExport(source, options);
    for await (const entry of entries) {
      const written = await addEntry(writer, source, entry, { result, level });
      // Sockets are left out as a restore leaves them, by design: not reported.
      if (written === undefined && entry.node.type !== "socket") options.onLeftOut?.(entry);
      else if (written !== undefined) options.onProgress?.(entry, written);
    }
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => {}); // already errored when the stream itself failed
    // What reading throws names its entry (blobsOf); what the system refused here was the writing.
    if (!(error instanceof UserError) && errorKind(error) === "io") {
      throw new IoError(`Cannot write the zip archive: ${describeError(error)}`, { cause: error });
    }
    throw error;
  }
  return result;
}

/**
 * Adds one planned entry to the archive and counts it; returns the bytes of content added, or undefined
 * for an entry left out (counted in `result`).
 */
async function addEntry(
  writer: ZipWriter,
  source: ExportSource,
  entry: RestoreEntry,
  { result, level }: { result: ZipResult; level: number },
): Promise<number | undefined> {
  const { node } = entry;
  if (entry.action === "fail") {
    throw entryError(entry, entry.error?.kind ?? "integrity", entry.error?.message ?? "cannot be read");
  }
  if (entry.action === "refuse") {
    result.problems.push(entry as RestoreProblem);
    return undefined;
  }
  const name = entry.path.slice(1);
  switch (node.type) {
    case "dir":
      await writer.addFolder(infoOf(`${name}/`, node, 0o040000));
      result.dirs++;
      return 0;
    case "symlink":
      await writer.addLink(infoOf(name, node, 0o120000), pathBytes(node.target ?? ""));
      result.files++;
      return 0;
    case "file": {
      const size = node.size ?? 0;
      await writer.addFile(infoOf(name, node, 0o100000), blobsOf(source, entry), size, level);
      result.files++;
      result.bytes += size;
      return size;
    }
    case "socket":
      return undefined;
    default: // FIFOs and device nodes
      result.special.push(entry);
      return undefined;
  }
}

/** An entry's name (as the bytes it stands for: docs/format.md#names), file type, mode, owner and time. */
function infoOf(name: string, node: TreeNode, fileType: number): ZipEntryInfo {
  return {
    name: pathBytes(name),
    unixMode: fileType | (node.mode & 0o7777),
    mtimeMs: node.mtime,
    uid: node.uid,
    gid: node.gid,
  };
}

/**
 * A file's content, a blob at a time, with the next blob already being read. A blob that cannot be read
 * throws an error of its kind naming the file (a bug as it is).
 */
async function* blobsOf(source: ExportSource, entry: RestoreEntry): AsyncGenerator<Uint8Array> {
  const ids = entry.node.content ?? [];
  const load = (id: BlobId) => {
    const loading = source.loadBlob(id);
    loading.catch(() => {}); // awaited below, unless the export stops first
    return loading;
  };
  let ahead = ids.length > 0 ? load(ids[0]!) : undefined;
  for (let i = 0; i < ids.length; i++) {
    const loading = ahead!;
    ahead = i + 1 < ids.length ? load(ids[i + 1]!) : undefined;
    try {
      yield await loading;
    } catch (error) {
      const kind = errorKind(error);
      throw kind === "bug" ? error : entryError(entry, kind, describeError(error), error);
    }
  }
}

/** An error of `kind` that names the entry it stopped the export at. */
function entryError(entry: RestoreEntry, kind: Exclude<ErrorKind, "bug">, message: string, cause?: unknown) {
  const text = `${describePath(entry.path)}: ${message}`;
  return kind === "integrity" ? new IntegrityError(text, { cause }) : new IoError(text, { cause });
}
