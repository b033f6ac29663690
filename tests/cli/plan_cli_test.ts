// `kept plan` and `kept state` end to end: real processes, a real repository and state file in a temp folder;
// both change nothing, byte for byte.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type CliResult, runKept } from "../_support/run_cli.ts";

/** A temp folder with a source, destination "local" (no repository yet) and the state file's path. */
async function setUp(
  extraDestinations: Record<string, unknown> = {},
  extraPlans: Record<string, unknown> = {},
) {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "kept-plan-" }));
  await Deno.mkdir(`${root}/src`);
  await Deno.writeTextFile(`${root}/src/a.txt`, "a");
  const state = `${root}/state/state.db`;
  const config = `${root}/kept.yaml`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      version: 1,
      state,
      destinations: { local: { url: `${root}/repo`, password: "pw" }, ...extraDestinations },
      plans: {
        web: { sources: [`${root}/src`], destinations: ["local"], schedule: "15 2 * * *", timezone: "UTC" },
        ...extraPlans,
      },
    }),
  );
  const kept = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
    runKept(["--config", config, ...args], { env: { KEPT_KDF_N: "1024", TZ: "UTC", ...env } });
  const keptOk = async (args: string[], env: Record<string, string> = {}) => {
    const result = await kept(args, env);
    assert.equal(result.code, 0, `kept ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
    return result;
  };
  return { root, state, kept, keptOk };
}

/** Every file under `root` with the SHA-256 of its bytes, by relative path. */
async function treeBytes(root: string, under = ""): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(`${root}/${under}`)) {
    const path = `${under}${entry.name}`;
    if (entry.isDirectory) {
      for (const [name, bytes] of await treeBytes(root, `${path}/`)) files.set(name, bytes);
    } else files.set(path, createHash("sha256").update(await Deno.readFile(`${root}/${path}`)).digest("hex"));
  }
  return files;
}

Deno.test("kept plan: init and a first backup, then nothing to do until the schedule fires again", async () => {
  const { root, state, keptOk } = await setUp();
  const first = await keptOk(["plan", "--at", "2026-12-05T00:00:00Z"]);
  assert.match(first.stdout, /^init local: no repository at .*\/repo$/m);
  assert.match(first.stdout, /^backup web → local: no snapshot yet$/m);
  assert.ok(first.stdout.indexOf("init local") < first.stdout.indexOf("backup web"));

  await keptOk(["init", "local"]);
  await keptOk(["backup", "web", "--time", "2026-12-05T02:15:30Z"]);
  const before = await treeBytes(`${root}/repo`);
  const later = await keptOk(["plan", "--at", "2026-12-05T12:00:00Z"]);
  assert.deepEqual(await treeBytes(`${root}/repo`), before, "kept plan changed the repository");
  assert.equal(later.stdout, "nothing to do for web → local: up to date, next run 2026-12-06 02:15\n");

  const due = await keptOk(["plan", "--at", "2026-12-06T03:00:00+00:00"]);
  assert.equal(
    due.stdout,
    'backup web → local: schedule "15 2 * * *" (UTC) fired 2026-12-06 02:15, last success 2026-12-05 02:15\n',
  );

  const json = JSON.parse((await keptOk(["plan", "web", "--json", "--at", "2026-12-06T03:00:00Z"])).stdout);
  assert.deepEqual(json, {
    at: "2026-12-06T03:00:00.000Z",
    actions: [{
      kind: "backup",
      plan: "web",
      destination: "local",
      basis: "listed",
      reason: {
        kind: "schedule",
        cron: "15 2 * * *",
        time_zone: "UTC",
        fired_at: "2026-12-06T02:15:00.000Z",
        last_success: "2026-12-05T02:15:30.000Z",
      },
    }],
  });

  // Plan creates no state file: its answers came from the destination alone.
  assert.throws(() => Deno.statSync(state), Deno.errors.NotFound);
  assert.equal((await keptOk(["plan", "--at", "2026-12-05T12:00:00Z"])).stdout, later.stdout);
  assert.throws(() => Deno.statSync(state), Deno.errors.NotFound);
});

Deno.test("kept plan changes no byte of the state file or the repository, online, offline and with --json", async () => {
  const { root, state, kept, keptOk } = await setUp();
  await keptOk(["init", "local"]);
  await keptOk(["backup", "web", "--time", "2026-12-05T02:15:30Z"]);
  // Apply fills the state file (runs, cache); a file in WAL mode has its -wal and -shm companions.
  await keptOk(["apply"]);
  const stateFolder = state.replace(/\/[^/]+$/, "");
  const before = { repo: await treeBytes(`${root}/repo`), state: await treeBytes(stateFolder) };
  assert.ok(before.state.has("state.db"));
  for (
    const args of [
      ["plan"],
      ["plan", "--json"],
      ["plan", "--offline"],
      ["plan", "web", "--at", "2026-12-24T00:00:00Z"],
      ["state", "--json"],
    ]
  ) {
    const result = await kept(args);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      await treeBytes(`${root}/repo`),
      before.repo,
      `kept ${args.join(" ")} changed the repository`,
    );
    assert.deepEqual(
      await treeBytes(stateFolder),
      before.state,
      `kept ${args.join(" ")} changed the state file`,
    );
  }
});

Deno.test("kept plan falls back on the cached snapshot list offline and when a destination cannot be read", async () => {
  const { root, kept, keptOk } = await setUp();
  await keptOk(["init", "local"]);
  await keptOk(["backup", "web", "--time", "2026-12-05T02:15:30Z"]);
  // Apply (not plan) refreshes the cached snapshot list; at this time it has nothing else to do.
  await keptOk(["apply"], { KEPT_NOW: "2026-12-05T12:00:00Z" });
  // The repository is gone; offline, the cache still answers.
  await Deno.rename(`${root}/repo`, `${root}/moved`);
  const offline = await keptOk(["plan", "--offline", "--at", "2026-12-05T12:00:00Z"]);
  assert.equal(
    offline.stdout,
    "nothing to do for web → local: up to date, next run 2026-12-06 02:15 (from the cached snapshot list)\n",
  );
  // Online, a destination that cannot be read is named, and its plans are decided on the cache.
  await Deno.writeTextFile(`${root}/repo`, "not a folder");
  const online = await kept(["plan", "--at", "2026-12-05T12:00:00Z"]);
  assert.equal(online.code, 1);
  assert.match(
    online.stdout,
    /^cannot reach local: .*it is not a folder; planned from the snapshot list cached at \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/,
  );
  assert.match(online.stdout, /^nothing to do for web → local: .* \(from the cached snapshot list\)$/m);
});

Deno.test("kept plan --offline without a state file writes none and says what it cannot know", async () => {
  const { state, keptOk } = await setUp();
  const result = await keptOk(["plan", "--offline"]);
  assert.match(result.stdout, /^cannot reach local: not listed \(offline\) and not in the state file; /m);
  assert.throws(() => Deno.statSync(state), Deno.errors.NotFound);
});

Deno.test("kept plan: an unreachable destination is named, the others planned", async () => {
  const base = await Deno.makeTempDir({ prefix: "kept-plan-file-" });
  const notAFolder = `${base}/not-a-folder`;
  await Deno.writeTextFile(notAFolder, "x");
  const { kept, keptOk } = await setUp(
    { broken: { url: notAFolder, password: "pw" } },
    { db: { sources: ["/tmp"], destinations: ["broken"] } },
  );
  await keptOk(["init", "local"]);
  const result = await kept(["plan", "--at", "2026-12-05T12:00:00Z"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /^cannot reach broken: .*not-a-folder.*; its plans are not planned/m);
  assert.match(result.stdout, /^backup web → local: no snapshot yet$/m);
  assert.doesNotMatch(result.stdout, /db →/);
});

Deno.test("kept plan rejects an --at that is not RFC 3339, and an unknown plan", async () => {
  const { kept } = await setUp();
  const bad = await kept(["plan", "--at", "tomorrow"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^kept: Invalid --at "tomorrow": give an RFC 3339 time/);
  const unknown = await kept(["plan", "nope"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Unknown plan "nope"/);
});

Deno.test("kept state: a snapshot dated in the future does not keep a plan due once a backup followed", async () => {
  const { keptOk } = await setUp();
  await keptOk(["init", "local"]);
  await keptOk(["backup", "web", "--time", "2027-06-01T00:30:00Z"]); // made while the clock was ahead
  await keptOk(["backup", "web", "--time", "2026-12-06T02:20:00Z"]);
  await keptOk(["apply"], { KEPT_NOW: "2026-12-06T02:30:00Z" });
  const shown = await keptOk(["state", "--at", "2026-12-06T03:00:00Z"]);
  assert.match(shown.stdout, /^ {2}web → local: 2026-12-07 02:15 \(UTC\)$/m);
});

Deno.test("kept state shows the cached lists and next due times, and reads a damaged file as one line", async () => {
  const { state, kept, keptOk } = await setUp();
  await keptOk(["init", "local"]);
  await keptOk(["backup", "web", "--time", "2026-12-05T02:15:30Z"]);
  await keptOk(["apply"], { KEPT_NOW: "2026-12-05T12:00:00Z" });
  const shown = await keptOk(["state", "--at", "2026-12-05T12:00:00Z"]);
  assert.match(shown.stdout, /^cached snapshot lists:\n {2}local: 1 snapshot, listed /m);
  assert.match(shown.stdout, /^next due:\n {2}web → local: 2026-12-06 02:15 \(UTC\)$/m);
  const overdue = await keptOk(["state", "--at", "2026-12-06T03:00:00Z"]);
  assert.match(overdue.stdout, /^ {2}web → local: now \(schedule fired 2026-12-06 02:15 UTC\)$/m);
  const json = JSON.parse((await keptOk(["state", "--json", "--at", "2026-12-05T12:00:00Z"])).stdout);
  assert.equal(json.caches[0].snapshots, 1);
  assert.deepEqual(json.next, [
    { plan: "web", destination: "local", due: { kind: "scheduled", at: "2026-12-06T02:15:00.000Z" } },
  ]);

  await Deno.writeTextFile(state, "garbage ".repeat(200));
  for (const args of [["state"], ["plan"]]) {
    const damaged = await kept(args);
    assert.equal(damaged.code, 1);
    assert.match(
      damaged.stderr,
      /^kept: Cannot use state file ".*": it is damaged or not a state file \(delete it/,
    );
    assert.equal(damaged.stderr.split("\n").filter((line) => line.startsWith("kept:")).length, 1);
  }
});
