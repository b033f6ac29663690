/**
 * Decides which paths a backup leaves out: the plan's gitignore-style `excludes` (matched against the
 * absolute path, so a leading `/` anchors at the file system root), per-folder `ignore_files`,
 * `exclude_if_present` and `exclude_larger_than`.
 *
 * Patterns follow git's rules on Linux (docs/plans.md#plans): letter case counts; of the patterns that
 * match a path, the last one of the deepest ignore file decides, and the plan's excludes count as an
 * ignore file at the file system root, below every other. A path below an excluded folder cannot be kept
 * again: the walk does not enter an excluded folder, so each path is matched on its own.
 *
 * @module
 */

import ignore, { type Ignore } from "ignore";
import { describeError } from "../errors.ts";
import { describePath, nameText, platform } from "../platform/mod.ts";
import { readFullSync } from "../read_full.ts";

/** The exclude rules of one plan. */
export interface ExcludeRules {
  excludes: readonly string[];
  excludeIfPresent: readonly string[];
  ignoreFiles: readonly string[];
  excludeLargerThan: number | undefined;
}

/**
 * One entry of the rules that apply below a folder (see {@link ExcludeMatcher.folderRules}): the
 * patterns of one folder's ignore files, or the entry that starts a source's list.
 */
interface FolderRules {
  /** The folder's path and a `/` (`/` alone for the root): how every path below it starts. */
  prefix: string;
  /** Undefined on the entry that starts a source's list. */
  patterns: GitignorePatterns | undefined;
  /** True on a source's first entry when the plan's excludes leave out the source or a folder above it. */
  excludesAll: boolean;
}

/** A source's first entry, when the plan's excludes leave out neither it nor a folder above it. */
const SOURCE: FolderRules = { prefix: "", patterns: undefined, excludesAll: false };
/** A source's only entry when they do: nothing below it can be kept again. */
const EXCLUDED_SOURCE: FolderRules = { prefix: "", patterns: undefined, excludesAll: true };

/**
 * The rules below a folder the excludes leave out, which the walk enters only on the way to a source inside
 * it: they leave out everything there (the way to the source is added back by the walk).
 */
export const LEFT_OUT: readonly FolderRules[] = [EXCLUDED_SOURCE];

/**
 * Paths tested with their parents against one `ignore` instance before it is replaced by a fresh one.
 * The library caches its answer for every path it was asked about this way, and for each of the path's
 * parents, for as long as the instance lives: about 135 bytes a file, so 270 MiB for a server with two
 * million files. Only {@link GitignorePatterns.ignoresWithParents} uses that cache: the walk tests each
 * path on its own ({@link GitignorePatterns.test}), which caches nothing.
 */
const TESTS_PER_INSTANCE = 4096;

/** What the patterns say of one path: the last one matching it ignores it, keeps it (`!`), or none matches. */
interface Verdict {
  ignored: boolean;
  unignored: boolean;
}

const NO_MATCH: Verdict = { ignored: false, unignored: false };

/**
 * The library's test of one path against every pattern, last match first. `Ignore.test()` and
 * `Ignore.ignores()` also test each parent folder of the path against the same patterns and let an
 * ignored one decide: git does not (its walk never enters an excluded folder), and that answer is wrong
 * once a deeper ignore file keeps a folder that a shallower one ignores. They also cache every answer.
 * The library has no public call for one path alone, so this reaches for the one its own parent walk
 * makes; `compile()` checks that it is there (the version is pinned in deno.json).
 */
interface OnePathTest {
  test(path: string, mode: "regex"): Verdict;
}

/**
 * Gitignore patterns. Each source is a list of patterns (the plan's excludes) or an ignore file's text,
 * which the library reads as git does (a byte-order mark at its start, CR LF line ends). Letter case
 * counts, as in git on Linux.
 */
class GitignorePatterns {
  #sources: readonly (string | readonly string[])[];
  #ignore: Ignore;
  #rules: OnePathTest;
  #tests = 0;
  /**
   * False when every line is blank or a comment. Then nothing is asked of the library: for a plan
   * without excludes that was a third of the scan.
   */
  readonly hasPatterns: boolean;

  constructor(sources: readonly (string | readonly string[])[]) {
    this.#sources = sources;
    [this.#ignore, this.#rules] = compile(sources);
    // A plan's excludes are one pattern each; an ignore file's text is split into lines.
    this.hasPatterns = sources.some((source) =>
      (typeof source === "string" ? source.split("\n") : source).some(isPattern)
    );
  }

  /** What the patterns say of `path` (relative, with a trailing `/` for folders) alone, not its parents. */
  test(path: string): Verdict {
    return this.hasPatterns ? this.#rules.test(path, "regex") : NO_MATCH;
  }

  /** True when `path` (as for {@link test}) or one of its parent folders is ignored. */
  ignoresWithParents(path: string): boolean {
    if (!this.hasPatterns) return false;
    if (++this.#tests > TESTS_PER_INSTANCE) {
      [this.#ignore, this.#rules] = compile(this.#sources);
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

function compile(sources: readonly (string | readonly string[])[]): [Ignore, OnePathTest] {
  // The library ignores letter case unless told not to; git on Linux does not.
  const compiled = ignore({ allowRelativePaths: true, ignorecase: false });
  for (const source of sources) compiled.add(typeof source === "string" ? source : [...source]);
  const rules = (compiled as unknown as { _rules?: Partial<OnePathTest> })._rules;
  if (typeof rules?.test !== "function") {
    throw new Error("Cannot match exclude patterns: the `ignore` library has no test of one path");
  }
  return [compiled, rules as OnePathTest];
}

/** Tests paths against a plan's exclude rules while a backup walks its sources. */
export class ExcludeMatcher {
  #global: GitignorePatterns;
  #rules: ExcludeRules;

  constructor(rules: ExcludeRules) {
    this.#rules = rules;
    this.#global = new GitignorePatterns([rules.excludes]);
  }

  /**
   * True when `path` (absolute) is excluded. `inherited` is what {@link folderRules} gave for its
   * folder, which the walk found not excluded; with `[]` nothing is known of its parent folders, so the
   * plan's excludes are tested on each of them too.
   */
  isExcluded(path: string, isDirectory: boolean, inherited: readonly FolderRules[]): boolean {
    const first = inherited[0];
    const full = isDirectory ? path + "/" : path;
    if (first === undefined) return path !== "/" && this.#global.ignoresWithParents(full.slice(1));
    if (first.excludesAll) return true;
    // The deepest ignore file first: the first one with a pattern matching the path decides.
    for (let i = inherited.length - 1; i >= 0; i--) {
      const { prefix, patterns } = inherited[i]!;
      if (patterns === undefined) continue;
      const verdict = patterns.test(full.slice(prefix.length));
      if (verdict.ignored || verdict.unignored) return verdict.ignored;
    }
    return path !== "/" && this.#global.test(full.slice(1)).ignored;
  }

  /** True when a file of this size is too large to keep. */
  isTooLarge(size: number): boolean {
    return this.#rules.excludeLargerThan !== undefined && size > this.#rules.excludeLargerThan;
  }

  /** True when a folder holding these entry names must be left out (exclude_if_present). */
  excludesFolderWith(names: ReadonlySet<string>): boolean {
    return this.#rules.excludeIfPresent.some((marker) => names.has(marker));
  }

  /**
   * The rules for the entries of `folder` (a path as the walk names it: bytes that are not UTF-8
   * escaped): those `inherited` from the folders above it, `[]` for a source, and its own ignore files
   * among `names`. An ignore file that is there but cannot be read adds no patterns and a line to
   * `problems`.
   */
  folderRules(
    folder: string,
    names: ReadonlySet<string>,
    inherited: readonly FolderRules[],
  ): { rules: readonly FolderRules[]; problems: string[] } {
    const problems: string[] = [];
    let rules = inherited;
    if (rules.length === 0) {
      // A source: the walk tests no folder above it, nor the source itself.
      const excluded = folder !== "/" && this.#global.ignoresWithParents(`${folder.slice(1)}/`);
      if (excluded) return { rules: [EXCLUDED_SOURCE], problems };
      rules = [SOURCE];
    }
    const found = this.#rules.ignoreFiles.filter((name) => names.has(name));
    if (found.length === 0) return { rules, problems };
    const texts: string[] = [];
    for (const name of found) {
      const path = folder === "/" ? `/${name}` : `${folder}/${name}`;
      try {
        texts.push(readIgnoreFile(path));
      } catch (error) {
        problems.push(`${describePath(path)}: cannot read ignore file: ${describeError(error)}`);
      }
    }
    const patterns = new GitignorePatterns(texts);
    if (!patterns.hasPatterns) return { rules, problems };
    const prefix = folder === "/" ? "/" : `${folder}/`;
    return { rules: [...rules, { prefix, patterns, excludesAll: false }], problems };
  }
}

/**
 * An ignore file's text, read by the bytes of its path (a folder's name need not be UTF-8). Bytes that
 * are not UTF-8 are escaped as in names (`nameText()`), so that a pattern written with them matches
 * the names that hold them. Throws when it cannot be read or is not a regular file.
 */
function readIgnoreFile(path: string): string {
  using file = platform().openFile(path);
  const info = file.stat();
  if (info.type !== "file") throw new Error(`is not a regular file (${info.type})`);
  const bytes = new Uint8Array(info.size);
  const length = readFullSync(bytes, (rest, filled) => file.read(rest, filled));
  return nameText(bytes.subarray(0, length));
}

export type { FolderRules };
