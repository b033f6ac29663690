/**
 * A real tree as the corpus (`--tree PATH`): a copy of PATH in its own folder of the work folder, made once
 * and reused while PATH is unchanged, with the same 1% change step as the generated corpus (undone by
 * copying the changed files again). Symlinks are copied as symlinks; files that cannot be read and special
 * files are left out, with a note.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, extname, join, resolve } from "node:path";
import { type Change, isEmptyOrMissing, readManifest, readTreeOrUndefined, writeManifest } from "./corpus.ts";
import { mixSeed, RandomSource, Rng } from "./content.ts";
import { BenchError, capture, removeIfPresent } from "./measure.ts";
import { readTree, type TreeSummary } from "./tree.ts";

/** Bump when copying changes, so existing copies are made again. */
const TREE_FORMAT = 1;
/** Modification time of files changed by {@link mutateTreeCorpus} (as the generated corpus's). */
const CHANGED_MTIME = new Date("2024-06-01T00:00:00Z");

/** What `--tree` names: a folder, or the CPython standard library ("python"). */
export interface TreeSource {
  /** absolute path of the folder copied */
  path: string;
  /** for the report, e.g. "CPython 3.11 standard library (/usr/lib/python3.11)" */
  title: string;
  /** names of folders directly under `path` that are not copied (third-party packages of the stdlib) */
  exclude: string[];
}

/** A real tree's copy on disk, as the benchmark uses it. */
export interface TreeCorpus {
  root: string;
  source: TreeSource;
  /** the files as they are now (after {@link mutateTreeCorpus}, the changed state) */
  tree: TreeSummary;
  action: "copied" | "reused" | "restored changed files";
  /** what was left out of the copy, one line each (unreadable and special files) */
  skipped: string[];
  symlinks: number;
  seconds: number;
}

/**
 * Resolves `--tree`: "python" is the standard library of `python3` (from `sysconfig`) without its
 * site-packages and dist-packages; anything else a folder.
 */
export async function resolveTreeSource(text: string): Promise<TreeSource> {
  if (text === "python") {
    const found = await capture([
      "python3",
      "-c",
      'import sys, sysconfig; print(sysconfig.get_paths()["stdlib"]); print("%d.%d" % sys.version_info[:2])',
    ]);
    const [path, version] = found.stdout.trim().split("\n");
    if (!found.ok || !path) {
      throw new BenchError(`Cannot find the Python standard library: python3 failed: ${found.stderr.trim()}`);
    }
    return {
      path: resolve(path),
      title: `CPython ${version} standard library (${path}, without site-packages)`,
      exclude: ["site-packages", "dist-packages"],
    };
  }
  const path = resolve(text);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    throw new BenchError(`Cannot use --tree "${text}": ${error instanceof Error ? error.message : error}`);
  }
  if (!info.isDirectory) throw new BenchError(`Cannot use --tree "${text}": it is not a folder`);
  return { path, title: path, exclude: [] };
}

/** The folder name of a tree's copy: readable, and unique per source path. */
export function treeCorpusName(source: TreeSource): string {
  const hash = createHash("sha256").update(source.path).digest("hex").slice(0, 8);
  return `corpus-tree-${basename(source.path).replace(/[^\w.-]+/g, "_")}-${hash}`;
}

/** What `<corpus>.json` next to the copy records. */
interface TreeManifest {
  format: number;
  source: string;
  exclude: string[];
  /** digest of the source's listing (paths, kinds, sizes, mtimes): a changed source is copied again */
  listing: string;
  /** tree digest of the pristine copy */
  digest: string;
  skipped: string[];
  symlinks: number;
  /** relative paths changed by {@link mutateTreeCorpus} and not yet restored */
  changed: string[];
}

/**
 * Makes sure `root` holds a pristine copy of the source, and reads it all once (hashing it, which also
 * warms the page cache): copied when missing, damaged or when the source changed, reused otherwise, and
 * files a previous run changed are copied again.
 */
export function ensureTreeCorpus(source: TreeSource, root: string, manifestPath: string): TreeCorpus {
  const started = performance.now();
  const listing = listingDigest(source);
  const manifest = readManifest<TreeManifest>(manifestPath);
  const matches = manifest !== undefined && manifest.format === TREE_FORMAT &&
    manifest.source === source.path && manifest.listing === listing &&
    manifest.exclude.join("/") === source.exclude.join("/");
  let action: TreeCorpus["action"] = "reused";
  if (matches && manifest.changed.length > 0) {
    for (const path of manifest.changed) copyEntry(join(source.path, path), join(root, path));
    writeManifest(manifestPath, { ...manifest, changed: [] });
    action = "restored changed files";
  }
  let tree = matches ? readTreeOrUndefined(root) : undefined;
  let { skipped = [], symlinks = 0 } = manifest ?? {};
  if (tree === undefined || tree.digest !== manifest?.digest) {
    if (manifest === undefined && !isEmptyOrMissing(root)) {
      throw new BenchError(
        `Refusing to replace "${root}": it has no "${manifestPath}", so the benchmark did not make it`,
      );
    }
    removeIfPresent(manifestPath);
    removeIfPresent(root);
    Deno.mkdirSync(dirname(manifestPath), { recursive: true });
    ({ skipped, symlinks } = copyTree(source, root));
    tree = readTree(root);
    writeManifest(manifestPath, {
      format: TREE_FORMAT,
      source: source.path,
      exclude: source.exclude,
      listing,
      digest: tree.digest,
      skipped,
      symlinks,
      changed: [],
    });
    action = "copied";
  }
  return { root, source, tree, action, skipped, symlinks, seconds: (performance.now() - started) / 1000 };
}

/** Walks `dir` (not following symlinks), calling `visit` with each entry's relative path and lstat. */
function walk(
  dir: string,
  prefix: string,
  exclude: readonly string[],
  visit: (relative: string, info: Deno.FileInfo | Error) => void,
): void {
  const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  for (const name of names) {
    if (prefix === "" && exclude.includes(name)) continue;
    const relative = prefix + name;
    let info: Deno.FileInfo | Error;
    try {
      info = Deno.lstatSync(join(dir, name));
    } catch (error) {
      info = error instanceof Error ? error : new Error(String(error));
    }
    visit(relative, info);
    if (!(info instanceof Error) && info.isDirectory) {
      try {
        walk(join(dir, name), relative + "/", exclude, visit);
      } catch (error) {
        visit(relative + "/", error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}

/** A digest of the source's paths, kinds, sizes and mtimes: cheap, and changes when the source does. */
function listingDigest(source: TreeSource): string {
  const hash = createHash("sha256");
  walk(source.path, "", source.exclude, (relative, info) => {
    if (info instanceof Error) hash.update(`${relative}\0error\n`);
    else {
      const kind = info.isDirectory ? "d" : info.isSymlink ? "l" : info.isFile ? "f" : "o";
      hash.update(`${relative}\0${kind}\0${info.size}\0${info.mtime?.getTime() ?? 0}\n`);
    }
  });
  return hash.digest("hex");
}

/** Copies the source tree into `root`; returns what was left out and how many symlinks were copied. */
function copyTree(source: TreeSource, root: string): { skipped: string[]; symlinks: number } {
  const skipped: string[] = [];
  let symlinks = 0;
  Deno.mkdirSync(root, { recursive: true });
  walk(source.path, "", source.exclude, (relative, info) => {
    if (info instanceof Error) {
      skipped.push(`${relative}: ${info.message}`);
      return;
    }
    const from = join(source.path, relative);
    const to = join(root, relative);
    if (info.isDirectory) Deno.mkdirSync(to, { recursive: true });
    else if (info.isSymlink || info.isFile) {
      try {
        copyEntry(from, to);
        if (info.isSymlink) symlinks++;
      } catch (error) {
        if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
        skipped.push(`${relative}: cannot be read`);
      }
    } else skipped.push(`${relative}: not a file, folder or symlink`);
  });
  return { skipped, symlinks };
}

/** Copies one file (with its modification time) or symlink (as a symlink), replacing what is at `to`. */
function copyEntry(from: string, to: string): void {
  const info = Deno.lstatSync(from);
  removeIfPresent(to);
  if (info.isSymlink) {
    Deno.symlinkSync(Deno.readLinkSync(from), to);
    return;
  }
  Deno.copyFileSync(from, to);
  if (info.mtime) Deno.utimeSync(to, info.atime ?? info.mtime, info.mtime);
}

/** One file changed by {@link mutateTreeCorpus}: as the generated corpus's changes. */
export type TreeChange = Change;

/**
 * Changes a deterministic 1% of the regular non-empty files (at least one), alternately appending to them
 * and overwriting a region in their middle, then re-reads the copy. The manifest records the changed files
 * first, so an interrupted run is repaired by the next one. Each call picks other files.
 */
export function mutateTreeCorpus(
  corpus: TreeCorpus,
  manifestPath: string,
  seed: number,
  round = 0,
): TreeChange[] {
  const candidates = [...corpus.tree.entries].filter(([, file]) => file.size > 0).map(([path]) => path)
    .sort();
  const rng = new Rng(mixSeed(seed, 0xc4a9 + round));
  const count = Math.min(candidates.length, Math.max(1, Math.round(candidates.length / 100)));
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.next() * (candidates.length - i));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const chosen = candidates.slice(0, count);
  const manifest = readManifest<TreeManifest>(manifestPath);
  if (manifest === undefined) throw new BenchError(`Cannot change the corpus: "${manifestPath}" is missing`);
  writeManifest(manifestPath, { ...manifest, changed: [...new Set([...manifest.changed, ...chosen])] });
  const changes = chosen.map((path, i) => changeFile(corpus.root, path, i % 2 === 0, mixSeed(seed, i + 1)));
  corpus.tree = readTree(corpus.root);
  return changes;
}

function changeFile(root: string, path: string, append: boolean, seed: number): TreeChange {
  const full = join(root, ...path.split("/"));
  const size = Deno.statSync(full).size;
  const bytes = new Uint8Array(
    append
      ? Math.max(512, Math.floor(size / 100))
      : Math.min(256 * 1024, Math.max(64, Math.floor(size / 16))),
  );
  new RandomSource(seed).fill(bytes);
  const file = Deno.openSync(full, { read: true, write: true });
  try {
    if (append) file.seekSync(0, Deno.SeekMode.End);
    else file.seekSync(Math.max(0, Math.floor((size - bytes.length) / 2)), Deno.SeekMode.Start);
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
  } finally {
    file.close();
  }
  Deno.utimeSync(full, CHANGED_MTIME, CHANGED_MTIME);
  return { path, how: append ? "appended" : "rewritten in the middle", bytes: bytes.length };
}

/**
 * Files and bytes by kind, for the report: the five file extensions holding the most bytes, the rest,
 * and the symlinks.
 */
export function describeTreeCorpus(corpus: TreeCorpus): { group: string; files: number; bytes: number }[] {
  const groups = new Map<string, { group: string; files: number; bytes: number }>();
  for (const [path, file] of corpus.tree.entries) {
    const ext = extname(path);
    const entry = groups.get(ext) ?? { group: ext, files: 0, bytes: 0 };
    entry.files++;
    entry.bytes += file.size;
    groups.set(ext, entry);
  }
  const sorted = [...groups.values()].sort((a, b) => b.bytes - a.bytes);
  const top = sorted.slice(0, 5).map((entry) => ({
    ...entry,
    group: entry.group === "" ? "files without extension" : `${entry.group} files`,
  }));
  const rest = sorted.slice(5).reduce((sum, entry) => ({
    group: "other files",
    files: sum.files + entry.files,
    bytes: sum.bytes + entry.bytes,
  }), { group: "other files", files: 0, bytes: 0 });
  return [
    ...top,
    ...(rest.files > 0 ? [rest] : []),
    ...(corpus.symlinks > 0
      ? [{ group: "symlinks (copied as symlinks)", files: corpus.symlinks, bytes: 0 }]
      : []),
  ];
}
