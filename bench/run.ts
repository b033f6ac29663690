/**
 * `deno task bench`: builds (or reuses) a deterministic corpus and measures kept, restic and borg side by
 * side on it — initial backup, no-change backup, backup after 1% of files changed, full restore, check
 * reading all data — then prints a Markdown report and, with `--write-results`, saves it to
 * bench/RESULTS.md. See bench/README.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Change, type CorpusParams, describeCorpus, ensureCorpus, mutateCorpus } from "./corpus.ts";
import {
  describeTreeCorpus,
  ensureTreeCorpus,
  mutateTreeCorpus,
  resolveTreeSource,
  treeCorpusName,
  type TreeSource,
} from "./tree_corpus.ts";
import { mergeResults } from "./results_file.ts";
import {
  BenchError,
  capture,
  ensureCommand,
  folderBytes,
  GNU_TIME,
  hasGnuTime,
  measure,
  removeIfPresent,
  syncDisks,
} from "./measure.ts";
import {
  combineRounds,
  formatBytes,
  type MachineInfo,
  renderMarkdown,
  renderSection,
  type RunReport,
  stepLine,
  type StepName,
  type StepResult,
  STEPS,
  type ToolReport,
} from "./report.ts";
import { openTool, type Tool, TOOL_NAMES, type ToolName } from "./tools.ts";
import { compareTrees, locateRestoredRoot, readTree, type TreeSummary } from "./tree.ts";
import { runS3Bench } from "./s3.ts";
import { runReconcileBench } from "./reconcile.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS_PATH = join(BENCH_DIR, "RESULTS.md");
const PASSWORD = "kept-bench-password";
const SEED = 20240101;

const USAGE = `Usage: deno task bench [options]

Measures kept, restic and borg on the same deterministic corpus: initial backup, no-change backup,
backup after 1% of files changed, full restore (verified), check reading all data.

Options:
  --size SIZE        corpus size, e.g. 200MiB, 1GiB, 500MB (default 1GiB)
  --files N          instead: a corpus of N small files (50-1,500 bytes, 1,000 to a folder), e.g. 1000000;
                     kept in its own folder (corpus-files-N), next to the sized one
  --tree PATH        instead: a copy of the real tree at PATH, e.g. /usr/lib/python3.11, in its own folder
                     (corpus-tree-NAME-HASH), copied once and reused while PATH is unchanged; symlinks stay
                     symlinks, unreadable files are left out with a note. "--tree python": the standard
                     library of python3 (python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'),
                     without site-packages
  --tools LIST       comma-separated subset of ${TOOL_NAMES.join(",")} (default: all)
  --steps LIST       comma-separated subset of ${STEPS.map((s) => s.name).join(",")} (default: all;
                     the initial backup always runs)
  --rounds N         run everything N times, each round from empty repositories (default 1); the tables
                     show each step's median round, the ratios the median of the rounds' ratios and
                     their range; every round's restored trees stay until the end (N x tools x SIZE)
  --s3               also: kept and restic against a real S3 server on 127.0.0.1 over HTTPS (bench/s3.ts)
  --reconcile        also: kept plan and apply on a config of 50 plans (bench/reconcile.ts)
  --write-results    also write the report to bench/RESULTS.md: a --files or --tree run replaces (or adds)
                     its own section and keeps the others; a sized run replaces the main report (and the S3
                     and reconcile sections when it ran them) and keeps the --files and --tree sections
  --note TEXT        a line to put at the top of the report
  --work DIR         work folder for corpus, repositories and logs (default bench/.work)
  --no-install       do not apt-get install missing tools (restic, borgbackup, time)
  -h, --help         show this help`;

/** Parsed command-line options. */
interface Options {
  size: number;
  /** Set for the small-files corpus. */
  files: number | undefined;
  /** Set for a real tree's copy: the folder, or "python". */
  tree: string | undefined;
  tools: ToolName[];
  steps: StepName[];
  rounds: number;
  writeResults: boolean;
  /** Append the S3 and reconcile sections. */
  s3: boolean;
  reconcile: boolean;
  note: string | undefined;
  work: string;
  install: boolean;
}

/** Parses `args`; throws an Error with a one-line message on bad input. Returns undefined for --help. */
function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      size: { type: "string", default: "1GiB" },
      files: { type: "string" },
      tree: { type: "string" },
      tools: { type: "string", default: TOOL_NAMES.join(",") },
      steps: { type: "string", default: STEPS.map((step) => step.name).join(",") },
      rounds: { type: "string", default: "1" },
      "write-results": { type: "boolean", default: false },
      s3: { type: "boolean", default: false },
      reconcile: { type: "boolean", default: false },
      note: { type: "string" },
      work: { type: "string", default: join(BENCH_DIR, ".work") },
      "no-install": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  const steps = parseList(values.steps, STEPS.map((step) => step.name), "step");
  if (values.files !== undefined && values.tree !== undefined) {
    throw new Error("Cannot use --files and --tree together: pick one corpus");
  }
  if (values.tree === "") throw new Error(`Cannot use --tree "": give a folder, or "python"`);
  return {
    size: parseSize(values.size),
    files: values.files === undefined ? undefined : parseFiles(values.files),
    tree: values.tree,
    tools: parseList(values.tools, TOOL_NAMES, "tool"),
    // Every later step needs a repository with a snapshot in it.
    steps: STEPS.map((step) => step.name).filter((name) => name === "initial" || steps.includes(name)),
    rounds: parseRounds(values.rounds),
    writeResults: values["write-results"],
    s3: values.s3,
    reconcile: values.reconcile,
    note: values.note,
    work: resolve(values.work),
    install: !values["no-install"],
  };
}

function parseRounds(text: string): number {
  const rounds = Number(text);
  if (!/^\d+$/.test(text) || rounds < 1 || rounds > 10) {
    throw new Error(`Cannot use --rounds "${text}": expected a whole number from 1 to 10`);
  }
  return rounds;
}

function parseFiles(text: string): number {
  const files = Number(text);
  if (!/^\d+$/.test(text) || files < 1 || files > 100_000_000) {
    throw new Error(`Cannot use --files "${text}": expected a whole number from 1 to 100000000`);
  }
  return files;
}

function parseList<T extends string>(text: string, known: readonly T[], what: string): T[] {
  const items = text.split(",").map((item) => item.trim()).filter((item) => item !== "");
  for (const item of items) {
    if (!known.includes(item as T)) {
      throw new Error(`Unknown ${what} "${item}": expected ${known.join(", ")}`);
    }
  }
  return known.filter((name) => items.includes(name));
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1e3,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1e6,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1e9,
};

/** Parses `200MiB`, `1GiB`, `500MB`, `1.5G` into bytes (at least 16 MiB). */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`Cannot parse size "${text}": expected e.g. 200MiB or 1GiB`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 16 * 1024 ** 2) throw new Error(`Size "${text}" is too small: use at least 16MiB`);
  return bytes;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Runs the benchmark; returns the process exit code. */
async function main(args: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(args);
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  let report: RunReport;
  try {
    report = await runBenchmark(options, ["deno task bench", ...args.map(shellQuote)].join(" "));
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    console.error(`bench: ${error.message}`);
    return 1;
  }
  // A run on the small files or a real tree is one section of RESULTS.md, beside the main report.
  const mainReport = report.section === undefined ? renderMarkdown(report) : undefined;
  const sections = report.section === undefined ? [] : [renderSection(report, report.section)];
  // The S3 corpus is a fifth of the main one (at most 200 MiB): its server writes every object twice.
  if (options.s3) {
    const size = Math.min(options.size / 5, 200 << 20);
    sections.push(await runS3Bench({ work: options.work, size, rounds: options.rounds }));
  }
  if (options.reconcile) sections.push(await runReconcileBench({ work: options.work }));
  console.log("\n" + [...mainReport === undefined ? [] : [mainReport], ...sections].join("\n"));
  if (options.writeResults) {
    let existing: string | undefined;
    try {
      existing = await Deno.readTextFile(RESULTS_PATH);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await Deno.writeTextFile(
      RESULTS_PATH,
      mergeResults(existing, { ...mainReport === undefined ? {} : { main: mainReport }, sections }),
    );
    // Keep the file as `deno fmt --check` (part of `deno task check`) wants it.
    await capture([Deno.execPath(), "fmt", "--config", join(BENCH_DIR, "..", "deno.json"), RESULTS_PATH]);
    console.log(`bench: wrote ${RESULTS_PATH}`);
  }
  return 0;
}

/** Prepares the corpus and the tools, runs every step for every tool and collects the report. */
async function runBenchmark(options: Options, commandLine: string): Promise<RunReport> {
  const started = performance.now();
  const loadAtStart = Deno.loadavg()[0]!;
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const logs = join(options.work, "logs");
  Deno.mkdirSync(logs, { recursive: true });
  const gnuTime = await prepareGnuTime(options.install);

  const source = options.tree === undefined ? undefined : await resolveTreeSource(options.tree);
  const kind = source !== undefined
    ? `copy of ${source.path}`
    : options.files === undefined
    ? `${formatBytes(options.size)} corpus`
    : `${options.files}-file corpus`;
  console.error(`bench: preparing a ${kind} in ${options.work} …`);
  let corpus = prepareCorpus(options, source);
  const corpusAction = `${corpus.action}, then read in full to warm the page cache, in ${
    corpus.seconds.toFixed(1)
  } s`;
  console.error(
    `bench: corpus ${corpusAction}: ${corpus.tree.files} files, ${formatBytes(corpus.tree.bytes)}`,
  );
  for (const note of corpus.notes) console.error(`bench: corpus: ${note}`);

  let changeSummary: string | undefined;
  const rounds: ToolReport[][] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      if (round > 1) {
        // Undoes the last round's 1% change and reads the corpus again, so every round starts alike.
        const again = corpus.again();
        console.error(`bench: round ${round} of ${options.rounds}: corpus ${again.action}`);
        corpus = again;
      }
      const result = await runRound(options, corpus, { gnuTime, logs, round });
      changeSummary ??= result.changeSummary;
      rounds.push(result.reports);
    }
  } finally {
    // Each round restores into its own folder, removed only now (see restoreTarget).
    for (let round = 1; round <= options.rounds; round++) {
      for (const name of options.tools) removeIfPresent(restoreTarget(options.work, name, round));
    }
  }

  return {
    commandLine,
    date,
    machine: await machineInfo(options.work, loadAtStart),
    corpusGroups: corpus.groups,
    corpusFiles: corpus.tree.files,
    corpusBytes: corpus.tree.bytes,
    corpusAction,
    ...(corpus.notes.length === 0 ? {} : { corpusNotes: corpus.notes }),
    ...(source !== undefined
      ? { section: `Real tree: ${source.title}` }
      : options.files === undefined
      ? {}
      : { section: `${countWords(options.files)} small files` }),
    ...(changeSummary === undefined ? {} : { changeSummary }),
    tools: combineRounds(rounds),
    rounds,
    conditions: conditions(gnuTime),
    ...(options.note === undefined ? {} : { note: options.note }),
    totalSeconds: (performance.now() - started) / 1000,
  };
}

/**
 * The corpus a run measures, whichever it is: generated (corpus.ts: sized, or `--files`) or a copy of a
 * real tree (tree_corpus.ts, `--tree`).
 */
interface BenchCorpus {
  root: string;
  /** the files as they are now (changed by {@link BenchCorpus.mutate}) */
  readonly tree: TreeSummary;
  /** what preparing it did */
  action: string;
  seconds: number;
  /** files and bytes per part, for the report */
  groups: { group: string; files: number; bytes: number }[];
  /** what the report should say about it besides (files left out of a tree's copy) */
  notes: string[];
  /** Changes 1% of the files and reads the corpus again; returns what changed. */
  mutate(): Change[];
  /** The pristine corpus again (the changes undone), read in full: how every round starts. */
  again(): BenchCorpus;
}

/** The corpus `options` ask for, each in its own folder: switching back and forth regenerates none. */
function prepareCorpus(options: Options, source: TreeSource | undefined): BenchCorpus {
  if (source !== undefined) {
    const name = treeCorpusName(source);
    return treeBenchCorpus(source, join(options.work, name), join(options.work, `${name}.json`));
  }
  const name = options.files === undefined ? "corpus" : `corpus-files-${options.files}`;
  return generatedBenchCorpus(join(options.work, name), join(options.work, `${name}.json`), {
    seed: SEED,
    size: options.size,
    ...(options.files === undefined ? {} : { files: options.files }),
  });
}

function generatedBenchCorpus(root: string, manifest: string, params: CorpusParams): BenchCorpus {
  const corpus = ensureCorpus(root, manifest, params);
  return {
    root,
    get tree() {
      return corpus.tree;
    },
    action: corpus.action,
    seconds: corpus.seconds,
    groups: describeCorpus(corpus.specs),
    notes: [],
    mutate: () => mutateCorpus(corpus, manifest),
    again: () => generatedBenchCorpus(root, manifest, params),
  };
}

function treeBenchCorpus(source: TreeSource, root: string, manifest: string): BenchCorpus {
  const corpus = ensureTreeCorpus(source, root, manifest);
  let changes = 0;
  const skipped = corpus.skipped;
  return {
    root,
    get tree() {
      return corpus.tree;
    },
    action: `${corpus.action} from ${source.path}`,
    seconds: corpus.seconds,
    groups: describeTreeCorpus(corpus),
    notes: skipped.length === 0 ? [] : [
      `${skipped.length} entries of ${source.path} left out of the copy (e.g. ${
        skipped.slice(0, 3).join("; ")
      })`,
    ],
    // Each change picks other files, as the generated corpus's next 1% would be other edits.
    mutate: () => mutateTreeCorpus(corpus, manifest, SEED, changes++),
    again: () => treeBenchCorpus(source, root, manifest),
  };
}

/** `One million`, `Ten million`, or the number with separators: the title of a --files section. */
function countWords(n: number): string {
  const words = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"];
  if (n % 1_000_000 === 0 && n <= 10_000_000) return `${words[n / 1_000_000 - 1]} million`;
  return n.toLocaleString("en");
}

/** One round: fresh repositories for every tool, then every step, interleaved across the tools. */
async function runRound(
  options: Options,
  corpus: BenchCorpus,
  context: { gnuTime: boolean; logs: string; round: number },
): Promise<{ reports: ToolReport[]; changeSummary?: string }> {
  const { gnuTime, logs, round } = context;
  const reports: ToolReport[] = [];
  const tools: { tool: Tool; report: ToolReport }[] = [];
  for (const name of options.tools) {
    const entry = await prepareTool(name, options, corpus, gnuTime, perRound(logs, `${name}-init`, round));
    reports.push(entry.report);
    if (entry.tool) tools.push({ tool: entry.tool, report: entry.report });
  }
  let changeSummary: string | undefined;
  let backups = 0;
  for (const step of options.steps) {
    if (step === "prune") {
      backups = await backUpUntil(PRUNE_SNAPSHOTS, backups, tools, corpus, context);
    }
    if (step === "changed") changeSummary = summarizeChanges(corpus.mutate());
    if (step === "initial" || step === "unchanged" || step === "changed") backups++;
    for (const { tool, report } of tools) {
      const result = await runStep(tool, step, { corpus, backups, gnuTime, logs, work: options.work, round });
      report.steps.push(result);
      console.error(stepLine(tool.name, result));
    }
  }
  return { reports, ...(changeSummary === undefined ? {} : { changeSummary }) };
}

/** Snapshots each repository holds when forget + prune runs: it keeps the newest. */
const PRUNE_SNAPSHOTS = 5;

/**
 * Untimed backups (each after a 1 % change of the corpus) until every tool's repository holds `count`
 * snapshots, so that forget + prune has as many to drop in every tool. Returns the new backup count.
 */
async function backUpUntil(
  count: number,
  backups: number,
  tools: readonly { tool: Tool }[],
  corpus: BenchCorpus,
  context: { gnuTime: boolean; logs: string; round: number },
): Promise<number> {
  for (let n = backups + 1; n <= count; n++) {
    corpus.mutate();
    for (const { tool } of tools) {
      const run = await measure(tool.backup(n), {
        logPrefix: perRound(context.logs, `${tool.name}-backup-${n}`, context.round),
        gnuTime: context.gnuTime,
      });
      if (run.exitCode !== 0) {
        throw new BenchError(`${tool.name}: backup ${n} before prune failed: ${run.firstErrorLine}`);
      }
    }
  }
  return Math.max(backups, count);
}

async function prepareGnuTime(install: boolean): Promise<boolean> {
  const missing = await ensureCommand(GNU_TIME, "time", install);
  if (missing === undefined && await hasGnuTime()) return true;
  console.error(`bench: ${missing ?? `${GNU_TIME} is not GNU time`}: CPU time and peak RSS will be missing`);
  return false;
}

/**
 * Opens a tool and initialises its empty repository. A tool that cannot be had is reported as unavailable;
 * one whose init fails gets every selected step marked as failed, with the reason.
 */
async function prepareTool(
  name: ToolName,
  options: Options,
  corpus: BenchCorpus,
  gnuTime: boolean,
  initLog: string,
): Promise<{ tool?: Tool; report: ToolReport }> {
  const opened = await openTool(name, {
    work: options.work,
    corpus: corpus.root,
    password: PASSWORD,
    install: options.install,
  });
  if ("unavailable" in opened) {
    console.error(`bench: skipping ${name}: ${opened.unavailable}`);
    return { report: { name, unavailable: opened.unavailable, steps: [] } };
  }
  const report: ToolReport = { name, version: opened.version, settings: opened.settings, steps: [] };
  console.error(`bench: ${opened.version}: ${opened.settings}`);
  const init = await measure(opened.init(), { logPrefix: initLog, gnuTime });
  if (init.exitCode === 0) return { tool: opened, report };
  const failure = `init failed (exit ${init.exitCode}): ${init.firstErrorLine}`;
  console.error(`${name}: ${failure}`);
  report.steps = options.steps.map((step) => ({ step, corpusBytes: corpus.tree.bytes, failure }));
  return { report };
}

interface StepContext {
  corpus: BenchCorpus;
  /** how many backups this step's snapshot is (1-based): the latest */
  backups: number;
  gnuTime: boolean;
  logs: string;
  work: string;
  /** 1-based: each round restores into its own folder */
  round: number;
}

/** Runs one measured step of one tool; a restore is verified against the corpus afterwards. */
async function runStep(tool: Tool, step: StepName, context: StepContext): Promise<StepResult> {
  const { corpus, backups } = context;
  const target = restoreTarget(context.work, tool.name, context.round);
  let invocation;
  if (step === "restore") {
    removeIfPresent(target);
    Deno.mkdirSync(target, { recursive: true });
    invocation = tool.restore(backups, target);
  } else if (step === "snapshots") {
    invocation = tool.snapshots();
  } else if (step === "check") {
    invocation = tool.check();
  } else if (step === "prune") {
    invocation = tool.forgetPrune();
  } else {
    invocation = tool.backup(backups);
  }
  await syncDisks();
  const measurement = await measure(invocation, {
    logPrefix: perRound(context.logs, `${tool.name}-${step}`, context.round),
    gnuTime: context.gnuTime,
  });
  const result: StepResult = {
    step,
    corpusBytes: corpus.tree.bytes,
    measurement,
    repoBytes: await folderBytes(tool.repo),
  };
  if (measurement.exitCode !== 0) {
    result.failure = `failed (exit ${measurement.exitCode}): ${measurement.firstErrorLine}`;
  } else if (step === "restore") {
    const verdict = compareTrees(corpus.tree, readTree(locateRestoredRoot(target, corpus.root)));
    if (verdict.ok) result.note = verdict.summary;
    else result.failure = verdict.summary;
  }
  return result;
}

/** `<folder>/<name>` in round 1, `<folder>/<name>-<round>` after: logs and restore folders of a round. */
function perRound(folder: string, name: string, round: number): string {
  return join(folder, round === 1 ? name : `${name}-${round}`);
}

/**
 * Where a tool restores to in a round. Kept until the whole run is over, every round's restore in its own
 * folder: see the note in {@link conditions}.
 */
function restoreTarget(work: string, tool: ToolName, round: number): string {
  return perRound(work, `${tool}-restore`, round);
}

function summarizeChanges(changes: Change[]): string {
  const appended = changes.filter((change) => change.how === "appended");
  const total = changes.reduce((sum, change) => sum + change.bytes, 0);
  return `${changes.length} files (${appended.length} appended to, ${changes.length - appended.length} ` +
    `rewritten in the middle), ${formatBytes(total)} written; the files get a new mtime`;
}

function conditions(gnuTime: boolean): string[] {
  return [
    "Warm cache: the corpus is read in full (and hashed) before the first measurement. Dropping the page " +
    "cache needs privileges we cannot assume, so every tool runs under the same warm conditions instead.",
    "Steps are interleaved: step 1 for every tool, then step 2 for every tool, and so on, so all tools see the " +
    "same corpus state. `sync` runs, untimed, before every measurement so one tool's pending writes do not " +
    "slow down the next.",
    "Every run starts with empty repositories and caches (restic cache, borg base dir, kept XDG dirs, all " +
    "inside the work folder); the password comes from the environment.",
    "wall s: elapsed time of the process, by the harness's clock. MB/s: corpus bytes (10^6) / wall s, for " +
    "every step. " +
    (gnuTime
      ? "CPU s (user + system) and peak RSS (largest resident set of the process tree) come from GNU time."
      : "CPU s and peak RSS are missing: GNU time was not available."),
    "repo MiB: apparent size (`du -sb`) of the repository folder after the step; caches are not counted.",
    "A restore goes to an empty folder and is verified file by file (count, sizes, SHA-256) against the " +
    "corpus; a wrong restore counts as failed. Restored trees are removed only once every tool has " +
    "restored: for minutes after many files are deleted, ext4 makes creating files several times slower " +
    "(it skips recently freed inodes), which would handicap the tool restoring right after another's tree " +
    "is removed. Deleting many files on the work folder's file system shortly before a run has the same effect.",
    "list snapshots: each tool opens its repository (deriving its key with the costs it chose: restic " +
    "calibrates scrypt to about half a second at init, kept uses N=2^15, r=8, p=2) and lists: the floor of " +
    "start-up and key derivation under every other step.",
    "kept runs from source (`deno run -A main.ts`, with the V8 flags `deno task compile` builds into the " +
    "binary), so each kept step includes Deno's start-up and module loading; a compiled binary starts faster.",
  ];
}

async function machineInfo(work: string, loadAtStart: number): Promise<MachineInfo> {
  let cpuModel = "";
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1]?.trim() ?? "";
  } catch {
    // not Linux
  }
  const filesystem = (await capture(["findmnt", "-no", "FSTYPE", "-T", work])).stdout.trim() ||
    (await capture(["stat", "-f", "-c", "%T", work])).stdout.trim() || "unknown";
  return {
    cpus: Number((await capture(["nproc"])).stdout.trim()) || navigator.hardwareConcurrency,
    cpuModel: cpuModel ? `(${cpuModel})` : "",
    memoryBytes: Deno.systemMemoryInfo().total,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    filesystem,
    loadAverage: { start: loadAtStart, end: Deno.loadavg()[0]! },
  };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
