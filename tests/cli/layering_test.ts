// The layers point one way (STYLE.md, docs/architecture.md): cli → use cases (backup, restore, check,
// snapshots) → destinations → repo → backends; chunker, crypto and workers are leaves. A folder reaches
// another only through its mod.ts, so each folder's public surface is one file.

import assert from "node:assert/strict";

const LIB = new URL("../../lib/", import.meta.url).pathname;

/** Top-level single-file modules every layer may use. */
const SHARED = [
  "errors.ts",
  "memory.ts",
  "version.ts",
  "run_command.ts",
  "read_full.ts",
  "regular_file.ts",
  "lru_cache.ts",
  "process_alive.ts",
  "compare_text.ts",
  "machine_time_zone.ts",
];

/**
 * Files that only workers load, besides the `*_worker.ts` entry files, and the one main.ts runs before
 * loading the rest of kept: they may import narrowly too.
 */
const NARROW_MODULES = ["lib/check/_verify_pack.ts", "lib/destinations/warm_unlock.ts"];

/** Which of our folders each folder may import (besides {@link SHARED}). */
const ALLOWED: Record<string, string[]> = {
  chunker: [],
  crypto: [],
  workers: [],
  backends: [],
  plan: [],
  retention: [],
  platform: [],
  repo: ["crypto", "backends"],
  destinations: ["repo", "backends", "crypto", "plan", "secrets.ts"],
  backup: ["destinations", "repo", "crypto", "chunker", "workers", "platform"],
  restore: ["repo", "crypto", "workers", "platform"],
  check: ["repo", "workers"],
  snapshots: ["destinations", "repo"],
  forget: ["retention"],
  prune: ["repo", "crypto"],
  repair: ["repo", "crypto"],
  state: [],
  hooks: [],
  reconcile: ["retention", "plan", "repo", "state", "hooks"],
  schedule: ["plan"],
  daemon: ["reconcile", "schedule", "plan"],
  cli: [
    "daemon",
    "schedule",
    "hooks",
    "reconcile",
    "state",
    "forget",
    "prune",
    "repair",
    "backup",
    "restore",
    "check",
    "snapshots",
    "destinations",
    "repo",
    "plan",
    "backends",
    "platform",
    "secrets.ts",
  ],
};

/** Every relative import of a file in lib/FOLDER that leaves the folder: [top-level name, rest of path]. */
async function* importsLeaving(folder: string): AsyncGenerator<{ file: string; target: string }> {
  // A folder a rule anticipates (platform, retention) may not exist yet.
  if (!existsFolder(`${LIB}${folder}`)) return;
  for await (const entry of Deno.readDir(`${LIB}${folder}`)) {
    if (!entry.name.endsWith(".ts")) continue;
    const source = await Deno.readTextFile(`${LIB}${folder}/${entry.name}`);
    for (const [, target] of source.matchAll(/^(?:import|export)[^"']*["'](\.\.\/[^"']+)["']/gm)) {
      yield { file: `lib/${folder}/${entry.name}`, target: target! };
    }
  }
}

function existsFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("every folder of lib/ is known to the layering rules", async () => {
  const folders: string[] = [];
  for await (const entry of Deno.readDir(LIB)) if (entry.isDirectory) folders.push(entry.name);
  assert.deepEqual(folders.filter((folder) => !(folder in ALLOWED)), []);
});

Deno.test("lib/ modules import only the layers below them", async () => {
  const violations: string[] = [];
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    for await (const { file, target } of importsLeaving(folder)) {
      const top = target.slice(3).split("/")[0]!;
      if (!SHARED.includes(top) && !allowed.includes(top)) violations.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

Deno.test("lib/ folders reach each other only through mod.ts (worker entry files and the start-up unlock excepted)", async () => {
  const violations: string[] = [];
  for (const folder of Object.keys(ALLOWED)) {
    for await (const { file, target } of importsLeaving(folder)) {
      // A worker loads only what it runs: a whole mod.ts would lengthen every worker's start.
      if (file.endsWith("_worker.ts") || NARROW_MODULES.includes(file)) continue;
      const parts = target.slice(3).split("/");
      if (parts.length === 2 && parts[1] !== "mod.ts") violations.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});
