/**
 * One adapter per backup tool behind one interface: each says how to init a repository, back up the
 * corpus, restore the latest snapshot into an empty folder and check the repository reading all data.
 * Opening an adapter finds (or installs) the tool, reads its version and clears its repository and caches.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, capture, ensureCommand, type Invocation, removeIfPresent } from "./measure.ts";

/** The tools the harness knows. */
export type ToolName = "kept" | "restic" | "borg";
/** All of them, in the order they run and are reported. */
export const TOOL_NAMES: readonly ToolName[] = ["kept", "restic", "borg"];

/** A backup tool ready to run against a fresh repository. */
export interface Tool {
  readonly name: ToolName;
  /** e.g. "restic 0.14.0" */
  readonly version: string;
  /** the settings the harness uses (compression, encryption), for the report */
  readonly settings: string;
  /** the folder holding the repository, measured with du after every step */
  readonly repo: string;
  init(): Invocation;
  /** the `n`-th backup of the corpus (1-based) */
  backup(n: number): Invocation;
  /** restores snapshot `n` (the latest) into the empty folder `target` */
  restore(n: number, target: string): Invocation;
  /**
   * lists the snapshots: opening the repository (with the key derivation the tool chose) and little more,
   * the floor under every other step
   */
  snapshots(): Invocation;
  /** verifies the repository, reading and decrypting all data */
  check(): Invocation;
  /** forgets every snapshot but the newest and frees the space of what no snapshot needs any more */
  forgetPrune(): Invocation;
}

/** Where a tool keeps its files and what it backs up. */
export interface ToolSetup {
  /** the harness's work folder; every tool gets its own folders inside it */
  work: string;
  /** the folder to back up */
  corpus: string;
  password: string;
  /** install missing tools with apt-get */
  install: boolean;
}

/** Opens `name`, or explains why it cannot be had. */
export async function openTool(name: ToolName, setup: ToolSetup): Promise<Tool | { unavailable: string }> {
  switch (name) {
    case "kept":
      return await openKept(setup);
    case "restic":
      return await openRestic(setup);
    case "borg":
      return await openBorg(setup);
  }
}

/** Parses "x.y.z" out of a version banner into numbers. */
export function parseVersion(text: string): number[] | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

function atLeast(version: number[], wanted: number[]): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const have = version[i] ?? 0;
    if (have !== wanted[i]) return have > wanted[i]!;
  }
  return true;
}

/** Removes `paths` and returns the environment with `vars` added. */
function fresh(paths: string[], vars: Record<string, string>): Record<string, string> {
  for (const path of paths) removeIfPresent(path);
  return vars;
}

async function openRestic(setup: ToolSetup): Promise<Tool | { unavailable: string }> {
  const missing = await ensureCommand("restic", "restic", setup.install);
  if (missing) return { unavailable: missing };
  const banner = (await capture(["restic", "version"])).stdout.trim();
  const version = parseVersion(banner) ?? [0, 0, 0];
  // Repository format 2 (compressed) exists since restic 0.14.
  const compressed = atLeast(version, [0, 14]);
  const repo = join(setup.work, "restic-repo");
  const cache = join(setup.work, "restic-cache");
  const env = fresh([repo, cache], { RESTIC_PASSWORD: setup.password, RESTIC_CACHE_DIR: cache });
  const restic = (...args: string[]): Invocation => ({ argv: ["restic", "-r", repo, ...args], env });
  return {
    name: "restic",
    version: `restic ${version.join(".")}`,
    settings: compressed
      ? "repository version 2, --compression auto (zstd), AES-256 + Poly1305"
      : "repository version 1 (no compression), AES-256 + Poly1305",
    repo,
    init: () => restic("init", ...(compressed ? ["--repository-version", "2"] : [])),
    backup: () =>
      restic("backup", "--host", "bench", ...(compressed ? ["--compression", "auto"] : []), setup.corpus),
    restore: (_n, target) => restic("restore", "latest", "--host", "bench", "--target", target),
    snapshots: () => restic("snapshots"),
    check: () => restic("check", "--read-data"),
    forgetPrune: () => restic("forget", "--host", "bench", "--keep-last", "1", "--prune"),
  };
}

async function openBorg(setup: ToolSetup): Promise<Tool | { unavailable: string }> {
  const missing = await ensureCommand("borg", "borgbackup", setup.install);
  if (missing) return { unavailable: missing };
  const version = parseVersion((await capture(["borg", "--version"])).stdout) ?? [0, 0, 0];
  const repo = join(setup.work, "borg-repo");
  const base = join(setup.work, "borg-home");
  const env = fresh([repo, base], {
    BORG_PASSPHRASE: setup.password,
    BORG_BASE_DIR: base,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: "yes",
    BORG_RELOCATED_REPO_ACCESS_IS_OK: "yes",
  });
  const common = { name: "borg" as const, version: `borg ${version.join(".")}`, repo };
  const archive = (n: number) => `snap-${n}`;
  if (version[0]! >= 2) {
    // borg 2 names the repository with -r and renamed init to repo-create.
    const borg = (...args: string[]): Invocation => ({ argv: ["borg", "-r", repo, ...args], env });
    return {
      ...common,
      settings: "repokey-blake2-chacha20-poly1305, --compression zstd,3",
      init: () => borg("repo-create", "-e", "repokey-blake2-chacha20-poly1305"),
      backup: (n) => borg("create", "--compression", "zstd,3", archive(n), setup.corpus),
      restore: (n, target) => ({ ...borg("extract", archive(n)), cwd: target }),
      snapshots: () => borg("repo-list"),
      check: () => borg("check", "--verify-data"),
      forgetPrune: () => ({
        argv: ["sh", "-c", `borg -r "$0" prune --keep-last 1 && borg -r "$0" compact`, repo],
        env,
      }),
    };
  }
  const borg = (...args: string[]): Invocation => ({ argv: ["borg", ...args], env });
  return {
    ...common,
    settings: "repokey-blake2 (AES-256-CTR + BLAKE2b), --compression zstd,3",
    init: () => borg("init", "-e", "repokey-blake2", repo),
    backup: (n) => borg("create", "--compression", "zstd,3", `${repo}::${archive(n)}`, setup.corpus),
    restore: (n, target) => ({ ...borg("extract", `${repo}::${archive(n)}`), cwd: target }),
    snapshots: () => borg("list", repo),
    check: () => borg("check", "--verify-data", repo),
    // borg frees space only when compact runs after prune: both are one step, as restic's forget --prune.
    forgetPrune: () => ({
      argv: ["sh", "-c", `borg prune --keep-last 1 "$0" && borg compact "$0"`, repo],
      env,
    }),
  };
}

/**
 * kept is run from source with the Deno running this harness, with the V8 flags that `deno task compile`
 * builds into the shipped binary: `deno run -A --v8-flags=… main.ts`.
 */
async function openKept(setup: ToolSetup): Promise<Tool | { unavailable: string }> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const main = join(root, "main.ts");
  try {
    Deno.statSync(main);
  } catch {
    return { unavailable: `"${main}" does not exist` };
  }
  const repo = join(setup.work, "kept-repo");
  const home = join(setup.work, "kept-home");
  const plans = join(setup.work, "kept-plans");
  const config = join(plans, "bench.yaml");
  const env = fresh([repo, home, plans], {
    KEPT_PASSWORD: setup.password,
    // Deno would otherwise put its own cache under XDG_CACHE_HOME and fetch every npm package again.
    DENO_DIR: await denoDir(),
    // Keep kept's state and caches inside the work folder, fresh for every run.
    XDG_CACHE_HOME: join(home, "cache"),
    XDG_STATE_HOME: join(home, "state"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_DATA_HOME: join(home, "data"),
    NO_COLOR: "1",
  });
  Deno.mkdirSync(plans, { recursive: true });
  Deno.writeTextFileSync(config, keptConfig(repo, setup.corpus));
  const v8Flags = compiledV8Flags(join(root, "deno.json"));
  const kept = (...args: string[]): Invocation => ({
    argv: [
      Deno.execPath(),
      "run",
      "-A",
      ...v8Flags,
      "--config",
      join(root, "deno.json"),
      main,
      "--config",
      config,
      ...args,
    ],
    cwd: root,
    env,
  });
  const banner = await capture(kept("--version").argv, { cwd: root, env });
  const commit = (await capture(["git", "-C", root, "describe", "--always", "--dirty"])).stdout.trim();
  // The first line: `kept --version` also names Deno and the formats on the lines after it.
  const version = banner.ok ? banner.stdout.trim().split("\n")[0]! : "unknown version";
  return {
    name: "kept",
    version: `kept ${version.replace(/^kept\s+/, "")}${
      commit ? ` (${commit})` : ""
    }, deno ${Deno.version.deno}`,
    settings: `run from source with \`deno run -A ${
      [...v8Flags, ""].join(" ")
    }main.ts\` (the V8 flags of \`deno task compile\`); repository defaults`,
    repo,
    init: () => kept("init", "bench"),
    backup: () => kept("backup", "corpus"),
    restore: (_n, target) => kept("restore", "latest", "--destination", "bench", "--target", target),
    snapshots: () => kept("snapshots", "--destination", "bench"),
    check: () => kept("check", "--destination", "bench", "--read-data"),
    forgetPrune: () => kept("forget", "corpus", "--prune"),
  };
}

/** The `--v8-flags=…` argument of deno.json's compile task (none when it has none). */
export function compiledV8Flags(denoJson: string): string[] {
  const tasks = JSON.parse(Deno.readTextFileSync(denoJson)).tasks as Record<string, string>;
  return (tasks.compile ?? "").split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="));
}

/**
 * The Deno cache folder this harness runs with (`deno info --json`). Every kept it starts gets it as
 * DENO_DIR: Deno would otherwise follow the XDG_CACHE_HOME set for kept and transpile kept anew.
 */
export async function denoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const info = await capture([Deno.execPath(), "info", "--json"]);
  const dir = info.ok ? (JSON.parse(info.stdout) as { denoDir?: string }).denoDir : undefined;
  if (!dir) {
    throw new BenchError(`Cannot find Deno's cache folder: "deno info --json" failed: ${info.stderr.trim()}`);
  }
  return dir;
}

/** The plan file kept is driven with: one local destination and one plan backing up the corpus. */
export function keptConfig(repo: string, corpus: string): string {
  // JSON strings are valid YAML scalars, so paths with spaces or quotes need no further escaping.
  return [
    "# Written by bench/run.ts for every run; do not edit.",
    "version: 1",
    "destinations:",
    "  bench:",
    `    url: ${JSON.stringify(repo)}`,
    "    password: ${KEPT_PASSWORD}",
    "plans:",
    "  corpus:",
    `    sources: [${JSON.stringify(corpus)}]`,
    "    destinations: [bench]",
    // Acted on only by the forget + prune step (forget --prune); backups are the same with or without it.
    "    retention: { keep_last: 1 }",
    "",
  ].join("\n");
}

/**
 * Runs kept from this checkout as the bench does (`deno run -A`, the compile task's V8 flags) on `config`,
 * with `env`: for the sections that drive kept alone (bench/s3.ts, bench/reconcile.ts).
 */
export function keptFromSource(
  config: string,
  env: Record<string, string>,
): (...args: string[]) => Invocation {
  const root = fileURLToPath(new URL("..", import.meta.url));
  return (...args) => ({
    argv: [
      Deno.execPath(),
      "run",
      "-A",
      ...compiledV8Flags(join(root, "deno.json")),
      "--config",
      join(root, "deno.json"),
      join(root, "main.ts"),
      "--config",
      config,
      ...args,
    ],
    cwd: root,
    env,
  });
}
