/**
 * The reconcile section of the benchmark (issue targets: `kept plan --offline` on a config of 50 plans in
 * under 300 ms; `kept apply` with nothing due in under 0.5 s plus one snapshot listing per destination).
 * It writes a config of 50 plans backing up small folders to one local destination, applies it once (50
 * backups, untimed), then times `plan --offline`, `plan` and `apply` with nothing due, each five times.
 *
 * Run alone: `deno run -A bench/reconcile.ts [--work DIR]`; `deno task bench --reconcile` appends it.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, capture, type Invocation, removeIfPresent } from "./measure.ts";
import { denoDir, keptFromSource } from "./tools.ts";

const PLANS = 50;
const RUNS = 5;

/** One timed command: its median wall time over the runs, and the fastest and slowest. */
export interface ReconcileTiming {
  label: string;
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  target: string;
}

/** Runs the section and returns its Markdown. */
export async function runReconcileBench(options: { work: string }): Promise<string> {
  const work = join(options.work, "reconcile");
  removeIfPresent(work);
  Deno.mkdirSync(work, { recursive: true });
  const kept = keptInvoker(work, writeConfig(work), await denoDir());
  await mustRun(kept("init", "nas"), "init");
  console.error(`bench reconcile: applying ${PLANS} plans once (untimed) …`);
  await mustRun(kept("apply"), "the first apply");
  const timings = [
    await timed(`kept plan --offline (${PLANS} plans)`, kept("plan", "--offline"), "< 0.3 s"),
    await timed(`kept plan (${PLANS} plans, 1 destination listed)`, kept("plan"), ""),
    await timed("kept snapshots (the listing alone: key derivation, one list)", kept("snapshots"), ""),
    await timed(
      `kept apply, nothing due (${PLANS} plans, 1 destination)`,
      kept("apply"),
      "< 0.5 s + 1 listing",
    ),
  ];
  return renderReconcile(timings);
}

function writeConfig(work: string): string {
  const lines = ["version: 1", "destinations:", "  nas:", `    url: ${JSON.stringify(join(work, "repo"))}`];
  lines.push("    password: ${KEPT_PASSWORD}", "plans:");
  for (let i = 0; i < PLANS; i++) {
    const source = join(work, "sources", `plan${i}`);
    Deno.mkdirSync(source, { recursive: true });
    Deno.writeTextFileSync(join(source, "file.txt"), `plan ${i}\n`);
    lines.push(`  plan${i}:`, `    sources: [${JSON.stringify(source)}]`, "    destinations: [nas]");
    lines.push('    schedule: "15 2 * * *"', "    retention: { keep_daily: 7 }");
  }
  const config = join(work, "kept.yaml");
  Deno.writeTextFileSync(config, lines.join("\n") + "\n");
  return config;
}

function keptInvoker(work: string, config: string, denoCache: string): (...args: string[]) => Invocation {
  const env = {
    KEPT_PASSWORD: "kept-bench-reconcile",
    XDG_STATE_HOME: join(work, "state"),
    XDG_CACHE_HOME: join(work, "cache"),
    NO_COLOR: "1",
  };
  return keptFromSource(config, { ...env, DENO_DIR: denoCache });
}

async function mustRun(invocation: Invocation, what: string): Promise<void> {
  const result = await capture(invocation.argv, invocation);
  if (!result.ok) {
    throw new BenchError(`bench reconcile: ${what} failed: ${result.stderr.trim().split("\n")[0]}`);
  }
}

async function timed(label: string, invocation: Invocation, target: string): Promise<ReconcileTiming> {
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await mustRun(invocation, label);
    seconds.push((performance.now() - started) / 1000);
  }
  seconds.sort((a, b) => a - b);
  return {
    label,
    medianSeconds: seconds[Math.floor(RUNS / 2)]!,
    minSeconds: seconds[0]!,
    maxSeconds: seconds[RUNS - 1]!,
    target,
  };
}

function renderReconcile(timings: ReconcileTiming[]): string {
  const lines = [
    "## Reconcile (kept only)",
    "",
    `A config of ${PLANS} plans, each backing up one small folder to one local destination, applied once; then ` +
    `each command ${RUNS} times (wall time, including Deno's start-up).`,
    "",
    "| command | median | range | target |",
    "| --- | ---: | --- | --- |",
    ...timings.map((t) =>
      `| ${t.label} | ${t.medianSeconds.toFixed(2)} s | ${t.minSeconds.toFixed(2)}–${
        t.maxSeconds.toFixed(2)
      } s | ${t.target} |`
    ),
  ];
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  const workAt = Deno.args.indexOf("--work");
  const work = workAt >= 0 ? Deno.args[workAt + 1]! : fileURLToPath(new URL("./.work", import.meta.url));
  console.log(await runReconcileBench({ work }));
}
