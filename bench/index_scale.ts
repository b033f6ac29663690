/**
 * The index at scale: for each N of `--blobs`, a real repository (`kept init`) is given synthetic but valid
 * index files naming N blobs (random ids, plausible packs; sealed by the repository's own code), and then
 * measured: the bytes a blob costs in memory once the index is loaded, the time to open the repository and
 * load its index, and a no-change `kept backup` of a small tree against it (time and peak RSS). The packs
 * the index names do not exist: nothing here reads them. See docs/performance.md#the-index-at-scale.
 *
 * ```sh
 * deno run -A bench/index_scale.ts                          # 10^5, 10^6 and 10^7 blobs
 * deno run -A bench/index_scale.ts --blobs 0,100000         # 0: the same steps on an empty index
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalBackend } from "../lib/backends/mod.ts";
import { toHex } from "../lib/crypto/mod.ts";
import { type IndexFile, MasterIndex, type PackEntry, Repository, toIndexFile } from "../lib/repo/mod.ts";
import { removeIfPresent } from "./measure.ts";
import { keptArgv, type ProbeRun, timed } from "./memory_probe.ts";
import { keptConfig } from "./tools.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(BENCH_DIR, "..");
const PASSWORD = "kept-index-scale-password";
/** Blobs per index file: what a backup writes at most (lib/repo/pack_sink.ts, BLOBS_PER_INDEX). */
const BLOBS_PER_INDEX = 50_000;
/** Target pack size (lib/repo/pack_sink.ts, PACK_SIZE). */
const PACK_BYTES = 16 * 1024 * 1024;

/** What the child process that loads the index reports. */
interface LoadFigures {
  blobs: number;
  /**
   * What the loaded repository holds: heap used + external (typed arrays) with it minus without it (it
   * dropped), after a full GC each time. Growth of the process that outlives it (zstd's WebAssembly memory,
   * buffers V8 frees later) is not the index's and is in `processBytes`.
   */
  indexBytes: number;
  /** heap used + external after loading minus before */
  processBytes: number;
  heapBytes: number;
  externalBytes: number;
  openSeconds: number;
  loadSeconds: number;
  /** of `loadSeconds`, in `MasterIndex.addIndexFile` (as JSON only; the rest reads, opens and parses) */
  addSeconds?: number;
}

/**
 * How the child loads the index: as kept does (`Repository.loadIndex`: each file read from its bytes
 * straight into the index, lib/repo/_index_file_bytes.ts), or as JSON (each file parsed with `JSON.parse`
 * and added, one at a time: how kept read them before).
 */
type LoadMode = "repository" | "json";

/** One row of the table. */
interface ScaleRow {
  blobs: number;
  packs: number;
  indexFiles: number;
  indexFileBytes: number;
  generateSeconds: number;
  load: LoadFigures;
  loadRun: ProbeRun;
  streamed: LoadFigures;
  streamedRun: ProbeRun;
  first: ProbeRun;
  again: ProbeRun;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      blobs: { type: "string", default: "100000,1000000,10000000" },
      files: { type: "string", default: "100" },
      work: { type: "string", default: join(BENCH_DIR, ".work", "index-scale") },
      load: { type: "string" },
      mode: { type: "string", default: "repository" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.load !== undefined) {
    console.log(JSON.stringify(await loadInChild(values.load, values.mode as LoadMode)));
    return 0;
  }
  if (values.help) {
    console.log(
      "Usage: deno run -A bench/index_scale.ts [--blobs 100000,1000000,10000000] [--files 100] [--work DIR]",
    );
    return 0;
  }
  const counts = values.blobs.split(",").map((text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 100_000_000) throw new Error(`Cannot use --blobs "${text}": 0 to 10^8`);
    return n;
  });
  const work = resolve(values.work);
  const tree = join(work, "tree");
  writeSmallTree(tree, Number(values.files));
  const rows: ScaleRow[] = [];
  for (const blobs of counts) {
    const row = await measureScale(work, tree, blobs);
    rows.push(row);
    console.error(JSON.stringify(row));
  }
  console.log(renderTable(rows, Number(values.files)));
  return 0;
}

/** `files` small text files of 1-8 KiB in ten folders: the tree backed up against the large index. */
function writeSmallTree(root: string, files: number): void {
  removeIfPresent(root);
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${i % 10}`);
    Deno.mkdirSync(dir, { recursive: true });
    const line = `file ${i}: the quick brown fox jumps over the lazy dog\n`;
    Deno.writeTextFileSync(join(dir, `f${i}.txt`), line.repeat(20 + (i * 37) % 140));
  }
  const old = new Date("2024-01-01T00:00:00Z");
  for (const entry of Deno.readDirSync(root)) Deno.utimeSync(join(root, entry.name), old, old);
}

async function measureScale(work: string, tree: string, blobs: number): Promise<ScaleRow> {
  const folder = join(work, `n${blobs}`);
  removeIfPresent(folder);
  Deno.mkdirSync(folder, { recursive: true });
  const repo = join(folder, "repo");
  const config = join(folder, "plans.yaml");
  Deno.writeTextFileSync(config, keptConfig(repo, tree));
  const home = join(folder, "home");
  const env = {
    ...Deno.env.toObject(),
    KEPT_PASSWORD: PASSWORD,
    XDG_CACHE_HOME: join(home, "cache"),
    XDG_STATE_HOME: join(home, "state"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_DATA_HOME: join(home, "data"),
    NO_COLOR: "1",
  };
  const init = await timed("kept init", keptArgv(ROOT, config, ["init", "bench"]), { env, cwd: ROOT });
  if (init.code !== 0) throw new Error(`kept init failed for ${blobs} blobs`);

  const started = performance.now();
  const written = await writeSyntheticIndex(repo, blobs);
  const generateSeconds = (performance.now() - started) / 1000;
  console.error(
    `index_scale: ${blobs} blobs in ${written.indexFiles} index files, ${generateSeconds.toFixed(1)} s`,
  );

  const [load, loadRun] = await loadChild(repo, "repository", join(folder, "load.log"));
  const [streamed, streamedRun] = await loadChild(repo, "json", join(folder, "json.log"));

  const backup = (name: string) =>
    timed(name, keptArgv(ROOT, config, ["backup", "corpus"]), {
      env,
      cwd: ROOT,
      log: join(folder, `${name}.log`),
    });
  const first = await backup("first");
  const again = await backup("again");
  if (first.code !== 0 || again.code !== 0) throw new Error(`kept backup failed: see ${folder}/*.log`);
  return { blobs, ...written, generateSeconds, load, loadRun, streamed, streamedRun, first, again };
}

/** Loads the index in a child process (with kept's V8 flags and --expose-gc) under GNU time. */
async function loadChild(repo: string, mode: LoadMode, log: string): Promise<[LoadFigures, ProbeRun]> {
  const run = await timed(`load ${mode}`, [
    Deno.execPath(),
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=4,--expose-gc",
    join(BENCH_DIR, "index_scale.ts"),
    "--load",
    repo,
    "--mode",
    mode,
  ], { cwd: ROOT, log });
  if (run.code !== 0) throw new Error(`Cannot load the index of "${repo}" (${mode}): see ${log}`);
  const line = Deno.readTextFileSync(log).split("\n").find((line) => line.startsWith("{"))!;
  return [JSON.parse(line) as LoadFigures, run];
}

/**
 * Seals index files naming `blobs` random blobs into the repository at `repo`, in packs filled to 16 MiB
 * with blobs of 512 B - 4 MiB (log-uniform, so ~36 a pack; every 50th blob a tree), 50,000 blobs a file.
 */
async function writeSyntheticIndex(
  repo: string,
  blobs: number,
): Promise<{ packs: number; indexFiles: number; indexFileBytes: number }> {
  const repository = await Repository.open(await LocalBackend.open(repo), PASSWORD);
  const idBytes = new Uint8Array(32);
  const randomId = () => toHex(crypto.getRandomValues(idBytes));
  let packs = 0;
  let indexFiles = 0;
  let pending: { id: string; entries: PackEntry[] }[] = [];
  let pendingBlobs = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await repository.writeMeta("index", toIndexFile(pending));
    indexFiles++;
    pending = [];
    pendingBlobs = 0;
  };
  for (let made = 0; made < blobs;) {
    const entries: PackEntry[] = [];
    for (let offset = 0; offset < PACK_BYTES && made < blobs; made++) {
      const rawLength = Math.round(512 * Math.pow(8192, Math.random()));
      const length = Math.round(rawLength * (0.5 + Math.random() / 2)) + 40;
      entries.push({ type: made % 50 === 0 ? "tree" : "data", id: randomId(), offset, length, rawLength });
      offset += length;
    }
    pending.push({ id: randomId(), entries });
    packs++;
    pendingBlobs += entries.length;
    if (pendingBlobs >= BLOBS_PER_INDEX) await flush();
  }
  await flush();
  let indexFileBytes = 0;
  for (const entry of Deno.readDirSync(join(repo, "index"))) {
    if (entry.isFile) indexFileBytes += Deno.statSync(join(repo, "index", entry.name)).size;
  }
  return { packs, indexFiles, indexFileBytes };
}

/** In the child (`--load REPO`, with --expose-gc): opens the repository, loads its index, measures. */
async function loadInChild(repo: string, mode: LoadMode): Promise<LoadFigures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("Cannot measure the heap: run with --v8-flags=--expose-gc");
  // Twice, with a pause: V8 frees the memory of dead typed arrays on another thread, a moment after a GC.
  const used = async () => {
    for (let i = 0; i < 2; i++) {
      gc();
      await new Promise((done) => setTimeout(done, 50));
    }
    const memory = Deno.memoryUsage();
    return memory.heapUsed + memory.external;
  };
  const before = await used();
  const started = performance.now();
  const backend = await LocalBackend.open(repo);
  let repository: Repository | undefined = await Repository.open(backend, PASSWORD);
  const opened = performance.now();
  let index: MasterIndex | undefined = repository.index;
  let addSeconds: number | undefined;
  if (mode === "repository") await repository.loadIndex({ damaged: "fail" });
  else {
    index = new MasterIndex();
    addSeconds = 0;
    for await (const entry of backend.list("index")) {
      const file = await repository.readMeta<IndexFile>("index", entry.name, entry.size);
      const adding = performance.now();
      index.addIndexFile(file);
      addSeconds += (performance.now() - adding) / 1000;
    }
  }
  const loaded = performance.now();
  const blobs = index.size;
  // The index's ids and lookup table are shared memory (chunk workers read them): not in V8's figures.
  const shared = index.sharedBytes;
  const withIndex = await used() + shared;
  const { heapUsed, external } = Deno.memoryUsage();
  repository = undefined;
  index = undefined;
  return {
    blobs,
    indexBytes: withIndex - await used(),
    processBytes: withIndex - before,
    heapBytes: heapUsed,
    externalBytes: external,
    openSeconds: (opened - started) / 1000,
    loadSeconds: (loaded - opened) / 1000,
    ...(addSeconds === undefined ? {} : { addSeconds }),
  };
}

function renderTable(rows: ScaleRow[], files: number): string {
  const lines = [
    "| blobs | packs | index files | bytes a blob in memory | open | load index | load: peak RSS | " +
    "as JSON: load, of which adding, peak RSS | " +
    `first backup (${files} files) | no-change backup | no-change: peak RSS |`,
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  const s = (seconds: number) => `${seconds.toFixed(2)} s`;
  const mib = (run: ProbeRun) => `${run.peakRssMiB.toFixed(0)} MiB`;
  for (const row of rows) {
    const perBlob = row.blobs === 0 ? "—" : (row.load.indexBytes / row.blobs).toFixed(1);
    const cells = [
      row.blobs.toLocaleString("en"),
      row.packs.toLocaleString("en"),
      `${row.indexFiles} (${(row.indexFileBytes / 1024 ** 2).toFixed(0)} MiB)`,
      perBlob,
      s(row.load.openSeconds),
      s(row.load.loadSeconds),
      mib(row.loadRun),
      `${s(row.streamed.loadSeconds)}, ${s(row.streamed.addSeconds ?? 0)}, ${mib(row.streamedRun)}`,
      s(row.first.wallSeconds),
      s(row.again.wallSeconds),
      mib(row.again),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
