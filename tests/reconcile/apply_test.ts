// applyPlans() with stand-in steps: the order of the work, what a failure skips, what the journal records,
// and what an interruption records. A real state file in a temp folder; no repository.

import assert from "node:assert/strict";
import { type Action, applyPlans, type ApplySteps } from "../../lib/reconcile/mod.ts";
import { StateFile } from "../../lib/state/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { testPlan } from "../_support/plan.ts";
import { tempDir } from "../_support/temp_dir.ts";

const NOW = new Date("2026-12-05T03:00:00Z");

function plans(
  cwd: string,
  hooks = { before: [] as string[], after: [] as string[], onFailure: [] as string[] },
) {
  const web = testPlan(["/srv/www"], {
    name: "web",
    definedIn: `${cwd}/kept.yaml`,
    destinations: ["nas", "usb"],
    hooks: { ...hooks, timeoutMs: 5_000 },
  });
  return new Map([["web", web]]);
}

const FIRST: Action[] = [
  { kind: "init", destination: "usb", reason: { kind: "no-repository", location: "/media/usb/kept" } },
  { kind: "backup", plan: "web", destination: "nas", basis: "listed", reason: { kind: "no-snapshot" } },
  { kind: "backup", plan: "web", destination: "usb", basis: "none", reason: { kind: "no-snapshot" } },
];

function steps(log: string[], overrides: Partial<ApplySteps> = {}): ApplySteps {
  return {
    init: (destination) => {
      log.push(`init ${destination}`);
      return Promise.resolve();
    },
    backup: (plan, destination) => {
      log.push(`backup ${plan.name} ${destination}`);
      return Promise.resolve({
        snapshot: `s-${destination}`,
        snapshotTime: NOW.toISOString(),
        stats: {},
        warnings: 0,
      });
    },
    forget: (plans, destination) => {
      log.push(`forget ${plans.map((p) => p.name)} ${destination}`);
      return Promise.resolve({ forgotten: new Map([["web", ["old"]]]), prune: { freedBytes: 1 } });
    },
    ...overrides,
  };
}

Deno.test("applyPlans() runs init, backups, then the forgets of a second reconcile, and records each run", async () => {
  using dir = tempDir("kept-apply-");
  using state = StateFile.open(`${dir.path}/state.db`);
  const log: string[] = [];
  const surveys: Action[][] = [FIRST, [
    {
      kind: "forget",
      plan: "web",
      destination: "nas",
      basis: "listed",
      reason: { kind: "retention", snapshots: [{ id: "old", time: "t" }], before: 3, after: 2 },
    },
  ]];
  const refreshed: string[][] = [];
  const report = await applyPlans({
    plans: plans(dir.path),
    state,
    clock: () => NOW,
    survey: () => Promise.resolve(surveys.shift()!),
    refresh: (destinations) => Promise.resolve(void refreshed.push([...destinations])),
    steps: steps(log),
    env: {},
  });
  assert.deepEqual(log, ["init usb", "backup web nas", "backup web usb", "forget web nas"]);
  assert.deepEqual(report.actions.map((a) => `${a.action.kind}:${a.outcome?.result}`), [
    "init:success",
    "backup:success",
    "backup:success",
    "forget:success",
    "prune:success",
  ]);
  assert.equal(report.failed, false);
  assert.deepEqual(refreshed, [["nas"]]);
  assert.deepEqual(state.lastSuccesses().map((s) => `${s.destination}:${s.snapshot}`), [
    "nas:s-nas",
    "usb:s-usb",
  ]);
  assert.equal(state.fingerprints().length, 2);
  assert.deepEqual(state.runs().map((r) => `${r.action} ${r.plan}@${r.destination} ${r.result}`).sort(), [
    "backup web@nas success",
    "backup web@usb success",
    "forget web@nas success",
    "init @usb success",
    "prune @nas success",
  ]);
});

Deno.test("applyPlans(): a failed init fails that destination's backups (with on_failure), not the others", async () => {
  using dir = tempDir("kept-apply-");
  using state = StateFile.open(`${dir.path}/state.db`);
  const log: string[] = [];
  const report = await applyPlans({
    plans: plans(dir.path, {
      before: ["echo before >> hooks"],
      after: [],
      onFailure: ['echo "$KEPT_ERROR" >> hooks'],
    }),
    state,
    clock: () => NOW,
    survey: () => Promise.resolve(FIRST),
    refresh: () => Promise.resolve(),
    steps: steps(log, { init: () => Promise.reject(new UserError("parent folder missing")) }),
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  });
  assert.deepEqual(log, ["backup web nas"]);
  assert.equal(report.failed, true);
  const usb = report.actions.find((a) => a.action.kind === "backup" && a.action.destination === "usb")!;
  assert.equal(usb.outcome!.error, "no repository at /media/usb/kept, and its init failed");
  // The usb backup ran no before hook, only on_failure.
  assert.equal(
    await Deno.readTextFile(`${dir.path}/hooks`),
    "before\nno repository at /media/usb/kept, and its init failed\n",
  );
});

Deno.test("applyPlans(): a destination never reached (no cached list) fails each plan there, with on_failure", async () => {
  using dir = tempDir("kept-apply-");
  using state = StateFile.open(`${dir.path}/state.db`);
  const log: string[] = [];
  const first: Action[] = [
    { kind: "unreachable", destination: "usb", error: "not mounted", cachedAt: null },
    { kind: "backup", plan: "web", destination: "nas", basis: "listed", reason: { kind: "no-snapshot" } },
  ];
  const report = await applyPlans({
    plans: plans(dir.path, {
      before: ["echo before >> hooks"],
      after: [],
      onFailure: ['echo "$KEPT_ERROR" >> hooks'],
    }),
    state,
    clock: () => NOW,
    survey: () => Promise.resolve(first),
    refresh: () => Promise.resolve(),
    steps: steps(log),
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  });
  assert.deepEqual(log, ["backup web nas"]);
  assert.equal(report.failed, true);
  assert.deepEqual(
    report.actions.map((a) => `${a.action.kind} ${a.action.destination}:${a.outcome?.result}`),
    [
      "unreachable usb:undefined",
      "backup nas:success",
      "backup usb:failure",
    ],
  );
  assert.equal(await Deno.readTextFile(`${dir.path}/hooks`), "before\ncannot reach usb: not mounted\n");
  const runs = state.runs().map((r) => `${r.action} ${r.destination} ${r.result}: ${r.error}`).sort();
  assert.deepEqual(runs, ["backup nas success: null", "backup usb failure: cannot reach usb: not mounted"]);
});

Deno.test("applyPlans(): an abort records the open run as interrupted at once and starts nothing more", async () => {
  using dir = tempDir("kept-apply-");
  using state = StateFile.open(`${dir.path}/state.db`);
  const controller = new AbortController();
  const log: string[] = [];
  let resolveBackup = () => {};
  const report = applyPlans({
    plans: plans(dir.path),
    state,
    clock: () => NOW,
    survey: () => Promise.resolve(FIRST.slice(1)),
    refresh: () => Promise.resolve(),
    steps: steps(log, {
      backup: (_, destination) => {
        log.push(`backup ${destination}`);
        return new Promise((resolve) => {
          resolveBackup = () =>
            resolve({ snapshot: "s", snapshotTime: NOW.toISOString(), stats: {}, warnings: 0 });
        });
      },
    }),
    env: {},
    signal: controller.signal,
  });
  while (log.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort("SIGTERM");
  // Recorded synchronously, before the work even returns: the process may end right after the signal.
  assert.deepEqual(state.runs().map((r) => [r.result, r.error]), [["interrupted", "interrupted by SIGTERM"]]);
  resolveBackup();
  const done = await report;
  assert.deepEqual(log, ["backup nas"]);
  assert.deepEqual(done.actions.map((a) => a.outcome?.result), ["interrupted"]);
  assert.deepEqual(state.lastSuccesses(), []);
  assert.deepEqual(state.fingerprints(), []);
});
