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
  matcher: GitignorePatterns;
}

/**
 * Paths tested against one `ignore` instance before it is replaced by a fresh one. The library caches
 * its answer for every path it was asked about, and for each of the path's parents, for as long as the
 * instance lives: about 135 bytes a file, so 270 MiB for a server with two million files.
 */
const TESTS_PER_INSTANCE = 4096;

/**
 * Gitignore patterns whose answers are cached for the last few thousand paths only. Each source is a list
 * of patterns (the plan's excludes) or an ignore file's text, which the library reads as git does (a
 * byte-order mark at its start, CR LF line ends).
 */
class GitignorePatterns {
  #sources: readonly (string | readonly string[])[];
  #ignore: Ignore;
  #tests = 0;
  /**
   * False when every line is blank or a comment. Then nothing is asked of the library, which otherwise
   * checks the path and each of its parents: for a plan without excludes that was a third of the scan.
   */
  #hasPatterns: boolean;

  constructor(sources: readonly (string | readonly string[])[]) {
    this.#sources = sources;
    this.#ignore = compile(sources);
    // A plan's excludes are one pattern each; an ignore file's text is split into lines.
    this.#hasPatterns = sources.some((source) =>
      (typeof source === "string" ? source.split("\n") : source).some(isPattern)
    );
  }

  /** True when `path` (relative, with a trailing `/` for folders) is ignored. */
  ignores(path: string): boolean {
    if (!this.#hasPatterns) return false;
    if (++this.#tests > TESTS_PER_INSTANCE) {
      this.#ignore = compile(this.#sources);
      this.#tests = 1;
    }
    return this.#ignore.ignores(path);
  }
}

/**
 * False for the lines the library skips: a comment (`#` first, as in git: `  #x` is a pattern) or a
 * blank line, which is spaces only, before one CR. A tab or a no-break space is a name, in git too.
 * Anything else counts, so when in doubt the library decides.
 */
function isPattern(line: string): boolean {
  return !/^(#| *\r?$)/.test(line);
}

function compile(sources: readonly (string | readonly string[])[]): Ignore {
  const compiled = ignore({ allowRelativePaths: true });
  for (const source of sources) compiled.add(typeof source === "string" ? source : [...source]);
  return compiled;
}

/** Tests paths against a plan's exclude rules while a backup walks its sources. */
export class ExcludeMatcher {
  #global: GitignorePatterns;
  #rules: ExcludeRules;

  constructor(rules: ExcludeRules) {
    this.#rules = rules;
    this.#global = new GitignorePatterns([rules.excludes]);
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
    const texts: string[] = [];
    for (const name of found) {
      try {
        texts.push(Deno.readTextFileSync(join(folder, name)));
      } catch {
        // An unreadable ignore file excludes nothing; the file itself is reported when it is backed up.
      }
    }
    return [...inherited, { folder, matcher: new GitignorePatterns(texts) }];
  }
}

export type { FolderRules };
