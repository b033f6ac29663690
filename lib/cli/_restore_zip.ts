// `kept restore SNAPSHOT --zip FILE`: the snapshot, or a path in it, as one zip archive (docs/restore.md#zip).
// A file is written under a temporary name beside it and renamed into place once complete, so an export
// that fails or is interrupted leaves no zip that looks whole; `--zip -` streams to stdout (not a terminal),
// and then every line kept prints goes to stderr.

import { basename, dirname, join } from "node:path";
import { UsageError, UserError } from "../errors.ts";
import { formatBytes } from "../plan/mod.ts";
import type { Repository } from "../repo/mod.ts";
import {
  exportZip,
  folderProblem,
  type RestoreEntry,
  type ZipOptions,
  type ZipResult,
} from "../restore/mod.ts";
import { escapeName, type Output } from "./output.ts";
import { pathJson } from "./_json.ts";
import type { CommandKit } from "./_command_kit.ts";
import { terminalProgress } from "./_progress.ts";
import { RestoreProgress } from "./_restore_progress.ts";
import { counted } from "./_counted.ts";

/** What `--zip` takes from restore's flags. */
export interface ZipFlags {
  zip: string;
  /** Default 6. */
  zipLevel?: string;
  path?: string;
  include?: string[];
  overwrite?: boolean;
  json?: boolean;
}

/** Entries and a summary, as text or JSON lines, on the stream that does not carry the archive. */
interface ZipReport {
  leftOut(entry: RestoreEntry): void;
  added?: (entry: RestoreEntry) => void;
  summary(result: ZipResult): void;
}

/** The deflate level when `--zip-level` is not given (zip's and gzip's own default). */
export const DEFAULT_ZIP_LEVEL = 6;

/** Refuses flags that cannot go with `--zip` before a repository is opened; a `UsageError` says why. */
export function assertZipFlags(flags: ZipFlags & { target?: string; dryRun?: boolean }): void {
  if (flags.target !== undefined) throw new UsageError("Give --target DIR or --zip FILE, not both");
  if (flags.dryRun) {
    throw new UsageError("--dry-run lists a restore into a folder: it does not go with --zip");
  }
  if (flags.zip === "") throw new UsageError(`Invalid --zip "": give the file to write, or - for stdout`);
  if (flags.zip.endsWith("/")) {
    throw new UsageError(`Invalid --zip "${flags.zip}": give a file, not a folder`);
  }
  zipLevel(flags.zipLevel);
  if (flags.zip === "-" && flags.json) {
    throw new UsageError("--json prints to stdout, where --zip - writes the archive: give --zip a file");
  }
  if (flags.zip === "-" && Deno.stdout.isTerminal()) {
    throw new UsageError("Not writing a zip archive to a terminal: give --zip a file, or redirect stdout");
  }
}

/** The deflate level of `--zip-level`, 6 when it is not given. */
function zipLevel(text = String(DEFAULT_ZIP_LEVEL)): number {
  if (!/^[0-9]$/.test(text)) throw new UsageError(`Invalid --zip-level "${text}": give a digit, 0 to 9`);
  return Number(text);
}

/** Writes the snapshot `id` (root tree `tree`) as a zip; throws a `UserError` when entries were left out. */
export async function restoreZip(
  repository: Repository,
  snapshot: { id: string; tree: string },
  flags: ZipFlags,
  kit: CommandKit,
): Promise<void> {
  const toStdout = flags.zip === "-";
  // With the archive on stdout, stdout carries nothing else.
  const lines: Output = toStdout ? { out: kit.output.err, err: kit.output.err } : kit.output;
  const report = flags.json
    ? jsonReport(lines, snapshot.id, flags.zip)
    : textReport(lines, kit, snapshot.id, flags.zip);
  const progress = flags.json
    ? undefined
    : terminalProgress("zipping", kit.output, { quiet: kit.quiet(), env: kit.context.env });
  const counter = progress === undefined ? undefined : new RestoreProgress(progress.line);
  const options: ZipOptions = {
    tree: snapshot.tree,
    level: zipLevel(flags.zipLevel),
    ...(flags.path ? { path: flags.path } : {}),
    ...(flags.include ? { include: flags.include } : {}),
    onLeftOut: (entry) => report.leftOut(entry),
    onProgress: (entry, bytes) => {
      report.added?.(entry);
      if (entry.node.type === "dir") return;
      // Listed as it is written: the totals grow with what is done.
      counter?.planned(entry);
      counter?.written(entry, bytes);
    },
  };
  // Packs elsewhere than on this machine are read whole, a few at a time, not one range per blob.
  if (repository.packs.localFiles === false) repository.cachePacks(4);
  let result: ZipResult;
  try {
    result = toStdout
      ? await exportZip(repository, stdoutStream(), options)
      : await writeZipFile(flags.zip, flags.overwrite ?? false, kit, (out) =>
        exportZip(repository, out, options));
  } finally {
    progress?.stop();
  }
  report.summary(result);
  if (result.problems.length > 0) {
    throw new UserError(
      `Zip archive incomplete: ${counted(result.problems.length, "entry", "entries")} could not be added`,
    );
  }
}

/**
 * Runs `write` into a new file beside `path`, then renames it to `path`: removed instead when `write`
 * throws or the command is interrupted. An existing `path` is replaced only with `overwrite`.
 */
async function writeZipFile<T>(
  path: string,
  overwrite: boolean,
  kit: CommandKit,
  write: (out: WritableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const existing = lstatOrUndefined(path);
  if (existing?.isDirectory) throw new UserError(`Cannot write the zip archive: ${path} is a folder`);
  // The rename would replace the link, not the file it names (or write where a dangling one points).
  if (existing?.isSymlink) {
    throw new UserError(
      `Not writing the zip archive to ${path}: it is a symbolic link; give the file's own path`,
    );
  }
  if (existing && !overwrite) {
    throw new UserError(`Not replacing ${path}: it exists`, { hint: "use --overwrite to replace it" });
  }
  const partial = join(dirname(path), `.${basename(path)}.kept-partial-${crypto.randomUUID().slice(0, 8)}`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(partial, { write: true, createNew: true, mode: 0o600 });
  } catch (error) {
    // Said of the archive, not of the hidden name it is written under.
    const why = folderProblem(path) ?? (error as Error).message.replace(partial, path);
    throw new UserError(`Cannot write the zip archive ${path}: ${why}`, { cause: error });
  }
  const remove = async () => await Deno.remove(partial).catch(() => {});
  kit.onInterrupt(remove);
  kit.setInterruptNote(existing ? `${path} is left as it was` : `no zip archive is left at ${path}`);
  try {
    const result = await write(file.writable);
    try {
      await Deno.rename(partial, path);
    } catch (error) {
      throw new UserError(`Cannot write the zip archive ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return result;
  } catch (error) {
    await remove();
    throw error;
  }
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    const why = folderProblem(path) ?? (error as Error).message;
    throw new UserError(`Cannot write the zip archive ${path}: ${why}`, { cause: error });
  }
}

/** Stdout as a stream the archive is written to; it stays open for the lines printed after. */
function stdoutStream(): WritableStream<Uint8Array> {
  return new WritableStream({
    async write(chunk) {
      try {
        for (let done = 0; done < chunk.length;) done += await Deno.stdout.write(chunk.subarray(done));
      } catch (error) {
        if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
        throw new UserError("stdout was closed before the zip archive was complete", { cause: error });
      }
    },
  });
}

function textReport(output: Output, kit: CommandKit, id: string, zip: string): ZipReport {
  const say = (text: string) => kit.quiet() || output.out(text);
  const pathOf = (entry: RestoreEntry) => `${escapeName(entry.path)}${entry.node.type === "dir" ? "/" : ""}`;
  return {
    ...(kit.verbose() ? { added: (entry: RestoreEntry) => output.out(`+ ${pathOf(entry)}\n`) } : {}),
    leftOut: (entry) => {
      if (entry.action === "refuse") {
        output.err(
          `error: ${pathOf(entry)}: unsafe name ${JSON.stringify(entry.node.name)} in the snapshot\n`,
        );
      } else if (kit.verbose()) {
        output.out(`- ${pathOf(entry)}: ${entry.node.type}s cannot be put in a zip archive\n`);
      }
    },
    summary: ({ files, dirs, bytes, special }) => {
      const where = zip === "-" ? "to stdout" : `into ${escapeName(zip)}`;
      say(
        `zipped snapshot ${id.slice(0, 12)} ${where}: ${counted(files, "file")}, ${
          counted(dirs, "folder")
        }, ${formatBytes(bytes)}\n`,
      );
      if (special.length > 0) {
        output.err(
          `note: ${special.length} FIFOs and device nodes left out: a zip archive cannot hold them ` +
            `(restore into a folder to get them back)\n`,
        );
      }
    },
  };
}

/** JSON lines (docs/restore.md#json): the entries left out, then one summary. */
function jsonReport(output: Output, id: string, zip: string): ZipReport {
  const line = (value: Record<string, unknown>) => output.out(JSON.stringify(value) + "\n");
  return {
    leftOut: (entry) =>
      line({
        message_type: "entry",
        action: entry.action === "refuse" ? "refuse" : "omit",
        ...pathJson("path", entry.path),
        type: entry.node.type,
        ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      }),
    summary: ({ files, dirs, bytes, special, problems }) =>
      line({
        message_type: "summary",
        dry_run: false,
        snapshot_id: id,
        zip,
        files,
        dirs,
        bytes,
        left_out: special.length,
        problems: problems.length,
      }),
  };
}
