// `kept daemon` as a real process: it runs `kept apply PLAN` on a schedule with seconds (croner's 6-field
// cron) so that a run comes within seconds, reloads on SIGHUP, and stops cleanly on SIGTERM.

import assert from "node:assert/strict";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ENV = { NO_COLOR: "1", KEPT_KDF_N: "1024", TZ: "UTC" };
/** Distinctive, so that the test can tell it never reaches the log. */
const PASSWORD = "daemon-test-secret-4f1c";

/** Writes the config (a local repository, a state file inside `root`) with `plans` as given. */
function writeConfig(root: string, plans: Record<string, Record<string, unknown>>): void {
  const document = {
    version: 1,
    state: `${root}/state.db`,
    destinations: { local: { url: `${root}/repo`, password: PASSWORD } },
    plans: Object.fromEntries(
      Object.entries(plans).map((
        [name, plan],
      ) => [name, { sources: [`${root}/src`], destinations: ["local"], ...plan }]),
    ),
  };
  Deno.writeTextFileSync(`${root}/config/kept.yaml`, JSON.stringify(document, null, 2));
}

async function setUp(root: string, plans: Record<string, Record<string, unknown>>): Promise<void> {
  Deno.mkdirSync(`${root}/config`);
  Deno.mkdirSync(`${root}/src`);
  Deno.writeTextFileSync(`${root}/src/file.txt`, "hello\n");
  writeConfig(root, plans);
  const init = await runKept(["--config", `${root}/config`, "init", "local"], { env: ENV });
  assert.equal(init.code, 0, init.stderr);
}

/** The daemon's stderr as JSON events (and any other line as text), read as they come. */
class DaemonLog {
  readonly lines: string[] = [];
  #waiters: (() => void)[] = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#read(stream);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + text).split("\n");
      pending = parts.pop()!;
      this.lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  events(): Record<string, unknown>[] {
    return this.lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  }

  /** The first event that matches, waiting at most `seconds` for it. */
  async waitFor(
    what: string,
    matches: (event: Record<string, unknown>) => boolean,
    seconds = 40,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const found = this.events().find(matches);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`No ${what} within ${seconds} s; the daemon logged:\n${this.lines.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }
}

function startDaemon(root: string, globals: string[] = []): { child: Deno.ChildProcess; log: DaemonLog } {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      MAIN,
      ...globals,
      "--config",
      `${root}/config`,
      "daemon",
      "--log-format",
      "json",
    ],
    env: ENV,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return { child, log: new DaemonLog(child.stderr) };
}

Deno.test("`kept daemon` runs a scheduled plan, reloads on SIGHUP (keeping its plans when the config is invalid) and stops on SIGTERM", async () => {
  using dir = tempDir("kept-daemon-");
  await setUp(dir.path, { a: { schedule: "*/2 * * * * *" }, docs: {} });
  const { child, log } = startDaemon(dir.path);
  try {
    const start = await log.waitFor("start", (e) => e.event === "start");
    assert.deepEqual((start.plans as { plan: string }[]).map((p) => p.plan), ["a"]);
    assert.deepEqual(start.unscheduled, ["docs"]);
    const finished = await log.waitFor("a run of a", (e) => e.event === "run-finished" && e.plan === "a");
    assert.equal(typeof finished.durationMs, "number");

    Deno.writeTextFileSync(`${dir.path}/config/kept.yaml`, "version: 1\nplans: [not a map\n");
    child.kill("SIGHUP");
    const failed = await log.waitFor("reload-failed", (e) => e.event === "reload-failed");
    assert.match(String(failed.error), /kept\.yaml/);
    assert.ok(!String(failed.error).includes("\n"));

    writeConfig(dir.path, { b: { schedule: "*/2 * * * * *" } });
    child.kill("SIGHUP");
    const reloaded = await log.waitFor("reload", (e) => e.event === "reload");
    assert.deepEqual((reloaded.plans as { plan: string }[]).map((p) => p.plan), ["b"]);
    await log.waitFor("a run of b", (e) => e.event === "run-started" && e.plan === "b");
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  await log.done;
  assert.equal(status.code, 143, log.lines.join("\n"));
  const events = log.events().map((e) => e.event);
  assert.equal(events.at(-1), "stop");
  assert.ok(events.includes("stopping"));
  // Every run that started was waited for.
  assert.equal(
    events.filter((e) => e === "run-started").length,
    events.filter((e) => e === "run-finished").length,
  );
  assert.ok(!log.lines.join("\n").includes(PASSWORD), "no password in the log");
});

Deno.test({
  name: "`kept daemon` backs up two plans that fire together, one `kept apply` after the other",
  fn: async () => {
    using dir = tempDir("kept-daemon-");
    await setUp(dir.path, { web: { schedule: "*/2 * * * * *" }, db: { schedule: "*/2 * * * * *" } });
    const { child, log } = startDaemon(dir.path);
    try {
      for (const plan of ["web", "db"]) {
        const finished = await log.waitFor(
          `a successful run of ${plan}`,
          (e) => e.event === "run-finished" && e.plan === plan && e.result === "success",
        );
        assert.equal(finished.exitCode, 0);
      }
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal((await child.status).code, 143);
    await log.done;
    // Serialized: no apply ever met another one's lock on the state file.
    const failures = log.events().filter((e) => e.event === "run-finished" && e.result !== "success");
    assert.deepEqual(failures.filter((e) => e.result !== "interrupted"), [], log.lines.join("\n"));
    assert.ok(log.events().some((e) => e.event === "run-queued"));
    const snapshots = await runKept(["--config", `${dir.path}/config`, "snapshots", "--json"], { env: ENV });
    assert.equal(snapshots.code, 0, snapshots.stderr);
    assert.match(snapshots.stdout, /"plan": "web"/);
    assert.match(snapshots.stdout, /"plan": "db"/);
  },
});

Deno.test({
  name: "SIGTERM to `kept daemon` interrupts a running apply, which records its run as interrupted",
  fn: async () => {
    using dir = tempDir("kept-daemon-");
    // A before hook that takes long keeps the apply running when the daemon is stopped.
    await setUp(dir.path, { web: { schedule: "*/2 * * * * *", hooks: { before: ["sleep 30"] } } });
    const { child, log } = startDaemon(dir.path);
    try {
      await log.waitFor("a run of web", (e) => e.event === "run-started" && e.plan === "web");
      // Give the apply time to start its hook.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      child.kill("SIGTERM");
    }
    const status = await child.status;
    await log.done;
    assert.equal(status.code, 143, log.lines.join("\n"));
    const finished = log.events().find((e) => e.event === "run-finished" && e.plan === "web");
    assert.equal(finished?.result, "interrupted", log.lines.join("\n"));
    const state = await runKept(["--config", `${dir.path}/config`, "state", "--json"], { env: ENV });
    assert.equal(state.code, 0, state.stderr);
    assert.match(state.stdout, /"interrupted"/);
  },
});

Deno.test("`kept daemon` runs each apply with the global options it was given", async () => {
  using dir = tempDir("kept-daemon-globals-");
  // The before hook keeps the apply running long enough to read its command line.
  await setUp(dir.path, { a: { schedule: "*/2 * * * * *", hooks: { before: ["sleep 2"] } } });
  const { child, log } = startDaemon(dir.path, ["--no-cache", "--quiet", "--lock-wait", "1min"]);
  let applyArgs: string[] | undefined;
  try {
    await log.waitFor("a run of a", (e) => e.event === "run-started" && e.plan === "a");
    for (let tries = 0; applyArgs === undefined && tries < 100; tries++) {
      applyArgs = commandLines().find((args) =>
        args.includes("apply") && args.includes(`${dir.path}/config`)
      );
      if (applyArgs === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill("SIGTERM");
  }
  await child.status;
  await log.done;
  assert.ok(applyArgs, log.lines.join("\n"));
  for (const flag of ["--no-cache", "--quiet", "--lock-wait"]) assert.ok(applyArgs.includes(flag), flag);
});

/** The command line of every process this user can read. */
function commandLines(): string[][] {
  const lines: string[][] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      lines.push(Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0"));
    } catch {
      // Gone meanwhile.
    }
  }
  return lines;
}

Deno.test("`kept daemon` with an invalid config ends at once with one line and exit code 1", async () => {
  using dir = tempDir("kept-daemon-");
  Deno.mkdirSync(`${dir.path}/config`);
  Deno.writeTextFileSync(
    `${dir.path}/config/kept.yaml`,
    "version: 1\nplans:\n  web:\n    shedule: '@daily'\n",
  );
  const result = await runKept(["--config", `${dir.path}/config`, "daemon"], { env: ENV });
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assert.match(result.stderr, /^kept: \S+kept\.yaml:\d+:\d+: error: /);
});

Deno.test("`kept daemon --log-format` accepts only text and json", async () => {
  const result = await runKept(["daemon", "--log-format", "xml"], { env: ENV });
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'kept: Invalid --log-format "xml": use text or json\n');
});
