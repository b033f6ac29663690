// `kept ls`: lists the files in a snapshot.

import { type ListedEntry, listTree, UnreadableFolderError } from "../snapshots/mod.ts";
import type { NodeType, SnapshotEntry } from "../repo/mod.ts";
import { IntegrityError } from "../errors.ts";
import { escapeName } from "./output.ts";
import { pathJson } from "./_json.ts";
import { formatLocalTime } from "./_local_time.ts";
import { type CommandKit, type Program, SNAPSHOT_HOST_HELP, SNAPSHOT_PLAN_HELP } from "./_command_kit.ts";

/** Registers `kept ls` on `program`. */
export function lsCommand(program: Program, kit: CommandKit): void {
  const { output, openNamed } = kit;
  program.command("ls")
    .description("list the files in a snapshot")
    .argument("<snapshot>", "snapshot id, unique id prefix, or latest")
    .argument("[path]", "folder or file inside the snapshot", "/")
    .option("--destination <name>", "destination (needed when several are defined)")
    .option("--plan <name>", SNAPSHOT_PLAN_HELP)
    .option("--host <name>", SNAPSHOT_HOST_HELP)
    .option("--json", "print one JSON object per entry")
    .action(async (ref, path, options) => {
      const { repository } = await openNamed(options.destination);
      await repository.loadIndex();
      const found = await repository.findSnapshot(ref, options);
      for await (const entry of namingFolders(listTree(repository, found.snapshot.tree, path), [found])) {
        if (options.json) output.out(JSON.stringify(entryJson(entry)) + "\n");
        else {
          const size = entry.type === "file" ? String(entry.size ?? 0) : "";
          output.out(
            `${modeString(entry.type, entry.mode)} ${size.padStart(12)} ${
              formatLocalTime(new Date(entry.mtime))
            } ${escapeName(entry.path)}${
              entry.target !== undefined ? ` -> ${escapeName(entry.target)}` : ""
            }\n`,
          );
        }
      }
    });
}

/**
 * `entries`, and when a folder's listing cannot be read, the error that names it in one line as text
 * output writes names, and the snapshot (of `snapshots`) it is in: `Cannot list folder "/srv/www" of
 * snapshot 4f2a9c1b7d3e: Blob d67cced010d2 in pack ce285a6a523c is damaged`.
 */
export async function* namingFolders<T>(
  entries: AsyncGenerator<T>,
  snapshots: readonly SnapshotEntry[],
): AsyncGenerator<T> {
  try {
    yield* entries;
  } catch (error) {
    if (!(error instanceof UnreadableFolderError)) throw error;
    const snapshot = snapshots.find((entry) => entry.snapshot.tree === error.root);
    const of = snapshot ? ` of snapshot ${snapshot.id.slice(0, 12)}` : "";
    throw new IntegrityError(`Cannot list folder "${escapeName(error.path)}"${of}: ${error.reason}`, {
      cause: error,
    });
  }
}

/** An entry as `--json` prints it (docs/json.md#kept-ls-snapshot---json). */
function entryJson(entry: ListedEntry): Record<string, unknown> {
  return {
    ...pathJson("path", entry.path),
    type: entry.type,
    mode: entry.mode,
    mtime: entry.mtime,
    ...(entry.mtimeNs !== undefined ? { mtime_ns: entry.mtimeNs } : {}),
    ...(entry.size !== undefined ? { size: entry.size } : {}),
    ...(entry.target !== undefined ? pathJson("target", entry.target) : {}),
  };
}

/** The letter `ls -l` shows for each type of entry. */
const TYPE_LETTERS: Readonly<Record<NodeType, string>> = {
  file: "-",
  dir: "d",
  symlink: "l",
  fifo: "p",
  chardev: "c",
  blockdev: "b",
  socket: "s",
};

/**
 * Type and mode as `ls -l` shows them (`drwxrwxrwt`, `-rwsr-xr-x`): setuid and setgid as `s` in the
 * owner's and the group's execute place, sticky as `t` in the others', capitalised when that execute bit
 * is not set (`-rwSr--r--`).
 */
function modeString(type: NodeType, mode: number): string {
  const triple = (shift: number, special: number, letter: string) => {
    const read = mode & (0o4 << shift) ? "r" : "-";
    const write = mode & (0o2 << shift) ? "w" : "-";
    const execute = (mode & (0o1 << shift)) !== 0;
    const last = mode & special ? (execute ? letter : letter.toUpperCase()) : execute ? "x" : "-";
    return read + write + last;
  };
  // A type this kept does not know (a newer one wrote the snapshot) is shown as `?`.
  return (TYPE_LETTERS[type] ?? "?") + triple(6, 0o4000, "s") + triple(3, 0o2000, "s") +
    triple(0, 0o1000, "t");
}
