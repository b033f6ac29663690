/**
 * Decides which paths a backup leaves out: the plan's gitignore-style `excludes` (matched against the
 * absolute path, so a leading `/` anchors at the file system root), per-folder `ignore_files`,
 * `exclude_if_present` and `exclude_larger_than`.
 *
 * @module
 */

import ignore, { type Ignore } from "ignore";
import { join, relative } from "node:path";

/** The exclude rules of one plan. */
export interface ExcludeRules {
  excludes: readonly string[];
  excludeIfPresent: readonly string[];
  ignoreFiles: readonly string[];
  excludeLargerThan: number | undefined;
}

/** Ignore-file patterns that apply below one folder. */
interface FolderRules {
  folder: string;
  matcher: Ignore;
}

/** Tests paths against a plan's exclude rules while a backup walks its sources. */
export class ExcludeMatcher {
  #global: Ignore;
  #rules: ExcludeRules;

  constructor(rules: ExcludeRules) {
    this.#rules = rules;
    this.#global = ignore({ allowRelativePaths: true }).add([...rules.excludes]);
  }

  /** True when `path` (absolute) is excluded; `inherited` are the ignore files of its ancestors. */
  isExcluded(path: string, isDirectory: boolean, inherited: readonly FolderRules[]): boolean {
    const suffix = isDirectory ? "/" : "";
    if (path !== "/" && this.#global.ignores(path.slice(1) + suffix)) return true;
    for (const { folder, matcher } of inherited) {
      const rel = relative(folder, path);
      if (rel !== "" && !rel.startsWith("..") && matcher.ignores(rel + suffix)) return true;
    }
    return false;
  }

  /** True when a file of this size is too large to keep. */
  isTooLarge(size: number): boolean {
    return this.#rules.excludeLargerThan !== undefined && size > this.#rules.excludeLargerThan;
  }

  /** True when a folder holding these entry names must be left out (exclude_if_present). */
  excludesFolderWith(names: ReadonlySet<string>): boolean {
    return this.#rules.excludeIfPresent.some((marker) => names.has(marker));
  }

  /** Adds the folder's own ignore files (if any) to the rules inherited from its ancestors. */
  folderRules(
    folder: string,
    names: ReadonlySet<string>,
    inherited: readonly FolderRules[],
  ): readonly FolderRules[] {
    const found = this.#rules.ignoreFiles.filter((name) => names.has(name));
    if (found.length === 0) return inherited;
    const matcher = ignore({ allowRelativePaths: true });
    for (const name of found) {
      try {
        matcher.add(Deno.readTextFileSync(join(folder, name)));
      } catch {
        // An unreadable ignore file excludes nothing; the file itself is reported when it is backed up.
      }
    }
    return [...inherited, { folder, matcher }];
  }
}

export type { FolderRules };
