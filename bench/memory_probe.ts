/**
 * A quick look at what a backup of many small files costs: builds (or reuses) the small-files corpus of
 * `--files N` (the bench's, see corpus.ts), backs it up with kept into a fresh repository and prints the
 * peak RSS (GNU time), wall and CPU time of each run; `--restic` runs restic on the same tree in turn.
 *
 * ```sh
 * deno run -A bench/memory_probe.ts --files 100000
 * deno run -A bench/memory_probe.ts --files 400000 --restic --kept /tmp/kept-base   # another copy of kept
 * deno run -A bench/memory_probe.ts --files 100000 --again     # then a no-change backup
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureCorpus } from "./corpus.ts";
import { GNU_TIME, removeIfPresent } from "./measure.ts";
import { compiledV8Flags, denoDir, keptConfig } from "./tools.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const PASSWORD = "kept-probe-password";
const SEED = 20240101;

/** What one measured command cost. */
export interface ProbeRun {
  tool: string;
  code: number;
  peakRssMiB: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** Runs `argv` under GNU time; peak RSS of the largest process, wall and CPU time. */
export async function timed(
  tool: string,
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; log?: string } = {},
): Promise<ProbeRun> {
  const timeFile = await Deno.makeTempFile({ prefix: "probe-time-" });
  const started = performance.now();
  const output = await new Deno.Command(GNU_TIME, {
    args: ["-f", "%M %U %S", "-o", timeFile, ...argv],
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallSeconds = (performance.now() - started) / 1000;
  const fields = Deno.readTextFileSync(timeFile).trim().split("\n").at(-1)!.split(" ").map(Number);
  Deno.removeSync(timeFile);
  if (options.log) {
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    Deno.writeTextFileSync(options.log, text);
  }
  if (output.code !== 0) console.error(new TextDecoder().decode(output.stderr).slice(0, 2000));
  return {
    tool,
    code: output.code,
    peakRssMiB: Math.round((fields[0]! / 1024) * 10) / 10,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    cpuSeconds: Math.round((fields[1]! + fields[2]!) * 100) / 100,
  };
}

/** The command line of kept from source at `root`, with the V8 flags of `deno task compile` and `extra`. */
export function keptArgv(root: string, config: string, args: string[], extraV8: string[] = []): string[] {
  const flags = compiledV8Flags(join(root, "deno.json"));
  const v8 = extraV8.length === 0
    ? flags
    : [`${flags[0] ?? "--v8-flags="}${flags[0] ? "," : ""}${extraV8.join(",")}`];
  return [Deno.execPath(), "run", "-A", ...v8, join(root, "main.ts"), "--config", config, ...args];
}

/** A fresh kept repository for `source` in `work`; returns the config file's path. */
export function freshKeptRepository(work: string, source: string): string {
  const repo = join(work, "probe-kept-repo");
  removeIfPresent(repo);
  removeIfPresent(join(work, "probe-kept-home"));
  const config = join(work, "probe-kept.yaml");
  Deno.writeTextFileSync(config, keptConfig(repo, source));
  return config;
}

/**
 * The environment kept runs with: its password and state folders inside `work`, and Deno's own cache
 * (`denoDir`, from bench/tools.ts) where it is, so that kept is not transpiled anew for every probe.
 */
export function keptEnv(work: string, cheapKey: boolean, denoCache: string): Record<string, string> {
  const home = join(work, "probe-kept-home");
  return {
    ...Deno.env.toObject(),
    DENO_DIR: denoCache,
    KEPT_PASSWORD: PASSWORD,
    XDG_CACHE_HOME: join(home, "cache"),
    XDG_STATE_HOME: join(home, "state"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_DATA_HOME: join(home, "data"),
    NO_COLOR: "1",
    ...(cheapKey ? { KEPT_KDF_N: "1024" } : {}),
  };
}

async function runKept(
  root: string,
  work: string,
  source: string,
  options: { again: boolean; cheapKey: boolean; v8: string[] },
): Promise<ProbeRun[]> {
  const config = freshKeptRepository(work, source);
  const env = keptEnv(work, options.cheapKey, await denoDir());
  const init = await timed("kept init", keptArgv(root, config, ["init", "bench"]), { env, cwd: root });
  if (init.code !== 0) throw new Error("kept init failed");
  const runs = [
    await timed("kept backup", keptArgv(root, config, ["backup", "corpus"], options.v8), {
      env,
      cwd: root,
      log: join(work, "probe-kept-backup.log"),
    }),
  ];
  if (options.again) {
    runs.push(
      await timed("kept no-change", keptArgv(root, config, ["backup", "corpus"], options.v8), {
        env,
        cwd: root,
      }),
    );
  }
  return runs;
}

async function runRestic(work: string, source: string, again: boolean): Promise<ProbeRun[]> {
  const repo = join(work, "probe-restic-repo");
  const cache = join(work, "probe-restic-cache");
  removeIfPresent(repo);
  removeIfPresent(cache);
  const env = { ...Deno.env.toObject(), RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: cache };
  await timed("restic init", ["restic", "-r", repo, "init", "--repository-version", "2"], { env });
  const backup = ["restic", "-r", repo, "backup", "--host", "bench", "--compression", "auto", source];
  const runs = [await timed("restic backup", backup, { env })];
  if (again) runs.push(await timed("restic no-change", backup, { env }));
  return runs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      files: { type: "string", default: "100000" },
      work: { type: "string", default: join(BENCH_DIR, ".work") },
      kept: { type: "string", default: join(BENCH_DIR, "..") },
      restic: { type: "boolean", default: false },
      "no-kept": { type: "boolean", default: false },
      again: { type: "boolean", default: false },
      "cheap-key": { type: "boolean", default: false },
      rounds: { type: "string", default: "1" },
      v8: { type: "string", multiple: true, default: [] },
    },
  });
  const files = Number(values.files);
  const work = resolve(values.work);
  const name = `corpus-files-${files}`;
  const corpus = ensureCorpus(join(work, name), join(work, `${name}.json`), { seed: SEED, size: 0, files });
  console.error(`probe: ${corpus.tree.files} files, ${corpus.tree.bytes} bytes (${corpus.action})`);
  for (let round = 0; round < Number(values.rounds); round++) {
    // kept and restic alternate, so that both see the machine's load alike.
    const runs: ProbeRun[] = [];
    if (!values["no-kept"]) {
      runs.push(
        ...await runKept(resolve(values.kept), work, corpus.root, {
          again: values.again,
          cheapKey: values["cheap-key"],
          v8: values.v8,
        }),
      );
    }
    if (values.restic) runs.push(...await runRestic(work, corpus.root, values.again));
    for (const run of runs) console.log(JSON.stringify({ files, ...run }));
  }
}

if (import.meta.main) await main();
