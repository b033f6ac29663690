/**
 * The S3 section of the benchmark: kept and restic back up the corpus to the same real S3 server
 * (../shared/s3/start-s3.sh over HTTPS, which restic's client needs), then back it up again unchanged with a
 * warm cache, then restore it. Each step reports time, peak RSS, and the requests the server answered, by
 * method, with the bytes up and down, read from the server's access log.
 *
 * Run alone: `deno run -A bench/s3.ts [--size 200MiB] [--work DIR]`; `deno task bench --s3` appends it
 * (with a corpus of a fifth of the main one, at most 200 MiB).
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
import { keptFromSource } from "./tools.ts";
import { compareTrees, locateRestoredRoot, readTree } from "./tree.ts";

/** Port of the bench's own S3 server (the tests use 18480 and 18490; each takes four ports). */
const S3_BENCH_PORT = 18580;
const PASSWORD = "kept-bench-s3-password";
const SEED = 20241206;
const STEPS = ["initial", "unchanged", "restore"] as const;
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
  peakRssBytes: number | undefined;
  requests: RequestCounts;
  failed?: string;
}

interface S3Tool {
  name: "kept" | "restic";
  init(): Invocation;
  backup(): Invocation;
  restore(target: string): Invocation;
}

/** Runs the S3 section and returns its Markdown. */
export async function runS3Bench(options: { work: string; size: number }): Promise<string> {
  const work = join(options.work, "s3");
  Deno.mkdirSync(work, { recursive: true });
  const gnuTime = await hasGnuTime();
  const missing = await ensureCommand("restic", "restic", true);
  const server = await startServer(join(work, "server"));
  try {
    console.error(`bench s3: preparing the corpus …`);
    const corpus = join(work, "corpus");
    ensureCorpus(corpus, join(work, "corpus.json"), { seed: SEED, size: options.size });
    const results = new Map<string, S3StepResult[]>();
    const denoDir = await denoCacheDir();
    const tools = [
      keptTool(work, corpus, server, denoDir),
      ...(missing ? [] : [resticTool(work, corpus, server)]),
    ];
    for (const tool of tools) {
      results.set(tool.name, await runTool(tool, { work, corpus, server, gnuTime }));
    }
    return renderS3(results, options.size, missing);
  } finally {
    await capture(["bash", join(scriptsDir(), "stop-s3.sh"), join(work, "server")]);
  }
}

async function runTool(
  tool: S3Tool,
  context: { work: string; corpus: string; server: S3Endpoint; gnuTime: boolean },
): Promise<S3StepResult[]> {
  const logs = join(context.work, "logs");
  Deno.mkdirSync(logs, { recursive: true });
  const init = await measure(tool.init(), { logPrefix: join(logs, `${tool.name}-init`), gnuTime: false });
  if (init.exitCode !== 0) throw new BenchError(`${tool.name} init failed: ${init.firstErrorLine}`);
  const results: S3StepResult[] = [];
  for (const step of STEPS) {
    const target = join(context.work, `${tool.name}-restored`);
    removeIfPresent(target);
    if (step === "restore") Deno.mkdirSync(target, { recursive: true });
    const invocation = step === "restore" ? tool.restore(target) : tool.backup();
    console.error(`bench s3: ${tool.name} ${step} …`);
    const logMark = accessLogSize(context.work);
    const run = await measure(invocation, { logPrefix: join(logs, `${tool.name}-${step}`), ...context });
    const result: S3StepResult = {
      step,
      seconds: run.wallSeconds,
      peakRssBytes: run.peakRssBytes,
      requests: countRequests(context.work, logMark),
    };
    if (run.exitCode !== 0) result.failed = `exit ${run.exitCode}: ${run.firstErrorLine}`;
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

/** A bucket per tool and run, so that every run starts from an empty repository. */
function bucketName(tool: string): string {
  return `bench-${tool}-${Date.now().toString(36)}`;
}

function keptTool(work: string, corpus: string, server: S3Endpoint, denoDir: string): S3Tool {
  const home = join(work, "kept-home");
  removeIfPresent(home);
  const config = join(home, "bench-s3.yaml");
  Deno.mkdirSync(home, { recursive: true });
  const url = `${server.endpoint.replace(/^https:/, "s3:")}/${bucketName("kept")}/repo`;
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
  const kept = keptFromSource(config, env);
  return {
    name: "kept",
    init: () => kept("init", "cloud"),
    backup: () => kept("backup", "corpus"),
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
    restore: (target) => restic("restore", "latest", "--host", "bench", "--target", target),
  };
}

/** The Deno cache folder this harness runs with. */
async function denoCacheDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const info = await capture([Deno.execPath(), "info", "--json"]);
  return (JSON.parse(info.stdout) as { denoDir: string }).denoDir;
}

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

function renderS3(results: Map<string, S3StepResult[]>, size: number, resticMissing?: string): string {
  const lines = [
    "## S3 (a real S3 server on 127.0.0.1 over HTTPS)",
    "",
    `Corpus of ${
      formatMiB(size)
    }; each tool backs it up into its own new bucket, backs it up again unchanged ` +
    "(its cache warm), and restores it. Requests are the server's answers to the tool, from its access log.",
    "",
    "| step | tool | time | peak RSS | requests | up | down | time ÷ restic |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  const restic = results.get("restic");
  for (const [index, step] of STEPS.entries()) {
    for (const [tool, steps] of results) {
      const result = steps[index]!;
      const ratio = tool === "kept" && restic ? (result.seconds / restic[index]!.seconds).toFixed(2) : "";
      lines.push(
        `| ${step} | ${tool} | ${
          result.failed ? `failed (${result.failed})` : `${result.seconds.toFixed(1)} s`
        } | ` +
          `${result.peakRssBytes === undefined ? "?" : formatMiB(result.peakRssBytes)} | ` +
          `${describeMethods(result.requests)} | ${formatMiB(result.requests.bytesUp)} | ` +
          `${formatMiB(result.requests.bytesDown)} | ${ratio} |`,
      );
    }
  }
  if (resticMissing) lines.push("", `restic: ${resticMissing}`);
  return lines.join("\n") + "\n";
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
  const sizeAt = Deno.args.indexOf("--size");
  const workAt = Deno.args.indexOf("--work");
  const sizeText = sizeAt >= 0 ? Deno.args[sizeAt + 1] ?? "" : "200MiB";
  const mib = /^(\d+)MiB$/.exec(sizeText);
  if (!mib) {
    console.error(`bench s3: --size takes a size in MiB like 200MiB, not "${sizeText}"`);
    Deno.exit(2);
  }
  const work = workAt >= 0 ? Deno.args[workAt + 1]! : fileURLToPath(new URL("./.work", import.meta.url));
  console.log(await runS3Bench({ work, size: Number(mib[1]) << 20 }));
}
