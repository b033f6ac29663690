// `kept cache` and `kept cache clean`: the local cache of remote repositories' metadata
// (docs/destinations.md#cache).

import {
  type CachedRepository,
  cleanCache,
  countWarmUnlocks,
  defaultCacheRoot,
  listCache,
} from "../destinations/mod.ts";
import { UserError } from "../errors.ts";
import { formatBytes } from "../plan/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";
import { counted } from "./_counted.ts";

/** Registers `kept cache` (show) and `kept cache clean` on `program`. */
export function cacheCommand(program: Program, kit: CommandKit): void {
  const cache = program.command("cache")
    .description("show the local cache of remote repositories' metadata (keys, index, snapshots, trees)")
    .option("--json", "print the cached repositories as JSON")
    .addHelpText(
      "after",
      "\nkept caches what it reads from S3 under $KEPT_CACHE_DIR, else $XDG_CACHE_HOME/kept, else\n" +
        "~/.cache/kept, one folder per repository id. Every copy is checked against its name when used.\n" +
        "warm/ remembers, for each command line, the key file that opened its repository (never the\n" +
        "password), so that its next run unlocks while kept starts. --no-cache turns both off for one\n" +
        "run; cache clean removes both. See docs/destinations.md#cache.",
    )
    .action(async (options) => {
      const root = cacheRoot(kit);
      const cached = await listCache(root);
      const records = countWarmUnlocks(root);
      if (options.json) {
        kit.json({ root, repositories: cached.map(repositoryJson), unlock_records: records });
        return;
      }
      if (cached.length === 0) kit.say(`no cached repositories in ${root}\n`);
      for (const repository of cached) {
        kit.output.out(`${repository.id}  ${repository.files} files, ${formatBytes(repository.bytes)}\n`);
      }
      if (records > 0) {
        kit.say(`${counted(records, "unlock record")} (the key file each command line last opened with)\n`);
      }
    });

  cache.command("clean")
    .description("remove the cache of every repository (kept downloads what it needs again)")
    .option("--json", "print what was removed as JSON")
    .action(async (options) => {
      const root = cacheRoot(kit);
      const removed = await cleanCache(root);
      // commander gives `cache` every option it knows, before or after `clean`: `cache clean --json` sets
      // `cache`'s --json, not this one (which is there for `cache clean --help`).
      if (options.json || cache.opts().json) {
        kit.json({ root, removed: removed.map(repositoryJson) });
        return;
      }
      const bytes = removed.reduce((sum, repository) => sum + repository.bytes, 0);
      kit.say(
        `removed the cache of ${removed.length} ${removed.length === 1 ? "repository" : "repositories"} ` +
          `(${formatBytes(bytes)}) from ${root}\n`,
      );
    });
}

function cacheRoot(kit: CommandKit): string {
  const root = defaultCacheRoot(kit.context.env);
  if (root === undefined) {
    throw new UserError("Cannot find the cache folder: set KEPT_CACHE_DIR, XDG_CACHE_HOME or HOME");
  }
  return root;
}

function repositoryJson(repository: CachedRepository) {
  return { id: repository.id, files: repository.files, bytes: repository.bytes };
}
