/**
 * The S3 section of the benchmark: kept and restic back up the corpus to the same real S3 server
 * (../shared/s3/start-s3.sh over HTTPS, which restic's client needs), then back it up again unchanged with a
 * warm cache, list its snapshots, then restore it. Each step reports time, CPU time, peak RSS, and the
 * requests the server answered, by method, with the bytes up and down, read from the server's access log.
 *
 * Run alone: `deno run -A bench/s3.ts [--size 200MiB] [--work DIR] [--rounds N] [--kept DIR]… [--no-restic]`;
 * `deno task bench --s3` appends it (with a corpus of a fifth of the main one, at most 200 MiB).
 *
 * - `--rounds N`: every tool runs its steps N times, each round from a new bucket and an empty cache, the
 *   tools in turn (their order rotates from round to round); the table shows each step's median round.
 * - `--kept DIR`: also runs the copy of kept in DIR (a checkout, or `git archive` of another commit), named
 *   `kept@<folder name>`, to compare two versions against one server under the same load.
 * - `--no-restic`: leaves restic out.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureCorpus } from "./corpus.ts";
import {
  BenchError,
  capture,
  ensureCommand,
  hasGnuTime,
  type Invocation,
  measure,
  removeIfPresent,
} from "./measure.ts";
import { keptArgv } from "./memory_probe.ts";
import { denoDir as findDenoDir } from "./tools.ts";
import { compareTrees, locateRestoredRoot, readTree } from "./tree.ts";

/** Port of the bench's own S3 server (the tests use 18480 and 18490; each takes four ports). */
const S3_BENCH_PORT = 18580;
const PASSWORD = "kept-bench-s3-password";
const SEED = 20241206;
const STEPS = ["initial", "unchanged", "snapshots", "restore"] as const;
type S3Step = typeof STEPS[number];

/** What start-s3.sh's s3.env.sh exports. */
interface S3Endpoint {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  caFile: string;
}

/** The server's answers during one step: requests by method, bytes the client sent and received. */
export interface RequestCounts {
  byMethod: Record<string, number>;
  bytesUp: number;
  bytesDown: number;
}

/** One step of one tool. */
export interface S3StepResult {
  step: S3Step;
  seconds: number;
  /** User + system CPU seconds of the tool's processes (GNU time); undefined without it. */
  cpuSeconds: number | undefined;
  peakRssBytes: number | undefined;
  requests: RequestCounts;
  failed?: string;
}

interface S3Tool {
  /** "kept" (this checkout), "kept@<folder>" (another copy) or "restic". */
  name: string;
  init(): Invocation;
  backup(): Invocation;
  /** Lists the snapshots: start-up, key derivation and the requests of opening the repository. */
  snapshots(): Invocation;
  restore(target: string): Invocation;
}

/** Options of {@linkcode runS3Bench}. */
export interface S3BenchOptions {
  /** The bench's work folder (the section uses `<work>/s3`). */
  work: string;
  /** Corpus size in bytes. */
  size: number;
  /** Times every tool runs its steps (default 1); the table shows the median round of each step. */
  rounds?: number;
  /** Other copies of kept to run besides this checkout (their root folders). */
  otherKepts?: readonly string[];
  /** Run restic too (default true). */
  restic?: boolean;
}

/** A tool as the bench knows it before a round: a new bucket and empty caches are made for each round. */
type ToolFactory = () => S3Tool;

/** Runs the S3 section and returns its Markdown. */
export async function runS3Bench(options: S3BenchOptions): Promise<string> {
  const work = join(options.work, "s3");
  const rounds = options.rounds ?? 1;
  Deno.mkdirSync(work, { recursive: true });
  const gnuTime = await hasGnuTime();
  const missing = options.restic === false ? undefined : await ensureCommand("restic", "restic", true);
  const server = await startServer(join(work, "server"));
  try {
    console.error(`bench s3: preparing the corpus …`);
    const corpus = join(work, "corpus");
    ensureCorpus(corpus, join(work, "corpus.json"), { seed: SEED, size: options.size });
    const denoDir = await findDenoDir();
    const factories = new Map<string, ToolFactory>();
    factories.set("kept", () => keptTool("kept", THIS_KEPT, work, corpus, server, denoDir));
    for (const root of options.otherKepts ?? []) {
      const name = `kept@${basename(resolve(root))}`;
      factories.set(name, () => keptTool(name, resolve(root), work, corpus, server, denoDir));
    }
    if (options.restic !== false && !missing) factories.set("restic", () => resticTool(work, corpus, server));
    const results = new Map<string, S3StepResult[][]>([...factories.keys()].map((name) => [name, []]));
    const names = [...factories.keys()];
    for (let round = 0; round < rounds; round++) {
      // The tools' order rotates, so that none always runs right after another's restore.
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length]!;
        if (rounds > 1) console.error(`bench s3: round ${round + 1} of ${rounds}: ${name}`);
        results.get(name)!.push(await runTool(factories.get(name)!(), { work, corpus, server, gnuTime }));
      }
    }
    return renderS3(results, options.size, missing);
  } finally {
    await capture(["bash", join(scriptsDir(), "stop-s3.sh"), join(work, "server")]);
  }
}

/** The root of this checkout (kept runs from source). */
const THIS_KEPT = fileURLToPath(new URL("..", import.meta.url));

async function runTool(
  tool: S3Tool,
  context: { work: string; corpus: string; server: S3Endpoint; gnuTime: boolean },
): Promise<S3StepResult[]> {
  const logs = join(context.work, "logs");
  Deno.mkdirSync(logs, { recursive: true });
  const initLog = join(logs, `${fileLabel(tool.name)}-init`);
  const init = await measure(tool.init(), { logPrefix: initLog, gnuTime: false });
  if (init.exitCode !== 0) throw new BenchError(`${tool.name} init failed: ${init.firstErrorLine}`);
  const results: S3StepResult[] = [];
  for (const step of STEPS) {
    const target = join(context.work, `${fileLabel(tool.name)}-restored`);
    removeIfPresent(target);
    if (step === "restore") Deno.mkdirSync(target, { recursive: true });
    const invocation = step === "restore"
      ? tool.restore(target)
      : step === "snapshots"
      ? tool.snapshots()
      : tool.backup();
    console.error(`bench s3: ${tool.name} ${step} …`);
    const logMark = accessLogSize(context.work);
    const logPrefix = join(logs, `${fileLabel(tool.name)}-${step}`);
    const run = await measure(invocation, { logPrefix, gnuTime: context.gnuTime });
    const result: S3StepResult = {
      step,
      seconds: run.wallSeconds,
      cpuSeconds: run.cpuSeconds,
      peakRssBytes: run.peakRssBytes,
      requests: countRequests(context.work, logMark),
    };
    if (run.exitCode !== 0) result.failed = `exit ${run.exitCode}: ${run.firstErrorLine}`;
    console.error(
      `bench s3: ${tool.name} ${step}: ${run.wallSeconds.toFixed(2)} s, CPU ${
        run.cpuSeconds?.toFixed(2)
      } s, ` +
        `peak RSS ${result.peakRssBytes === undefined ? "?" : formatMiB(result.peakRssBytes)}`,
    );
    if (step === "restore" && run.exitCode === 0) {
      const restored = readTree(locateRestoredRoot(target, context.corpus));
      const comparison = compareTrees(readTree(context.corpus), restored);
      if (!comparison.ok) result.failed = comparison.summary;
      removeIfPresent(target);
    }
    results.push(result);
  }
  return results;
}

/** A tool's name as part of a file name ("kept@before" → "kept_before"). */
function fileLabel(tool: string): string {
  return tool.replace(/[^\w-]/g, "_");
}

/** A bucket per tool and run, so that every run starts from an empty repository. */
function bucketName(tool: string): string {
  return `bench-${tool.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${Date.now().toString(36)}`;
}

/** kept from source at `root`, in a new bucket and with an empty home (cache, state) of its own. */
function keptTool(
  name: string,
  root: string,
  work: string,
  corpus: string,
  server: S3Endpoint,
  denoDir: string,
): S3Tool {
  const home = join(work, `${fileLabel(name)}-home`);
  removeIfPresent(home);
  const config = join(home, "bench-s3.yaml");
  Deno.mkdirSync(home, { recursive: true });
  const url = `${server.endpoint.replace(/^https:/, "s3:")}/${bucketName(name)}/repo`;
  Deno.writeTextFileSync(
    config,
    [
      "# Written by bench/s3.ts for every run; do not edit.",
      "version: 1",
      "destinations:",
      "  cloud:",
      `    url: ${JSON.stringify(url)}`,
      "    password: ${KEPT_PASSWORD}",
      `    region: ${server.region}`,
      `    ca_file: ${JSON.stringify(server.caFile)}`,
      "plans:",
      "  corpus:",
      `    sources: [${JSON.stringify(corpus)}]`,
      "    destinations: [cloud]",
      "",
    ].join("\n"),
  );
  const env = {
    KEPT_PASSWORD: PASSWORD,
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    XDG_CACHE_HOME: join(home, "cache"),
    XDG_STATE_HOME: join(home, "state"),
    NO_COLOR: "1",
    // Deno would otherwise keep its own cache under XDG_CACHE_HOME and fetch every npm package again.
    DENO_DIR: denoDir,
  };
  const kept = (...args: string[]): Invocation => ({ argv: keptArgv(root, config, args), cwd: root, env });
  return {
    name,
    init: () => kept("init", "cloud"),
    backup: () => kept("backup", "corpus"),
    snapshots: () => kept("snapshots"),
    restore: (target) => kept("restore", "latest", "--target", target),
  };
}

function resticTool(work: string, corpus: string, server: S3Endpoint): S3Tool {
  const cache = join(work, "restic-cache");
  removeIfPresent(cache);
  const env = {
    RESTIC_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: cache,
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_DEFAULT_REGION: server.region,
  };
  const repo = `s3:${server.endpoint}/${bucketName("restic")}/repo`;
  const restic = (...args: string[]): Invocation => ({
    argv: ["restic", "-r", repo, "--cacert", server.caFile, ...args],
    env,
  });
  return {
    name: "restic",
    init: () => restic("init", "--repository-version", "2"),
    backup: () => restic("backup", "--host", "bench", "--compression", "auto", corpus),
    snapshots: () => restic("snapshots"),
    restore: (target) => restic("restore", "latest", "--host", "bench", "--target", target),
  };
}

/** The Deno cache folder this harness runs with. */
/** ../shared/s3 beside the checkout, or $KEPT_S3_SCRIPTS. */
function scriptsDir(): string {
  return Deno.env.get("KEPT_S3_SCRIPTS") ?? fileURLToPath(new URL("../../shared/s3", import.meta.url));
}

async function startServer(dir: string): Promise<S3Endpoint> {
  Deno.mkdirSync(dir, { recursive: true });
  const started = await capture(["bash", join(scriptsDir(), "start-s3.sh"), dir, String(S3_BENCH_PORT)], {
    env: { S3REAL_TLS: "1" },
  });
  if (!started.ok) {
    throw new BenchError(`Cannot start the S3 server: ${started.stderr.trim().split("\n").pop()}`);
  }
  const vars = new Map<string, string>();
  for (const match of Deno.readTextFileSync(join(dir, "s3.env.sh")).matchAll(/export (\w+)=(.*)/g)) {
    vars.set(match[1]!, match[2]!.replace(/^['"]|['"]$/g, ""));
  }
  const need = (name: string) => {
    const value = vars.get(name);
    if (value === undefined) throw new BenchError(`The S3 server's s3.env.sh has no ${name}`);
    return value;
  };
  return {
    endpoint: need("S3_ENDPOINT"),
    accessKey: need("S3_ACCESS_KEY"),
    secretKey: need("S3_SECRET_KEY"),
    region: need("S3_REGION"),
    caFile: need("S3_CA_FILE"),
  };
}

function accessLogPath(work: string): string {
  return join(work, "server", "log", "swift.log");
}

function accessLogSize(work: string): number {
  try {
    return Deno.statSync(accessLogPath(work)).size;
  } catch {
    return 0;
  }
}

/**
 * Counts the requests clients sent since `from` (a byte offset into the access log): the proxy logs a
 * client's request with its address first, and the requests it makes to itself with "-".
 */
export function countRequests(work: string, from: number): RequestCounts {
  const bytes = Deno.readFileSync(accessLogPath(work)).subarray(from);
  return countLogLines(new TextDecoder().decode(bytes));
}

/** The counts of the client requests in proxy-logging lines. */
export function countLogLines(text: string): RequestCounts {
  const counts: RequestCounts = { byMethod: {}, bytesUp: 0, bytesDown: 0 };
  for (const line of text.split("\n")) {
    const fields = line.replace(/^proxy-server: /, "").split(" ");
    if (fields[0] === "-" || fields.length < 12 || !/^\d+\.\d+\.\d+\.\d+$/.test(fields[0] ?? "")) continue;
    // client remote datetime method path protocol status referer agent token bytes_in bytes_out …
    const method = fields[3]!;
    counts.byMethod[method] = (counts.byMethod[method] ?? 0) + 1;
    counts.bytesUp += Number(fields[10]) || 0;
    counts.bytesDown += Number(fields[11]) || 0;
  }
  return counts;
}

function renderS3(results: Map<string, S3StepResult[][]>, size: number, resticMissing?: string): string {
  const rounds = Math.max(...[...results.values()].map((runs) => runs.length));
  const lines = [
    "## S3 (a real S3 server on 127.0.0.1 over HTTPS)",
    "",
    `Corpus of ${
      formatMiB(size)
    }; each tool backs it up into its own new bucket, backs it up again unchanged ` +
    "(its cache warm), lists its snapshots (the floor of start-up, key derivation and opening the repository " +
    "under every step), and restores it. Requests are the server's answers to the tool, from its access log." +
    (rounds > 1
      ? ` ${rounds} rounds, each from a new bucket; each row is the step's median round (by time), ` +
        "with the range of times over the rounds."
      : ""),
    "",
    "| step | tool | time | CPU | peak RSS | requests | up | down | time ÷ restic |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  const restic = results.get("restic");
  for (const [index, step] of STEPS.entries()) {
    const resticMedian = restic === undefined ? undefined : medianRound(restic, index);
    for (const [tool, runs] of results) {
      const result = medianRound(runs, index);
      const times = runs.map((steps) => steps[index]!.seconds);
      const range = runs.length > 1
        ? ` (${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)})`
        : "";
      const ratio = tool !== "restic" && resticMedian
        ? (result.seconds / resticMedian.seconds).toFixed(2)
        : "";
      lines.push(
        `| ${step} | ${tool} | ${
          result.failed ? `failed (${result.failed})` : `${result.seconds.toFixed(1)} s${range}`
        } | ` +
          `${result.cpuSeconds === undefined ? "?" : `${result.cpuSeconds.toFixed(1)} s`} | ` +
          `${result.peakRssBytes === undefined ? "?" : formatMiB(result.peakRssBytes)} | ` +
          `${describeMethods(result.requests)} | ${formatMiB(result.requests.bytesUp)} | ` +
          `${formatMiB(result.requests.bytesDown)} | ${ratio} |`,
      );
    }
  }
  if (resticMissing) lines.push("", `restic: ${resticMissing}`);
  return lines.join("\n") + "\n";
}

/** Step `index` of the round whose time for it is the median (the lower middle of an even count). */
export function medianRound(runs: readonly S3StepResult[][], index: number): S3StepResult {
  const sorted = runs.map((steps) => steps[index]!).sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function describeMethods(counts: RequestCounts): string {
  const entries = Object.entries(counts.byMethod).sort(([a], [b]) => a.localeCompare(b));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return `${total}: ${entries.map(([method, n]) => `${method} ${n}`).join(", ")}`;
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      size: { type: "string", default: "200MiB" },
      work: { type: "string" },
      rounds: { type: "string", default: "1" },
      kept: { type: "string", multiple: true, default: [] },
      "no-restic": { type: "boolean", default: false },
    },
  });
  const mib = /^(\d+)MiB$/.exec(values.size);
  const rounds = Number(values.rounds);
  if (!mib || !Number.isSafeInteger(rounds) || rounds < 1) {
    console.error(`bench s3: --size takes a size in MiB like 200MiB, --rounds a positive integer`);
    Deno.exit(2);
  }
  const work = values.work ?? fileURLToPath(new URL("./.work", import.meta.url));
  console.log(
    await runS3Bench({
      work,
      size: Number(mib[1]) << 20,
      rounds,
      otherKepts: values.kept,
      restic: !values["no-restic"],
    }),
  );
}
