/**
 * Reads a folder tree into per-file SHA-256 digests, and compares two such summaries: how the harness
 * proves a restore is complete and correct, so a broken tool cannot "win".
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join } from "node:path";

/** Size and content hash of one regular file. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/** Every regular file under a root, by relative path (with `/`), plus totals. */
export interface TreeSummary {
  files: number;
  bytes: number;
  /** SHA-256 over the sorted list of (path, size, sha256), then of symlinks: equal trees have equal digests */
  digest: string;
  entries: Map<string, FileDigest>;
  /** Every symlink's target, by relative path. */
  links: Map<string, string>;
}

const BLOCK = 1 << 20;

/**
 * Reads every regular file under `root` once (which also warms the page cache) and hashes it, and reads
 * every symlink's target. Symlinks are not followed and special files are left out. Throws if `root`
 * cannot be read.
 */
export function readTree(root: string): TreeSummary {
  const entries = new Map<string, FileDigest>();
  const links = new Map<string, string>();
  const buffer = new Uint8Array(BLOCK);
  const walk = (dir: string, prefix: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      const relative = prefix + entry.name;
      if (entry.isDirectory) walk(path, relative + "/");
      else if (entry.isFile) entries.set(relative, hashFile(path, buffer));
      else if (entry.isSymlink) links.set(relative, Deno.readLinkSync(path));
    }
  };
  walk(root, "");
  return summarize(entries, links);
}

function hashFile(path: string, buffer: Uint8Array): FileDigest {
  const hash = createHash("sha256");
  const file = Deno.openSync(path, { read: true });
  let size = 0;
  try {
    for (;;) {
      const n = file.readSync(buffer);
      if (n === null || n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
  } finally {
    file.close();
  }
  return { size, sha256: hash.digest("hex") };
}

function summarize(entries: Map<string, FileDigest>, links: Map<string, string>): TreeSummary {
  const paths = [...entries.keys()].sort();
  const hash = createHash("sha256");
  let bytes = 0;
  for (const path of paths) {
    const { size, sha256 } = entries.get(path)!;
    hash.update(`${path}\0${size}\0${sha256}\n`);
    bytes += size;
  }
  // Nothing for a tree without symlinks, so the digests of the generated corpora stay what they were.
  for (const path of [...links.keys()].sort()) hash.update(`${path}\0->\0${links.get(path)}\n`);
  return { files: paths.length, bytes, digest: hash.digest("hex"), entries, links };
}

/** The outcome of comparing a restored tree with the expected one. */
export interface TreeComparison {
  ok: boolean;
  /** one line: what matched, or what differs with examples */
  summary: string;
}

/** Compares file lists, sizes and SHA-256 of `actual` with `expected`. */
export function compareTrees(expected: TreeSummary, actual: TreeSummary): TreeComparison {
  if (expected.digest === actual.digest) {
    const links = actual.links.size > 0 ? `, ${actual.links.size} symlinks with the same targets` : "";
    return {
      ok: true,
      summary: `restore verified: ${actual.files} files, ${actual.bytes} bytes, all SHA-256 equal${links}`,
    };
  }
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [path, want] of expected.entries) {
    const got = actual.entries.get(path);
    if (got === undefined) missing.push(path);
    else if (got.size !== want.size || got.sha256 !== want.sha256) changed.push(path);
  }
  const extra = [...actual.entries.keys()].filter((path) => !expected.entries.has(path));
  const links = [...expected.links].filter(([path, target]) => actual.links.get(path) !== target);
  const extraLinks = [...actual.links.keys()].filter((path) => !expected.links.has(path));
  const parts = [
    describe("missing", missing),
    describe("with wrong content", changed),
    describe("unexpected", extra),
    describe("symlinks missing or with another target", links.map(([path]) => path)),
    describe("unexpected symlinks", extraLinks),
  ].filter((part) => part !== "");
  return {
    ok: false,
    summary:
      `restore WRONG: ${actual.files}/${expected.files} files, ${actual.bytes}/${expected.bytes} bytes; ` +
      parts.join("; "),
  };
}

function describe(what: string, paths: string[]): string {
  if (paths.length === 0) return "";
  return `${paths.length} ${what} (e.g. "${paths[0]}")`;
}

/**
 * Finds where a restore put the backed-up folder `source` inside `target`: tools restore either the full
 * absolute path (restic, borg), the folder by its name, or its contents directly.
 */
export function locateRestoredRoot(target: string, source: string): string {
  for (const candidate of [join(target, source), join(target, basename(source))]) {
    try {
      if (Deno.statSync(candidate).isDirectory) return candidate;
    } catch {
      // not this layout
    }
  }
  return target;
}
