// A repository with a history for the prune tests: five backups of a folder that changes between them,
// each state kept as a copy (`cp -a`, times included) to compare restores with.

import assert from "node:assert/strict";
import { writeRandomFile } from "../_support/random_bytes.ts";
import { type Fixture, makeFixture } from "../_support/fixture.ts";
import { assertSameTree } from "../_support/tree_differ.ts";

/** A fixture with five snapshots of `src`, oldest first, and the folder each one recorded. */
export interface History {
  fixture: Fixture;
  src: string;
  /** Snapshot ids, oldest first. */
  snapshots: string[];
  /** `states[i]`: a copy of `src` as snapshot i recorded it. */
  states: string[];
}

/** Five backups; between them files are rewritten, added and removed (about 2 MiB of new data each). */
export async function makeHistory(): Promise<History> {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  Deno.mkdirSync(`${src}/keep`, { recursive: true });
  for (let file = 0; file < 4; file++) writeRandomFile(`${src}/keep/${file}.bin`, 700_000, 1000 + file);
  Deno.writeTextFileSync(`${src}/keep/small.txt`, "the same in every snapshot\n");
  const snapshots: string[] = [];
  const states: string[] = [];
  for (let backup = 0; backup < 5; backup++) {
    for (let file = 0; file < 3; file++) {
      writeRandomFile(`${src}/changing-${file}.bin`, 400_000 + 150_000 * file, 10 * backup + file);
    }
    writeRandomFile(`${src}/only-${backup}.bin`, 500_000, 500 + backup);
    if (backup > 0) Deno.removeSync(`${src}/only-${backup - 1}.bin`);
    const result = await fixture.backup("p");
    snapshots.push(result.snapshotId!);
    const state = `${fixture.root}/state-${backup}`;
    await copyTree(src, state);
    states.push(state);
  }
  return { fixture, src, snapshots, states };
}

/** Copies a folder with its times and modes (`cp -a`). */
export async function copyTree(from: string, to: string): Promise<void> {
  const status = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
  assert.ok(status.success, new TextDecoder().decode(status.stderr));
}

/** Restores snapshot `id` through the CLI and compares it with `state`, byte for byte with metadata. */
export async function assertRestores(history: History, id: string, state: string): Promise<void> {
  const target = `${history.fixture.root}/restore-${crypto.randomUUID()}`;
  await history.fixture.keptOk(["restore", id, "--target", target]);
  try {
    assertSameTree(state, `${target}${history.src}`);
  } finally {
    Deno.removeSync(target, { recursive: true });
  }
}

/** The stored bytes of a repository's data, index and snapshots (keys, config and locks left out). */
export function storedBytes(repo: string): number {
  let total = 0;
  const walk = (path: string) => {
    for (const entry of Deno.readDirSync(path)) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory) walk(child);
      else if (entry.isFile && !entry.name.startsWith(".tmp-")) total += Deno.lstatSync(child).size;
    }
  };
  for (const kind of ["data", "index", "snapshots"]) walk(`${repo}/${kind}`);
  return total;
}

/** Every file of a repository folder (relative paths, sorted): to show that nothing changed. */
export function listFiles(repo: string): string[] {
  const files: string[] = [];
  const walk = (path: string, relative: string) => {
    for (const entry of Deno.readDirSync(path)) {
      const child = `${relative}${entry.name}`;
      if (entry.isDirectory) walk(`${path}/${entry.name}`, `${child}/`);
      else if (!child.startsWith("locks/")) files.push(child);
    }
  };
  walk(repo, "");
  return files.sort();
}
