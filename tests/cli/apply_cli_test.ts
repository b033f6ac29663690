// `kept apply` end to end: real processes, real repositories and a real state file in a temp folder, the
// clock injected with KEPT_NOW.

import assert from "node:assert/strict";
import { type CliResult, runKept } from "../_support/run_cli.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

interface Setup {
  root: string;
  state: string;
  config: string;
  /** Rewrites the config: `edit` gets the document and changes it. */
  edit(edit: (document: ConfigDocument) => void): Promise<void>;
  kept(args: string[], now?: string): Promise<CliResult>;
  keptOk(args: string[], now?: string): Promise<CliResult>;
  /** `kept apply --json` at `now`, expecting `code`. */
  apply(now: string, code?: number, args?: string[]): Promise<ApplyJson>;
  /** The snapshots of destination `name`, oldest first. */
  snapshots(name?: string): Promise<{ id: string; plan: string; time: string }[]>;
}

interface ConfigDocument {
  version: 1;
  state: string;
  destinations: Record<string, { url: string; password: string }>;
  plans: Record<string, Record<string, unknown>>;
}

interface ApplyJson {
  at: string;
  ok: boolean;
  actions: {
    kind: string;
    plan?: string;
    destination: string;
    reason?: { kind: string };
    outcome: null | {
      run: number;
      result: string;
      snapshot: string | null;
      error: string | null;
      log: string | null;
    };
  }[];
}

/** A temp folder with a source `src`, destination `local` (no repository yet) and plan `web` on a schedule. */
async function setUp(plan: Record<string, unknown> = {}): Promise<Setup> {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "kept-apply-" }));
  await Deno.mkdir(`${root}/src`);
  await Deno.writeTextFile(`${root}/src/a.txt`, "a");
  const state = `${root}/state/state.db`;
  const config = `${root}/kept.yaml`;
  const document: ConfigDocument = {
    version: 1,
    state,
    destinations: { local: { url: `${root}/repo`, password: "pw" } },
    plans: {
      web: {
        sources: [`${root}/src`],
        destinations: ["local"],
        schedule: "15 2 * * *",
        timezone: "UTC",
        ...plan,
      },
    },
  };
  const write = () => Deno.writeTextFile(config, JSON.stringify(document, null, 2));
  await write();
  const kept = (args: string[], now?: string) =>
    runKept(["--config", config, ...args], {
      env: { KEPT_KDF_N: "1024", TZ: "UTC", ...(now ? { KEPT_NOW: now } : {}) },
    });
  const keptOk = async (args: string[], now?: string) => {
    const result = await kept(args, now);
    assert.equal(
      result.code,
      0,
      `kept ${args.join(" ")} failed (${result.code}):\n${result.stdout}${result.stderr}`,
    );
    return result;
  };
  return {
    root,
    state,
    config,
    edit: async (edit) => {
      edit(document);
      await write();
    },
    kept,
    keptOk,
    apply: async (now, code = 0, args = []) => {
      const result = await kept(["apply", "--json", ...args], now);
      assert.equal(
        result.code,
        code,
        `apply at ${now}: exit ${result.code}\n${result.stdout}${result.stderr}`,
      );
      return JSON.parse(result.stdout);
    },
    snapshots: async (name = "local") => {
      const listed = JSON.parse((await keptOk(["snapshots", "--destination", name, "--json"])).stdout);
      return listed.map((s: { id: string; plan: string; time: string }) => ({
        id: s.id,
        plan: s.plan,
        time: s.time,
      }))
        .sort((a: { time: string }, b: { time: string }) => a.time.localeCompare(b.time));
    },
  };
}

/** The executed actions of an apply as `kind plan→destination: result`. */
function done(report: ApplyJson): string[] {
  return report.actions.filter((a) => a.outcome !== null)
    .map((a) => `${a.kind} ${a.plan ?? ""}→${a.destination}: ${a.outcome!.result}`);
}

Deno.test("kept apply inits and backs up, records the runs, and a second apply does nothing", async () => {
  const { state, apply, keptOk, snapshots } = await setUp();
  const first = await apply("2026-12-05T03:00:00Z");
  assert.deepEqual(done(first), ["init →local: success", "backup web→local: success"]);
  assert.equal(first.ok, true);
  const [snapshot] = await snapshots();
  assert.equal(first.actions[1]!.outcome!.snapshot, snapshot!.id);
  // The snapshot is stamped with the injected clock (which runs on from KEPT_NOW).
  assert.match(snapshot!.time, /^2026-12-05T03:00:0\d/);

  const again = await apply("2026-12-05T03:00:05Z");
  assert.deepEqual(done(again), []);
  assert.deepEqual(again.actions.map((a) => a.kind), ["nothing"]);
  assert.equal((await snapshots()).length, 1);
  const text = await keptOk(["apply"], "2026-12-05T03:00:10Z");
  assert.equal(text.stdout, "nothing to do for web → local: up to date, next run 2026-12-06 02:15\n");

  const view = JSON.parse((await keptOk(["state", "--json"])).stdout);
  assert.deepEqual(
    view.runs.map((r: { action: string; result: string }) => `${r.action} ${r.result}`).sort(),
    [
      "backup success",
      "init success",
    ],
  );
  assert.equal(view.last_successes[0].snapshot, snapshot!.id);
  assert.equal(view.schema_version, 2);
  assert.equal(Deno.statSync(state).mode! & 0o777, 0o600);
  // The settings fingerprint is recorded: plan reasons from it, not from the snapshot's paths.
  const plan = JSON.parse((await keptOk(["plan", "--json", "--at", "2026-12-05T04:00:00Z"])).stdout);
  assert.deepEqual(plan.actions.map((a: { kind: string }) => a.kind), ["nothing"]);
  assert.equal(plan.actions[0].next_run, "2026-12-06T02:15:00.000Z");
});

Deno.test("kept apply runs a missed schedule once, not once per missed firing", async () => {
  const { apply, snapshots } = await setUp();
  await apply("2026-12-05T03:00:00Z");
  // The machine was off for three firings (06, 07, 08 at 02:15).
  const late = await apply("2026-12-08T09:00:00Z");
  assert.deepEqual(done(late), ["backup web→local: success"]);
  assert.equal(late.actions[0]!.reason!.kind, "schedule");
  assert.deepEqual(done(await apply("2026-12-08T09:00:30Z")), []);
  assert.equal((await snapshots()).length, 2);
  // Before the schedule fires again, nothing; after, one more.
  assert.deepEqual(done(await apply("2026-12-09T02:14:00Z")), []);
  assert.deepEqual(done(await apply("2026-12-09T02:16:00Z")), ["backup web→local: success"]);
  // A clock set back a week finds every snapshot dated in the future: they prove nothing, one backup.
  const back = await apply("2026-12-02T03:00:00Z");
  assert.deepEqual(done(back), ["backup web→local: success"]);
  assert.equal(back.actions[0]!.reason!.kind, "clock-ahead");
  assert.deepEqual(done(await apply("2026-12-02T03:00:30Z")), []);
  assert.equal((await snapshots()).length, 4);
});

Deno.test("kept apply and plan: a backup made while the clock was ahead does not stop later ones", async () => {
  const { apply, edit, kept, keptOk } = await setUp();
  await edit((d) => d.plans.web!.schedule = "@hourly");
  await apply("2027-06-01T00:30:00Z");
  // The clock is right again, seven months earlier.
  const plan = await kept(["plan", "--at", "2026-11-01T10:05:00Z"]);
  assert.equal(
    plan.stdout,
    "backup web → local: the last backup is dated in the future, 2027-06-01 00:30 (clock changed?); " +
      'schedule "@hourly" (UTC) fired 2026-11-01 10:00, none before now\n',
  );
  const text = await keptOk(["--quiet", "apply"], "2026-11-01T10:05:00Z");
  // --quiet still says so: cron mails it once.
  assert.match(
    text.stdout,
    /^backup web → local: the last backup is dated in the future.*\n {2}done: snapshot /,
  );
  assert.deepEqual(done(await apply("2026-11-01T10:06:00Z")), []);
  assert.deepEqual(done(await apply("2026-11-01T11:01:00Z")), ["backup web→local: success"]);
});

Deno.test("kept --quiet apply prints nothing when all goes well, and only what failed otherwise", async () => {
  const { root, edit, kept, keptOk } = await setUp();
  const quiet = await keptOk(["--quiet", "apply"], "2026-12-05T03:00:00Z");
  assert.equal(quiet.stdout + quiet.stderr, "");
  assert.equal((await keptOk(["--quiet", "apply"], "2026-12-05T03:00:10Z")).stdout, "");
  await edit((d) => {
    d.destinations.broken = { url: `${root}/b/kept`, password: "pw" };
    d.plans.web!.destinations = ["broken", "local"];
    d.plans.web!.hooks = { on_failure: ["echo alerted"] };
  });
  // broken's parent folder is missing: its init is refused, and its backup fails with it.
  const failed = await kept(["--quiet", "apply"], "2026-12-05T03:00:20Z");
  assert.equal(failed.code, 1);
  assert.equal(
    failed.stdout.replace(/"[^"]*"/g, '"…"'),
    `init broken: no repository at ${root}/b/kept\n` +
      '  failed: Not creating "…": its parent folder "…" does not exist (is the disk mounted?); `kept init broken` creates it anyway\n' +
      "backup web → broken: no snapshot yet\n" +
      `  failed: no repository at ${root}/b/kept, and its init failed\n`,
  );
  assert.match(failed.stderr, /hook: alerted/);
});

Deno.test("kept apply follows plans added, renamed and removed, and never deletes an orphan's snapshots", async () => {
  const { root, apply, edit, snapshots } = await setUp();
  await apply("2026-12-05T03:00:00Z");
  await Deno.mkdir(`${root}/db`);
  await Deno.writeTextFile(`${root}/db/dump.sql`, "select 1;");
  await edit((d) => d.plans.db = { sources: [`${root}/db`], destinations: ["local"] });
  assert.deepEqual(done(await apply("2026-12-05T04:00:00Z")), ["backup db→local: success"]);

  await edit((d) => {
    d.plans.www = d.plans.web!;
    delete d.plans.web;
  });
  const renamed = await apply("2026-12-05T05:00:00Z");
  assert.deepEqual(done(renamed), ["backup www→local: success"]);
  assert.deepEqual(
    renamed.actions.filter((a) => a.kind === "orphan").map((
      a,
    ) => [a.plan, (a as { snapshots?: number }).snapshots]),
    [["web", 1]],
  );
  await edit((d) => delete d.plans.db);
  const removed = await apply("2026-12-05T06:00:00Z");
  assert.deepEqual(done(removed), []);
  assert.deepEqual(removed.actions.filter((a) => a.kind === "orphan").map((a) => a.plan), ["db", "web"]);
  assert.deepEqual((await snapshots()).map((s) => s.plan).sort(), ["db", "web", "www"]);
});

Deno.test("kept apply: a destination added to a plan gets init and a backup; the other is left alone", async () => {
  const { root, apply, edit, snapshots } = await setUp();
  await apply("2026-12-05T03:00:00Z");
  await edit((d) => {
    d.destinations.second = { url: `${root}/second`, password: "pw2" };
    d.plans.web!.destinations = ["local", "second"];
  });
  assert.deepEqual(done(await apply("2026-12-05T04:00:00Z")), [
    "init →second: success",
    "backup web→second: success",
  ]);
  assert.equal((await snapshots("local")).length, 1);
  assert.equal((await snapshots("second")).length, 1);
});

Deno.test("kept apply backs up again when the sources change, also after the state file is deleted", async () => {
  const { root, state, apply, edit, keptOk } = await setUp();
  await apply("2026-12-05T03:00:00Z");
  await Deno.mkdir(`${root}/more`);
  await edit((d) => d.plans.web!.sources = [`${root}/src`, `${root}/more`]);
  const changed = await apply("2026-12-05T04:00:00Z");
  assert.deepEqual(done(changed), ["backup web→local: success"]);
  assert.equal(changed.actions[0]!.reason!.kind, "settings");
  const plan = JSON.parse((await keptOk(["plan", "--json", "--at", "2026-12-05T04:00:00Z"])).stdout);
  assert.deepEqual(plan.actions.map((a: { kind: string }) => a.kind), ["nothing"]);

  // Deleting the state file loses nothing: the snapshots say what is done.
  await Deno.remove(state);
  assert.deepEqual(done(await apply("2026-12-05T05:00:00Z")), []);
  await edit((d) => d.plans.web!.excludes = ["*.tmp"]);
  // Without a fingerprint only the sources can be compared; with one, any effective setting.
  assert.deepEqual(done(await apply("2026-12-05T06:00:00Z")), []);
});

Deno.test("kept apply: a failing destination does not stop the others, and the exit code says so", async () => {
  const { root, apply, edit, snapshots } = await setUp();
  await edit((d) => {
    d.destinations.broken = { url: `${root}/b`, password: "pw" };
    d.plans.web!.destinations = ["broken", "local"];
    d.plans.web!.hooks = { on_failure: ['echo "$KEPT_DESTINATION: $KEPT_ERROR" >> failures'] };
  });
  assert.equal((await apply("2026-12-05T03:00:00Z")).actions.length, 4);
  // The disk of "broken" goes bad: its plans are decided on the cached list, and its backup fails.
  await Deno.remove(`${root}/b`, { recursive: true });
  await Deno.writeTextFile(`${root}/b`, "not a folder");
  const report = await apply("2026-12-06T03:00:00Z", 1);
  assert.equal(report.ok, false);
  assert.equal(report.actions[0]!.kind, "unreachable");
  assert.deepEqual(done(report), ["backup web→broken: failure", "backup web→local: success"]);
  assert.equal((await snapshots("local")).length, 2);
  const failures = await Deno.readTextFile(`${root}/failures`);
  assert.match(failures, /^broken: cannot reach broken: .*\/b.*not a folder\n$/);

  // Without a cached list (a new state file), whether web is due at broken cannot be told: it fails too.
  await Deno.remove(`${root}/state`, { recursive: true });
  const uncached = await apply("2026-12-07T03:00:00Z", 1);
  assert.deepEqual(done(uncached), ["backup web→local: success", "backup web→broken: failure"]);
  assert.equal(uncached.actions[0]!.kind, "unreachable");
  assert.equal(
    uncached.actions.find((a) => a.destination === "broken" && a.kind === "backup")!.reason!.kind,
    "not-listed",
  );
  assert.match(
    await Deno.readTextFile(`${root}/failures`),
    /\nbroken: cannot reach broken: .*not a folder\n$/,
  );
});

Deno.test("kept apply runs hooks with their environment, records their log, and a failing before skips", async () => {
  const { root, apply, edit, kept, snapshots } = await setUp();
  await edit((d) =>
    d.plans.web!.hooks = {
      before: ['echo "before $KEPT_PLAN $KEPT_DESTINATION"', "test ! -e stop"],
      after: ['echo "after $KEPT_SNAPSHOT $KEPT_RESULT" > after.txt'],
      on_failure: ['echo "failure: $KEPT_ERROR" > failure.txt'],
    }
  );
  // Hooks are acted on now: validate has no warning left to give about them.
  const validate = await kept(["validate"]);
  assert.equal(validate.code, 0);
  assert.equal(validate.stdout, "");
  const ok = await apply("2026-12-05T03:00:00Z");
  const backup = ok.actions.find((a) => a.kind === "backup")!;
  assert.equal(backup.outcome!.result, "success");
  assert.match(backup.outcome!.log!, /^before \$ echo .*\nbefore web local\nbefore: ok in /);
  // Hooks run in the plan file's folder.
  assert.equal(await Deno.readTextFile(`${root}/after.txt`), `after ${backup.outcome!.snapshot} success\n`);

  await Deno.writeTextFile(`${root}/stop`, "");
  const failed = await apply("2026-12-06T03:00:00Z", 1);
  const skipped = failed.actions.find((a) => a.kind === "backup")!;
  assert.equal(skipped.outcome!.result, "failure");
  assert.equal(skipped.outcome!.error, 'before hook "test ! -e stop" failed: exit code 1');
  assert.equal(await Deno.readTextFile(`${root}/failure.txt`), `failure: ${skipped.outcome!.error}\n`);
  assert.equal((await snapshots()).length, 1, "the backup ran after its before hook failed");
  const state = JSON.parse((await kept(["state", "--json"])).stdout);
  const run = state.runs.find((r: { id: number }) => r.id === skipped.outcome!.run);
  assert.equal(run.result, "failure");
  assert.match(run.log, /on_failure \$ echo/);
  // Still due: the next apply tries again.
  await Deno.remove(`${root}/stop`);
  assert.deepEqual(done(await apply("2026-12-06T03:10:00Z")), ["backup web→local: success"]);
});

Deno.test("kept backup PLAN runs the plan's hooks too, and not with --dry-run", async () => {
  const { root, edit, kept, keptOk } = await setUp();
  await keptOk(["init", "local"]);
  await edit((d) => d.plans.web!.hooks = { before: ["echo x >> before.txt"], after: ["exit 4"] });
  await keptOk(["backup", "web", "--dry-run"]);
  assert.throws(() => Deno.statSync(`${root}/before.txt`), Deno.errors.NotFound);
  const result = await kept(["backup", "web"]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(await Deno.readTextFile(`${root}/before.txt`), "x\n");
  assert.match(result.stdout, /snapshot [0-9a-f]{12} saved/);
  assert.match(result.stderr, /^kept: destination "local": after hook "exit 4" failed: exit code 4$/m);
});

Deno.test("kept apply: a second apply on the same state file refuses, or waits with --lock-wait", async () => {
  const { root, apply, edit, kept } = await setUp();
  await edit((d) => d.plans.web!.hooks = { before: ["touch started; sleep 3"] });
  const first = apply("2026-12-05T03:00:00Z");
  for (let i = 0; i < 200 && !existsFile(`${root}/started`); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(existsFile(`${root}/started`), "the first apply never reached its hook");
  const second = await kept(["apply"], "2026-12-05T03:00:00Z");
  assert.equal(second.code, 11);
  assert.match(
    second.stderr,
    /^kept: Cannot apply: another kept apply \(pid \d+, since 2026-12-05T03:00:0\d\.\d+Z\) is using state file ".*state\.db" \(wait for it to end, or pass --lock-wait 10min to wait\)\n$/,
  );
  const waiting = await kept(["--lock-wait", "30s", "apply"], "2026-12-05T03:00:30Z");
  assert.deepEqual(done(await first), ["init →local: success", "backup web→local: success"]);
  assert.equal(waiting.code, 0, waiting.stderr);
  assert.equal(waiting.stdout, "nothing to do for web → local: up to date, next run 2026-12-06 02:15\n");
});

Deno.test("kept apply stopped by SIGTERM records the run as interrupted and kills its hook", async () => {
  const { root, edit, keptOk } = await setUp();
  await edit((d) => d.plans.web!.hooks = { before: ["(sleep 2; touch survived) & touch started; sleep 30"] });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "--config", `${root}/kept.yaml`, "apply"],
    env: { KEPT_KDF_N: "1024", TZ: "UTC", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  for (let i = 0; i < 200 && !existsFile(`${root}/started`); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGTERM");
  const { code, stderr } = await child.output();
  assert.equal(code, 143);
  assert.match(
    new TextDecoder().decode(stderr),
    /^kept: interrupted by SIGTERM: the run in progress is recorded/m,
  );
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(existsFile(`${root}/survived`), false, "the hook's process group outlived kept");
  const state = JSON.parse((await keptOk(["state", "--json"])).stdout);
  const backup = state.runs.find((r: { action: string }) => r.action === "backup");
  assert.equal(backup.result, "interrupted");
  assert.equal(backup.error, "interrupted by SIGTERM");
});

Deno.test("kept apply does not create a repository under a missing or empty mount point", async () => {
  const { root, apply, edit, keptOk } = await setUp();
  await Deno.mkdir(`${root}/media/usb`, { recursive: true });
  await edit((d) => {
    d.destinations.usb = { url: `${root}/media/usb/kept`, password: "pw" };
    d.destinations.gone = { url: `${root}/nowhere/usb/kept`, password: "pw" };
    d.plans.web!.destinations = ["gone", "local", "usb"];
  });
  const report = await apply("2026-12-05T03:00:00Z", 1);
  assert.deepEqual(done(report), [
    "init →gone: failure",
    "init →local: success",
    "init →usb: failure",
    "backup web→gone: failure",
    "backup web→local: success",
    "backup web→usb: failure",
  ]);
  const errors = report.actions.filter((a) => a.kind === "init").map((a) => a.outcome!.error);
  assert.match(errors[0]!, /its parent folder ".*\/nowhere\/usb" does not exist \(is the disk mounted\?\)/);
  assert.match(errors[2]!, /its parent folder ".*\/media\/usb" is empty .*mount point with no disk mounted/);
  assert.deepEqual([...Deno.readDirSync(`${root}/media/usb`)], []);
  assert.throws(() => Deno.statSync(`${root}/nowhere`), Deno.errors.NotFound);
  // Once the folder holds something (the disk is mounted), apply creates the repository.
  await Deno.writeTextFile(`${root}/media/usb/README`, "backup disk");
  await edit((d) => d.plans.web!.destinations = ["local", "usb"]);
  assert.deepEqual(done(await apply("2026-12-05T04:00:00Z")), [
    "init →usb: success",
    "backup web→usb: success",
  ]);
  await keptOk(["check", "--destination", "usb"]);
});

Deno.test("kept apply forgets and prunes by the plan's retention once the new snapshot is in", async () => {
  const { apply, edit, snapshots, keptOk } = await setUp();
  await edit((d) => d.plans.web!.retention = { keep_last: 2 });
  for (const day of ["05", "06"]) await apply(`2026-12-${day}T03:00:00Z`);
  assert.equal((await snapshots()).length, 2);
  const third = await apply("2026-12-07T03:00:00Z");
  // The plan before this apply showed no forget: the new snapshot made one due, and apply did it.
  assert.deepEqual(done(third), [
    "backup web→local: success",
    "forget web→local: success",
    "prune →local: success",
  ]);
  const left = await snapshots();
  assert.deepEqual(left.map((s) => s.time.slice(0, 10)), ["2026-12-06", "2026-12-07"]);
  assert.deepEqual(done(await apply("2026-12-07T03:00:30Z")), []);
  await keptOk(["check", "--read-data"]);
});

function existsFile(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("snapshots dated in the future are held, uncounted: apply keeps the backups it makes meanwhile", async () => {
  const { apply, keptOk, snapshots } = await setUp({ retention: { keep_last: 2 } });
  // The clock was ahead for two days of backups.
  await apply("2027-06-01T03:10:00Z");
  await apply("2027-06-02T03:10:00Z");
  // Back to the right time: each day's backup stays, and retention counts only those.
  for (const day of ["08", "09", "10"]) {
    const report = await apply(`2026-12-${day}T03:10:00Z`);
    assert.ok(done(report).includes("backup web→local: success"), `${day}: ${done(report)}`);
    const times = (await snapshots()).map((s) => s.time.slice(0, 10));
    assert.ok(times.includes(`2026-12-${day}`), `${day}: its backup was forgotten: ${times}`);
  }
  assert.deepEqual((await snapshots()).map((s) => s.time.slice(0, 10)), [
    "2026-12-09",
    "2026-12-10",
    "2027-06-01",
    "2027-06-02",
  ]);
  const planned = await keptOk(["forget", "web", "--dry-run"]);
  assert.match(planned.stdout, /keep +\w{12} +2027-06-02 .* dated in the future \(clock changed\?\)/);
});

Deno.test("apply forgets this host's snapshots only: another host's of the same plan are left to it", async (t) => {
  const { root, config, apply, snapshots } = await setUp({ retention: { keep_last: 1 } });
  const otherHost = async (time: string) =>
    await new Deno.Command("unshare", {
      args: [
        "-Ur",
        "--uts",
        "sh",
        "-c",
        'hostname other && exec "$@"',
        "sh",
        Deno.execPath(),
        "run",
        "-A",
        MAIN,
      ]
        .concat(["--config", config, "-q", "backup", "web", "--time", time]),
      env: { KEPT_KDF_N: "1024", TZ: "UTC" },
      stdout: "null",
      stderr: "piped",
    }).output().catch(() => undefined);
  await apply("2026-12-01T03:00:00Z"); // init and this host's first backup
  const first = await otherHost("2026-12-02T03:00:00Z");
  if (first?.code !== 0) {
    t.step({ name: "user namespaces are not available here", ignore: true, fn: () => {} });
    return;
  }
  await otherHost("2026-12-03T03:00:00Z");
  assert.equal((await snapshots()).length, 3, root);
  const report = await apply("2026-12-04T03:00:00Z");
  assert.deepEqual(done(report), [
    "backup web→local: success",
    "forget web→local: success",
    "prune →local: success",
  ]);
  // keep_last 1 of this host's two; both of the other host's stay.
  assert.deepEqual((await snapshots()).map((s) => s.time.slice(0, 10)), [
    "2026-12-02",
    "2026-12-03",
    "2026-12-04",
  ]);
});
