/**
 * The benchmark corpus: a deterministic mix of a source tree of small text files, medium files, large
 * random and large log files, and duplicates. Every file's bytes are a pure function of its spec, so the
 * corpus is regenerated only when missing, damaged or planned differently, and the 1% change of the
 * third benchmark step is undone by rewriting just the changed files.
 *
 * @module
 */

import { dirname, join } from "node:path";
import {
  type ByteSource,
  LogSource,
  mixSeed,
  PrefixedSource,
  RandomSource,
  RecordsSource,
  Rng,
  SourceTextSource,
  Vocabulary,
} from "./content.ts";
import { readTree, type TreeSummary } from "./tree.ts";
import { BenchError, removeIfPresent } from "./measure.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Bump when generation changes, so existing corpora are regenerated. */
const CORPUS_FORMAT = 2;
/** Modification time of every generated file: old enough that no tool treats it as racy. */
const BASE_MTIME = new Date("2024-01-01T00:00:00Z");
/** Modification time of files changed by {@link mutateCorpus}. */
const CHANGED_MTIME = new Date("2024-06-01T00:00:00Z");

/** What the corpus is generated from. */
export interface CorpusParams {
  seed: number;
  /** approximate total size in bytes (unused when `files` is set) */
  size: number;
  /** When set: a tree of this many small files instead (see {@link planSmallFiles}). */
  files?: number;
}

/** The groups a file belongs to, for the report. */
export type FileGroup = "small" | "medium" | "large random" | "large log" | "duplicate";

/** What kind of bytes a file holds. */
export type ContentKind = "text" | "log" | "records" | "random";

/** One file of the corpus: its bytes are a pure function of this value and the vocabulary. */
export interface FileSpec {
  readonly index: number;
  /** relative path with `/` separators */
  readonly path: string;
  readonly group: FileGroup;
  readonly size: number;
  readonly seed: number;
  readonly kind: ContentKind;
  /** set for duplicates: the original's index, and how many random bytes precede the original's bytes */
  readonly copy?: { of: number; prefix: number };
}

/** A corpus on disk together with the summary of its current content. */
export interface Corpus {
  root: string;
  params: CorpusParams;
  specs: FileSpec[];
  /** the files as they are now (after {@link mutateCorpus}, the changed state) */
  tree: TreeSummary;
  /** what {@link ensureCorpus} had to do */
  action: "generated" | "reused" | "restored changed files";
  seconds: number;
}

/** Plans the corpus: every file's path, size and content. Pure. */
export function planCorpus(params: CorpusParams): FileSpec[] {
  const planner = new Planner(params.seed);
  if (params.files !== undefined) {
    planSmallFiles(planner, params.files);
    return planner.specs;
  }
  const size = params.size;
  const randomSize = clamp(Math.floor(size / 8 / MiB) * MiB, MiB, 128 * MiB);
  const logSize = clamp(Math.floor(size / 16 / KiB) * KiB, 512 * KiB, 64 * MiB);
  // Two large random files, their big duplicate and two large logs; the rest is small and medium files.
  const rest = Math.max(8 * MiB, size - 3 * randomSize - 2 * logSize);
  planSourceTree(planner, rest * 0.47);
  planMediumFiles(planner, rest * 0.47, size);
  for (let i = 0; i < 2; i++) planner.add(`images/disk-${i}.img`, "large random", randomSize, "random");
  for (let i = 0; i < 2; i++) planner.add(`logs/app-${i}.log`, "large log", logSize, "log");
  planDuplicates(planner);
  return planner.specs;
}

class Planner {
  readonly specs: FileSpec[] = [];
  readonly rng: Rng;
  readonly vocabulary: Vocabulary;
  readonly #seed: number;
  readonly #paths = new Set<string>();

  constructor(seed: number) {
    this.#seed = seed;
    this.rng = new Rng(mixSeed(seed, 0x91a4));
    this.vocabulary = corpusVocabulary(seed);
  }

  /**
   * Adds a file; a taken path gets a numeric suffix before its extension. `unique`: the caller makes
   * paths that cannot collide (a million paths in a set would cost the harness ~100 MiB).
   */
  add(
    path: string,
    group: FileGroup,
    size: number,
    kind: ContentKind,
    copy?: FileSpec["copy"],
    unique = false,
  ): FileSpec {
    if (!unique) path = this.#uniquePath(path);
    const index = this.specs.length;
    const base = { index, path, group, size, seed: mixSeed(this.#seed, index + 1), kind };
    const spec: FileSpec = copy === undefined ? base : { ...base, copy };
    this.specs.push(spec);
    return spec;
  }

  #uniquePath(path: string): string {
    let unique = path;
    for (let n = 2; this.#paths.has(unique); n++) unique = path.replace(/(\.[^./]*)?$/, `-${n}$1`);
    this.#paths.add(unique);
    return unique;
  }

  word(): string {
    return this.vocabulary.words[this.rng.int(0, 1023)]!;
  }
}

function corpusVocabulary(seed: number): Vocabulary {
  return new Vocabulary(mixSeed(seed, 0x70ca));
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

// No .ts or .js: `deno check bench` would try to type-check them.
const EXTENSIONS = ["go", "go", "py", "py", "c", "h", "rs", "java", "md", "txt"];

/** Small text files (1-20 KiB, some empty) in nested folders under `src/`, like a source tree. */
function planSourceTree(planner: Planner, budget: number): void {
  const { rng } = planner;
  const expectedFiles = Math.max(1, Math.round(budget / (10.5 * KiB)));
  const dirs = planDirectories(planner, Math.max(3, Math.round(expectedFiles / 24)));
  let bytes = 0;
  for (let i = 0; bytes < budget; i++) {
    const dir = rng.pick(dirs);
    if (i % 211 === 0) {
      planner.add(`${dir}/__init__.py`, "small", 0, "text");
      continue;
    }
    const stem = rng.next() < 0.4 ? `${planner.word()}_${planner.word()}` : planner.word();
    const size = rng.int(KiB, 20 * KiB);
    planner.add(`${dir}/${stem}.${rng.pick(EXTENSIONS)}`, "small", size, "text");
    bytes += size;
  }
}

/** Files per folder of the small-files corpus. */
export const FILES_PER_FOLDER = 1000;

/**
 * The small-files corpus (`--files N`): N text files of 50-1,500 bytes, 1,000 to a folder (`files/d0000/`,
 * …), like a mail spool, a package cache or `node_modules`: what costs a backup per file, not per byte.
 */
function planSmallFiles(planner: Planner, files: number): void {
  const { rng } = planner;
  for (let i = 0; i < files; i++) {
    const folder = String(Math.floor(i / FILES_PER_FOLDER)).padStart(4, "0");
    const name = `${String(i % FILES_PER_FOLDER).padStart(3, "0")}-${planner.word()}.${rng.pick(EXTENSIONS)}`;
    planner.add(`files/d${folder}/${name}`, "small", rng.int(50, 1500), "text", undefined, true);
  }
}

/** `count` folders, each below a random earlier one, at most six levels deep. */
function planDirectories(planner: Planner, count: number): string[] {
  const dirs = [{ path: "src", depth: 0 }];
  const seen = new Set(["src"]);
  while (dirs.length < count) {
    const parent = planner.rng.pick(dirs);
    if (parent.depth >= 5) continue;
    const path = `${parent.path}/${planner.word()}`;
    if (seen.has(path)) continue;
    seen.add(path);
    dirs.push({ path, depth: parent.depth + 1 });
  }
  return dirs.map((dir) => dir.path);
}

/** Medium files of 100 KiB - 5 MiB (log-uniform): photos (random), database files (records), text. */
function planMediumFiles(planner: Planner, budget: number, total: number): void {
  const { rng } = planner;
  let bytes = 0;
  for (let i = 0; bytes < budget; i++) {
    // Capped at 1/32 of the corpus so that small corpora are not one medium file.
    const size = Math.min(Math.round(100 * KiB * Math.pow(50, rng.next())), Math.round(total / 32));
    const roll = rng.next();
    if (roll < 0.4) planner.add(`media/IMG_${1000 + i}.jpg`, "medium", size, "random");
    else if (roll < 0.7) planner.add(`data/${planner.word()}.db`, "medium", size, "records");
    else planner.add(`docs/${planner.word()}-${i}.txt`, "medium", size, "text");
    bytes += size;
  }
}

/**
 * Duplicates: a backup copy of the first disk image, a partial copy of the source tree (every 16th
 * file), exact copies of two medium files and copies of two more shifted by a few inserted bytes (which
 * only content-defined chunking deduplicates); the medium ones are picked among files under 1% of the
 * corpus, so duplicates stay a modest share of small corpora.
 */
function planDuplicates(planner: Planner): void {
  const originals = [...planner.specs];
  const image = originals.find((spec) => spec.group === "large random");
  if (image) {
    planner.add(`images-backup/${image.path.split("/").pop()}`, "duplicate", image.size, image.kind, {
      of: image.index,
      prefix: 0,
    });
  }
  const small = originals.filter((spec) => spec.group === "small");
  for (let i = 0; i < small.length; i += 16) {
    const spec = small[i]!;
    planner.add(spec.path.replace(/^src\//, "src-copy/"), "duplicate", spec.size, spec.kind, {
      of: spec.index,
      prefix: 0,
    });
  }
  const total = originals.reduce((sum, spec) => sum + spec.size, 0);
  const medium = originals.filter((spec) => spec.group === "medium" && spec.size <= total / 100).slice(0, 4);
  medium.forEach((spec, i) => {
    const name = spec.path.split("/").pop()!;
    const prefix = i < 2 ? 0 : planner.rng.int(1, 4097);
    const label = prefix === 0 ? "copy" : "shifted";
    planner.add(`releases/${label}-${name}`, "duplicate", spec.size + prefix, spec.kind, {
      of: spec.index,
      prefix,
    });
  });
}

/** Writes files from their specs, reusing one 1 MiB block and remembering which folders exist. */
class CorpusWriter {
  readonly #root: string;
  readonly #specs: FileSpec[];
  readonly #vocabulary: Vocabulary;
  readonly #block = new Uint8Array(MiB);
  readonly #dirs = new Set<string>();

  constructor(root: string, specs: FileSpec[], seed: number) {
    this.#root = root;
    this.#specs = specs;
    this.#vocabulary = corpusVocabulary(seed);
  }

  /** The endless byte stream a spec's file starts with. */
  source(spec: FileSpec): ByteSource {
    if (spec.copy !== undefined) {
      const original = this.source(this.#specs[spec.copy.of]!);
      if (spec.copy.prefix === 0) return original;
      return new PrefixedSource(spec.copy.prefix, new RandomSource(spec.seed), original);
    }
    return contentSource(spec.kind, spec.seed, this.#vocabulary);
  }

  /** (Re)writes the file of `spec` in full, with the base modification time. */
  write(spec: FileSpec): void {
    const path = this.path(spec);
    const dir = dirname(path);
    if (!this.#dirs.has(dir)) {
      Deno.mkdirSync(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    try {
      const source = this.source(spec);
      for (let done = 0; done < spec.size;) {
        const block = this.#block.subarray(0, Math.min(MiB, spec.size - done));
        source.fill(block);
        writeAll(file, block);
        done += block.length;
      }
    } finally {
      file.close();
    }
    Deno.utimeSync(path, BASE_MTIME, BASE_MTIME);
  }

  path(spec: FileSpec): string {
    return join(this.#root, ...spec.path.split("/"));
  }

  get vocabulary(): Vocabulary {
    return this.#vocabulary;
  }
}

function contentSource(kind: ContentKind, seed: number, vocabulary: Vocabulary): ByteSource {
  switch (kind) {
    case "text":
      return new SourceTextSource(seed, vocabulary);
    case "log":
      return new LogSource(seed, vocabulary);
    case "records":
      return new RecordsSource(seed, vocabulary);
    case "random":
      return new RandomSource(seed);
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}

/** What `corpus.json` next to the corpus records. */
interface Manifest {
  format: number;
  seed: number;
  size: number;
  files?: number;
  /** tree digest of the pristine corpus */
  digest: string;
  /** indices of files changed by {@link mutateCorpus} and not yet restored */
  changed: number[];
}

/** A corpus manifest as JSON, or undefined when there is none (or it cannot be parsed). */
export function readManifest<T = Manifest>(path: string): T | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as T;
  } catch {
    return undefined;
  }
}

/** Writes a corpus manifest through a temporary file, so a killed run never leaves half of one. */
export function writeManifest(path: string, manifest: unknown): void {
  Deno.writeTextFileSync(path + ".tmp", JSON.stringify(manifest, null, 2) + "\n");
  Deno.renameSync(path + ".tmp", path);
}

/**
 * Makes sure `root` holds the pristine corpus for `params`, and reads it all once (hashing it, which
 * also warms the page cache). Reuses an existing corpus when its manifest and content digest match,
 * rewrites files a previous run changed, and regenerates everything otherwise.
 */
export function ensureCorpus(root: string, manifestPath: string, params: CorpusParams): Corpus {
  const started = performance.now();
  const specs = planCorpus(params);
  const writer = new CorpusWriter(root, specs, params.seed);
  const manifest = readManifest(manifestPath);
  const matches = manifest !== undefined && manifest.format === CORPUS_FORMAT &&
    manifest.seed === params.seed &&
    manifest.size === params.size && manifest.files === params.files;
  let action: Corpus["action"] = "reused";
  if (matches && manifest.changed.length > 0) {
    for (const index of manifest.changed) writer.write(specs[index]!);
    writeManifest(manifestPath, { ...manifest, changed: [] });
    action = "restored changed files";
  }
  let tree = matches ? readTreeOrUndefined(root) : undefined;
  if (tree === undefined || tree.digest !== manifest?.digest) {
    if (manifest === undefined && !isEmptyOrMissing(root)) {
      throw new BenchError(
        `Refusing to replace "${root}": it has no "${manifestPath}", so the benchmark did not make it`,
      );
    }
    removeIfPresent(manifestPath);
    removeIfPresent(root);
    Deno.mkdirSync(dirname(manifestPath), { recursive: true });
    // A new writer: the one that restored changed files remembers folders that are gone now.
    const regenerator = new CorpusWriter(root, specs, params.seed);
    for (const spec of specs) regenerator.write(spec);
    tree = readTree(root);
    writeManifest(manifestPath, {
      format: CORPUS_FORMAT,
      seed: params.seed,
      size: params.size,
      ...(params.files === undefined ? {} : { files: params.files }),
      digest: tree.digest,
      changed: [],
    });
    action = "generated";
  }
  return { root, params, specs, tree, action, seconds: (performance.now() - started) / 1000 };
}

/** True when `dir` is missing or empty (a corpus folder that may be filled without asking). */
export function isEmptyOrMissing(dir: string): boolean {
  try {
    for (const _ of Deno.readDirSync(dir)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/** The summary of the tree at `root`, or undefined when it cannot be read. */
export function readTreeOrUndefined(root: string): TreeSummary | undefined {
  try {
    return readTree(root);
  } catch {
    return undefined;
  }
}

/** One file changed by {@link mutateCorpus}. */
export interface Change {
  path: string;
  how: "appended" | "rewritten in the middle";
  bytes: number;
}

/**
 * Changes a deterministic 1% of the files (at least one small, one medium and one large log file):
 * alternately appending to them and overwriting a region in their middle, then re-reads the corpus.
 * The manifest records the changed files first, so an interrupted run is repaired by the next one.
 */
export function mutateCorpus(corpus: Corpus, manifestPath: string): Change[] {
  const chosen = chooseChanges(corpus.specs, corpus.params.seed);
  const manifest = readManifest(manifestPath);
  if (manifest === undefined) throw new BenchError(`Cannot change the corpus: "${manifestPath}" is missing`);
  writeManifest(manifestPath, { ...manifest, changed: chosen.map((spec) => spec.index) });
  const writer = new CorpusWriter(corpus.root, corpus.specs, corpus.params.seed);
  const changes = chosen.map((spec, i) =>
    changeFile(writer, spec, spec.group === "large log" || i % 2 === 0)
  );
  corpus.tree = readTree(corpus.root);
  return changes;
}

function chooseChanges(specs: FileSpec[], seed: number): FileSpec[] {
  const rng = new Rng(mixSeed(seed, 0xc4a9));
  const chosen: FileSpec[] = [];
  for (const group of ["small", "medium", "large log"] as const) {
    const members = specs.filter((spec) => spec.group === group && spec.size > 0);
    const count = Math.min(members.length, Math.max(1, Math.round(members.length / 100)));
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rng.next() * (members.length - i));
      [members[i], members[j]] = [members[j]!, members[i]!];
      chosen.push(members[i]!);
    }
  }
  return chosen;
}

function changeFile(writer: CorpusWriter, spec: FileSpec, append: boolean): Change {
  const path = writer.path(spec);
  const source = contentSource(spec.kind, mixSeed(spec.seed, 0xc4a9), writer.vocabulary);
  let bytes: Uint8Array;
  const file = Deno.openSync(path, { read: true, write: true });
  try {
    if (append) {
      const length = spec.group === "small"
        ? 512 + (spec.seed % (3.5 * KiB))
        : Math.max(64 * KiB, spec.size / 100);
      bytes = new Uint8Array(Math.floor(length));
      file.seekSync(0, Deno.SeekMode.End);
    } else {
      bytes = new Uint8Array(clamp(Math.floor(spec.size / 16), 64, 256 * KiB));
      file.seekSync(Math.floor((spec.size - bytes.length) / 2), Deno.SeekMode.Start);
    }
    source.fill(bytes);
    writeAll(file, bytes);
  } finally {
    file.close();
  }
  Deno.utimeSync(path, CHANGED_MTIME, CHANGED_MTIME);
  return { path: spec.path, how: append ? "appended" : "rewritten in the middle", bytes: bytes.length };
}

/** Files and bytes per group, for the report. */
export function describeCorpus(specs: FileSpec[]): { group: FileGroup; files: number; bytes: number }[] {
  const groups = new Map<FileGroup, { group: FileGroup; files: number; bytes: number }>();
  for (const spec of specs) {
    const entry = groups.get(spec.group) ?? { group: spec.group, files: 0, bytes: 0 };
    entry.files++;
    entry.bytes += spec.size;
    groups.set(spec.group, entry);
  }
  return [...groups.values()];
}
