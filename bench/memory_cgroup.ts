/**
 * Runs a kept backup of the small-files corpus inside a memory cgroup (v1) with a hard limit, the way a
 * small server would: does it complete, or does the OOM killer end it? Needs root and the cgroup v1 memory
 * controller at /sys/fs/cgroup/memory (`prlimit --as` does not fit V8, which reserves far more address
 * space than it uses).
 *
 * ```sh
 * deno run -A bench/memory_cgroup.ts --files 1000000 --limit 1GiB
 * deno run -A bench/memory_cgroup.ts --files 1000000 --limit 1GiB --restic
 * ```
 *
 * Prints one JSON line per run: exit code, peak RSS (GNU time), wall and CPU time, the cgroup's peak
 * usage (which counts the page cache of the files written, reclaimed under pressure) and its OOM kills.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureCorpus } from "./corpus.ts";
import { freshKeptRepository, keptArgv, keptEnv, timed } from "./memory_probe.ts";
import { denoDir } from "./tools.ts";
import { parseSize } from "./run.ts";
import { removeIfPresent } from "./measure.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const CGROUPS = "/sys/fs/cgroup/memory";
const SEED = 20240101;

/** A fresh cgroup with a memory limit; `remove` deletes it once its processes have ended. */
function makeCgroup(name: string, limit: number): { path: string; remove: () => void } {
  const path = join(CGROUPS, name);
  try {
    Deno.removeSync(path); // left by an interrupted run: rmdir is how cgroups go
  } catch {
    // none
  }
  Deno.mkdirSync(path);
  Deno.writeTextFileSync(join(path, "memory.limit_in_bytes"), String(limit));
  return { path, remove: () => Deno.removeSync(path) };
}

/** The argv that moves itself into the cgroup, then runs `argv` (so that only that command is limited). */
function inCgroup(cgroup: string, argv: string[]): string[] {
  return ["sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, cgroup, ...argv];
}

function readNumber(path: string): number {
  return Number(Deno.readTextFileSync(path).trim());
}

function oomKills(cgroup: string): number {
  const match = /^oom_kill (\d+)$/m.exec(Deno.readTextFileSync(join(cgroup, "memory.oom_control")));
  return match ? Number(match[1]) : 0;
}

async function runLimited(
  label: string,
  limit: number,
  argv: string[],
  options: { env: Record<string, string>; cwd?: string },
): Promise<void> {
  const cgroup = makeCgroup(`kept-bench-${Deno.pid}`, limit);
  try {
    const run = await timed(label, inCgroup(cgroup.path, argv), options);
    console.log(JSON.stringify({
      ...run,
      limitMiB: limit / 2 ** 20,
      cgroupPeakMiB: Math.round(readNumber(join(cgroup.path, "memory.max_usage_in_bytes")) / 2 ** 20),
      oomKills: oomKills(cgroup.path),
    }));
  } finally {
    cgroup.remove();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      files: { type: "string", default: "1000000" },
      limit: { type: "string", default: "1GiB" },
      work: { type: "string", default: join(BENCH_DIR, ".work") },
      kept: { type: "string", default: join(BENCH_DIR, "..") },
      restic: { type: "boolean", default: false },
    },
  });
  const files = Number(values.files);
  const limit = parseSize(values.limit);
  const work = resolve(values.work);
  const name = `corpus-files-${files}`;
  const corpus = ensureCorpus(join(work, name), join(work, `${name}.json`), { seed: SEED, size: 0, files });
  console.error(`cgroup: ${corpus.tree.files} files (${corpus.action}), limit ${values.limit}`);

  const root = resolve(values.kept);
  const config = freshKeptRepository(work, corpus.root);
  const env = keptEnv(work, false, await denoDir());
  const init = await timed("kept init", keptArgv(root, config, ["init", "bench"]), { env, cwd: root });
  if (init.code !== 0) throw new Error("kept init failed");
  await runLimited("kept backup", limit, keptArgv(root, config, ["backup", "corpus"]), { env, cwd: root });

  if (values.restic) {
    const repo = join(work, "probe-restic-repo");
    const cache = join(work, "probe-restic-cache");
    removeIfPresent(repo);
    removeIfPresent(cache);
    const resticEnv = {
      ...Deno.env.toObject(),
      RESTIC_PASSWORD: "kept-probe-password",
      RESTIC_CACHE_DIR: cache,
    };
    await timed("restic init", ["restic", "-r", repo, "init", "--repository-version", "2"], {
      env: resticEnv,
    });
    const backup = ["restic", "-r", repo, "backup", "--host", "bench", "--compression", "auto", corpus.root];
    await runLimited("restic backup", limit, backup, { env: resticEnv });
  }
}

if (import.meta.main) await main();
