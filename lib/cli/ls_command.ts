// `kept ls`: lists the files in a snapshot.

import { type ListedEntry, listTree } from "../snapshots/mod.ts";
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
      const { snapshot } = await repository.findSnapshot(ref, options);
      for await (const entry of listTree(repository, snapshot.tree, path)) {
        if (options.json) output.out(JSON.stringify(entryJson(entry)) + "\n");
        else {
          const kind = entry.type === "dir" ? "d" : entry.type === "symlink" ? "l" : "-";
          const size = entry.type === "file" ? String(entry.size ?? 0) : "";
          output.out(
            `${kind}${modeString(entry.mode)} ${size.padStart(12)} ${
              formatLocalTime(new Date(entry.mtime))
            } ${escapeName(entry.path)}${
              entry.target !== undefined ? ` -> ${escapeName(entry.target)}` : ""
            }\n`,
          );
        }
      }
    });
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

function modeString(mode: number): string {
  const bits = "rwxrwxrwx";
  let out = "";
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : "-";
  return out;
}
