// A temp folder holding a config (one local destination, the given plans) and its repository, and a way
// to run kept against it as a real child process.

import assert from "node:assert/strict";
import { type CliResult, runKept } from "./run_cli.ts";
import { LocalBackend } from "../../lib/backends/local.ts";
import { Repository } from "../../lib/repo/repository.ts";
import type { SnapshotStats, TreeNode } from "../../lib/repo/types.ts";

/** The password every fixture repository is created with. */
export const PASSWORD = "correct horse battery staple";

/** A plan as written in YAML (snake_case keys). */
export interface PlanSpec {
  sources: string[];
  excludes?: string[];
  exclude_if_present?: string[];
  ignore_files?: string[];
  exclude_larger_than?: string;
  tags?: string[];
}

/** What `backup --json` prints for one destination. */
export interface BackupJson {
  destination: string;
  snapshotId?: string;
  parentId?: string;
  stats: SnapshotStats;
  warnings: string[];
  removedLeftovers?: { files: number; bytes: number };
}

/** A config folder, its repository and helpers to run kept on them. */
export interface Fixture {
  /** The temp folder (real path, no symlinks) holding everything. */
  root: string;
  config: string;
  repo: string;
  /** Runs kept with `--config`; cheap scrypt; `env` adds variables. */
  kept(args: string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
  /** Like `kept` but fails the test unless the exit code is 0. */
  keptOk(args: string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
  /** Runs `backup PLAN --json`, expecting exit code `expectCode` (default 0). */
  backup(plan: string, expectCode?: number): Promise<BackupJson>;
  /** Opens the repository in this process, for tests that inspect or craft its contents. */
  open(): Promise<Repository>;
  /** The bytes of the repository folder (file sizes, not blocks). */
  repoBytes(): number;
  cleanup(): Promise<void>;
}

/**
 * Creates a fixture whose plans (given the fixture's root folder) back up to destination `local`; `init`
 * (default true) creates the repository. With `passwordInConfig: false` the password comes from
 * KEPT_PASSWORD instead.
 */
export async function makeFixture(
  plansOf: (root: string) => Record<string, PlanSpec>,
  options: { init?: boolean; passwordInConfig?: boolean } = {},
): Promise<Fixture> {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "kept-engine-" }));
  const plans = plansOf(root);
  const config = `${root}/config`;
  const repo = `${root}/repo`;
  await Deno.mkdir(config, { recursive: true });
  const destination: Record<string, string> = { url: repo };
  if (options.passwordInConfig !== false) destination.password = PASSWORD;
  const document = {
    version: 1,
    destinations: { local: destination },
    plans: Object.fromEntries(
      Object.entries(plans).map(([name, plan]) => [name, { ...plan, destinations: ["local"] }]),
    ),
  };
  // JSON is YAML.
  await Deno.writeTextFile(`${config}/kept.yaml`, JSON.stringify(document, null, 2) + "\n");

  const kept = (args: string[], runOptions: { env?: Record<string, string> } = {}) =>
    runKept(["--config", config, ...args], {
      env: { KEPT_KDF_N: "1024", TZ: "UTC", ...runOptions.env },
    });
  const keptOk = async (args: string[], runOptions: { env?: Record<string, string> } = {}) => {
    const result = await kept(args, runOptions);
    assert.equal(result.code, 0, `kept ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
    return result;
  };
  const fixture: Fixture = {
    root,
    config,
    repo,
    kept,
    keptOk,
    backup: async (plan, expectCode = 0) => {
      const result = await kept(["backup", plan, "--json"]);
      assert.equal(result.code, expectCode, `backup ${plan} exited ${result.code}:\n${result.stderr}`);
      const parsed = JSON.parse(result.stdout) as unknown[];
      assert.equal(parsed.length, 1);
      // --json speaks snake_case (docs/json.md); the tests read the library's names.
      return camelKeys(parsed[0]) as BackupJson;
    },
    open: async () => await Repository.open(await LocalBackend.open(repo), PASSWORD),
    repoBytes: () => folderBytes(repo),
    cleanup: async () => {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
  if (options.init !== false) {
    await keptOk(
      ["init", "local"],
      options.passwordInConfig === false ? { env: { KEPT_PASSWORD: PASSWORD } } : {},
    );
  }
  return fixture;
}

/** `value` with every key in camelCase (`snapshot_id` → `snapshotId`), deeply. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map((
      [key, inner],
    ) => [key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), camelKeys(inner)]),
  );
}

/** Sum of the sizes of the regular files below `path`. */
export function folderBytes(path: string): number {
  let total = 0;
  for (const entry of Deno.readDirSync(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) total += folderBytes(child);
    else if (entry.isFile) total += Deno.lstatSync(child).size;
  }
  return total;
}

/** Every pack file of a repository, as absolute paths. */
export function packFiles(repo: string): string[] {
  const packs: string[] = [];
  for (const sub of Deno.readDirSync(`${repo}/data`)) {
    if (!sub.isDirectory) continue;
    for (const file of Deno.readDirSync(`${repo}/data/${sub.name}`)) {
      if (file.isFile && !file.name.startsWith(".")) packs.push(`${repo}/data/${sub.name}/${file.name}`);
    }
  }
  return packs.sort();
}

/** Parses `ls --json` output (one JSON object per line). */
export function parseLines<T>(stdout: string): T[] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as T);
}

/** The tree node of an absolute path in a snapshot's tree (throws when it is missing). */
export async function nodeAt(repository: Repository, snapshotId: string, path: string): Promise<TreeNode> {
  const { snapshot } = await repository.findSnapshot(snapshotId);
  await repository.loadIndex();
  let tree = await repository.loadTree(snapshot.tree);
  const parts = path.split("/").filter((p) => p !== "");
  for (const [i, part] of parts.entries()) {
    const node = tree.nodes.find((n) => n.name === part);
    if (!node) throw new Error(`${path} is not in snapshot ${snapshotId.slice(0, 12)}`);
    if (i === parts.length - 1) return node;
    tree = await repository.loadTree(node.subtree!);
  }
  throw new Error(`${path} names the root`);
}

/**
 * Waits until the clock enters the next whole second. Files changed in the second a backup starts are
 * "racy" and read again by the next backup (see lib/backup/file_changed.ts); tests that count unchanged
 * files let the second pass between changing files and backing them up.
 */
export async function nextSecond(): Promise<void> {
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await new Promise((resolve) => setTimeout(resolve, 10));
}
