// `kept backup --time` and `kept forget` end to end: real processes, a real repository in a temp folder.

import assert from "node:assert/strict";
import { type CliResult, runKept } from "../_support/run_cli.ts";

interface Setup {
  root: string;
  kept(args: string[]): Promise<CliResult>;
  keptOk(args: string[]): Promise<CliResult>;
  /** Rewrites the config with these plans (name → extra keys). */
  writePlans(plans: Record<string, Record<string, unknown>>): Promise<void>;
  snapshots(): Promise<{ id: string; time: string; plan: string }[]>;
}

/** A temp folder with a source folder, a repository at destination "local" and a missing destination "gone". */
async function setUp(): Promise<Setup> {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "kept-forget-" }));
  await Deno.mkdir(`${root}/src`);
  await Deno.writeTextFile(`${root}/src/a.txt`, "a");
  const config = `${root}/kept.yaml`;
  const writePlans = async (plans: Record<string, Record<string, unknown>>) => {
    const document = {
      version: 1,
      destinations: {
        local: { url: `${root}/repo`, password: "pw" },
        gone: { url: `${root}/missing-repo`, password: "pw" },
      },
      plans: Object.fromEntries(
        Object.entries(plans).map(([name, extra]) => [name, { sources: [`${root}/src`], ...extra }]),
      ),
    };
    await Deno.writeTextFile(config, JSON.stringify(document, null, 2));
  };
  const kept = (args: string[]) =>
    runKept(["--config", config, ...args], { env: { KEPT_KDF_N: "1024", TZ: "UTC" } });
  const keptOk = async (args: string[]) => {
    const result = await kept(args);
    assert.equal(result.code, 0, `kept ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
    return result;
  };
  return {
    root,
    kept,
    keptOk,
    writePlans,
    snapshots: async () =>
      (JSON.parse((await keptOk(["snapshots", "--destination", "local", "--json"])).stdout) as {
        id: string;
        time: string;
        plan: string;
      }[]).map(({ id, time, plan }) => ({ id, time, plan })),
  };
}

const WEB = {
  destinations: ["gone", "local"],
  timezone: "Europe/Berlin",
  retention: { keep_daily: 3, keep_weekly: 3 },
};

/** Ten backup times over four weeks, in the forms `--time` takes (wall clock in Berlin, or an offset). */
const TIMES = [
  "2026-10-01T10:00:00+02:00",
  "2026-10-05 10:00:00",
  "2026-10-09 10:00",
  "2026-10-14T08:00:00Z",
  "2026-10-19 10:00:00",
  "2026-10-20 09:00:00",
  "2026-10-20 18:00:00",
  "2026-10-21 08:00:00",
  "2026-10-22 08:00:00",
  "2026-10-22 20:00:00",
];

/** The same times in UTC: Berlin is UTC+2 in October until the 25th. */
const UTC = [
  "2026-10-01T08:00:00.000Z",
  "2026-10-05T08:00:00.000Z",
  "2026-10-09T08:00:00.000Z",
  "2026-10-14T08:00:00.000Z",
  "2026-10-19T08:00:00.000Z",
  "2026-10-20T07:00:00.000Z",
  "2026-10-20T16:00:00.000Z",
  "2026-10-21T06:00:00.000Z",
  "2026-10-22T06:00:00.000Z",
  "2026-10-22T18:00:00.000Z",
];

/** What daily 3 + weekly 3 keeps: the newest of 22, 21 and 20 October, and of weeks 43, 42, 41. */
const KEPT = [UTC[9], UTC[7], UTC[6], UTC[3], UTC[2]];

Deno.test("backup --time records ten times; forget applies the plan's retention and leaves the rest alone", async (t) => {
  const setup = await setUp();
  try {
    await setup.writePlans({ web: WEB, db: { destinations: ["local"] }, old: { destinations: ["local"] } });
    await setup.keptOk(["init", "local"]);
    for (const time of TIMES) await setup.keptOk(["backup", "web", "--destination", "local", "--time", time]);
    await setup.keptOk(["backup", "db", "--time", "2026-10-01 00:00:00"]);
    await setup.keptOk(["backup", "old", "--time", "2026-09-01 00:00:00"]);
    await setup.writePlans({ web: WEB, db: { destinations: ["local"] } });

    await t.step("each snapshot has the time given, read in the plan's zone", async () => {
      const web = (await setup.snapshots()).filter((s) => s.plan === "web").map((s) => s.time).sort();
      assert.deepEqual(web, UTC);
    });

    await t.step("--dry-run prints the decision and removes nothing", async () => {
      const result = await setup.kept(["forget", "--dry-run"]);
      assert.equal(result.code, 1, "destination gone fails");
      assert.match(result.stderr, /destination "gone":/);
      assert.match(result.stdout, /^local: plan "web", host "[^"]+": keep 5, forget 5$/m);
      assert.match(
        result.stdout,
        /^ {2}keep {4}[0-9a-f]{12} {2}2026-10-22 18:00:00 UTC {2}daily 2026-10-22, weekly 2026-W43$/m,
      );
      assert.match(result.stdout, /^ {2}forget {2}[0-9a-f]{12} {2}2026-10-01 08:00:00 UTC$/m);
      assert.match(
        result.stdout,
        /^local: plan "db" has no retention: nothing forgotten \(1 snapshot kept\)$/m,
      );
      assert.match(result.stdout, /^local: plan "old" is not in the config: its 1 snapshot left alone$/m);
      assert.match(result.stdout, /^local: would forget 5 snapshots \(dry run: nothing removed\)$/m);
      assert.equal((await setup.snapshots()).length, 12);
    });

    await t.step("--json prints exactly groups of plan, host, destination, keep and forget", async () => {
      const result = await setup.kept(["forget", "web", "--dry-run", "--json", "--destination", "local"]);
      assert.equal(result.code, 0, result.stderr);
      const parsed = JSON.parse(result.stdout);
      assert.deepEqual(Object.keys(parsed), ["groups"]);
      assert.equal(parsed.groups.length, 1);
      const group = parsed.groups[0];
      assert.deepEqual(Object.keys(group), ["plan", "host", "destination", "keep", "forget"]);
      assert.equal(group.plan, "web");
      assert.equal(group.destination, "local");
      assert.deepEqual(group.keep.map((k: { time: string }) => k.time), KEPT);
      assert.deepEqual(Object.keys(group.keep[0]), ["id", "time", "reasons"]);
      assert.deepEqual(group.keep[0].reasons, ["daily 2026-10-22", "weekly 2026-W43"]);
      assert.deepEqual(Object.keys(group.forget[0]), ["id", "time"]);
      assert.deepEqual(group.forget.map((f: { time: string }) => f.time), [
        UTC[8],
        UTC[5],
        UTC[4],
        UTC[1],
        UTC[0],
      ]);
    });

    await t.step("forget removes what retention does not keep, in the destinations that work", async () => {
      const result = await setup.kept(["forget"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /destination "gone":/);
      assert.match(
        result.stdout,
        /^local: forgot 5 snapshots; their data stays in the repository until prune/m,
      );
      const left = await setup.snapshots();
      assert.deepEqual(left.filter((s) => s.plan === "web").map((s) => s.time).sort(), [...KEPT].sort());
      assert.deepEqual(left.filter((s) => s.plan !== "web").map((s) => s.plan).sort(), ["db", "old"]);
      await setup.keptOk(["check", "--destination", "local"]);
    });

    await t.step("running forget again forgets nothing", async () => {
      const result = await setup.kept(["forget", "web", "--destination", "local"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^local: nothing to forget$/m);
    });

    await t.step("--snapshot removes a snapshot named by a unique prefix", async () => {
      const old = (await setup.snapshots()).find((s) => s.plan === "old")!;
      const result = await setup.kept([
        "forget",
        "--destination",
        "local",
        "--snapshot",
        old.id.slice(0, 10),
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`^forgot  ${old.id.slice(0, 12)}  2026-09-01 00:00:00 UTC  plan "old"`, "m"),
      );
      assert.equal((await setup.snapshots()).some((s) => s.id === old.id), false);
    });
  } finally {
    await Deno.remove(setup.root, { recursive: true });
  }
});

Deno.test("forget refuses bad input with one line and removes nothing", async () => {
  const setup = await setUp();
  try {
    await setup.writePlans({ web: { ...WEB, destinations: ["local"] } });
    await setup.keptOk(["init", "local"]);
    await setup.keptOk(["backup", "web", "--time", "2026-10-01 10:00:00"]);
    await setup.keptOk(["backup", "web", "--time", "2026-10-02 10:00:00"]);
    const cases: [string[], number, RegExp][] = [
      [["forget", "web", "--snapshot", "abc"], 2, /^kept: Cannot combine --snapshot with plan names$/],
      [["forget", "nope"], 1, /^kept: Unknown plan "nope" \(defined: web\)$/],
      [["forget", "--prune", "--max-unused", "lots"], 2, /^kept: Invalid --max-unused "lots"/],
      [["forget", "--destination", "local", "--snapshot", "xyz"], 2, /^kept: Invalid snapshot "xyz"/],
      [
        ["forget", "--destination", "local", "--snapshot", "ffff"],
        1,
        /^kept: No snapshot "ffff" in destination "local"$/,
      ],
      [["forget", "--destination", "local", "--snapshot", ""], 2, /^kept: Invalid snapshot ""/],
      [["backup", "web", "--time", "yesterday"], 2, /^kept: Invalid --time "yesterday"/],
      [["backup", "web", "--time", "2026-02-30 10:00:00"], 2, /^kept: Invalid --time "2026-02-30 10:00:00"/],
      [["--lock-wait", "soon", "forget"], 2, /^kept: Invalid --lock-wait "soon"/],
    ];
    for (const [args, code, message] of cases) {
      const result = await setup.kept(args);
      assert.equal(result.code, code, `kept ${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr.split("\n")[0]!, message);
    }
    assert.equal((await setup.snapshots()).length, 2);
  } finally {
    await Deno.remove(setup.root, { recursive: true });
  }
});
