// reconcile() as a pure function: plans, state, snapshots and a fixed `now` in; actions with reasons out.

import assert from "node:assert/strict";
import {
  type Action,
  type DestinationView,
  effectiveSettings,
  nextDue,
  reconcile,
  type ReconcileSnapshot,
  type ReconcileState,
  settingsFingerprint,
} from "../../lib/reconcile/mod.ts";
import type { Plan } from "../../lib/plan/mod.ts";
import { testPlan } from "../_support/plan.ts";

const EMPTY: ReconcileState = { lastSuccesses: [], fingerprints: [] };
const OPTIONS = { timeZone: "UTC", host: "h" };

function web(overrides: Partial<Plan> = {}): Plan {
  return testPlan(["/srv/www"], {
    name: "web",
    destinations: ["nas"],
    schedule: "15 2 * * *",
    timezone: "Europe/Berlin",
    ...overrides,
  });
}

function snapshot(time: string, overrides: Partial<ReconcileSnapshot> = {}): ReconcileSnapshot {
  return { id: `id-${time}`, time, plan: "web", host: "h", paths: ["/srv/www"], ...overrides };
}

function listed(...snapshots: ReconcileSnapshot[]): Map<string, DestinationView> {
  return new Map([["nas", { kind: "listed", snapshots }]]);
}

function run(plans: Plan[], views: Map<string, DestinationView>, now: string, state = EMPTY): Action[] {
  return reconcile(plans, state, views, new Date(now), OPTIONS);
}

Deno.test("reconcile() plans init and a first backup where there is no repository", () => {
  const views = new Map<string, DestinationView>([["nas", { kind: "no-repository", location: "/srv/k" }]]);
  assert.deepEqual(run([web()], views, "2026-12-05T12:00:00Z"), [
    { kind: "init", destination: "nas", reason: { kind: "no-repository", location: "/srv/k" } },
    { kind: "backup", plan: "web", destination: "nas", basis: "none", reason: { kind: "no-snapshot" } },
  ]);
});

Deno.test("reconcile() plans a backup when the plan never ran at a destination", () => {
  const actions = run(
    [web()],
    listed(snapshot("2026-12-04T01:16:00Z", { plan: "other" })),
    "2026-12-05T12:00:00Z",
  );
  assert.deepEqual(actions[0], {
    kind: "backup",
    plan: "web",
    destination: "nas",
    basis: "listed",
    reason: { kind: "no-snapshot" },
  });
});

Deno.test("reconcile() plans a backup when the schedule fired since the last success (in the plan's zone)", () => {
  // 02:15 in Berlin (winter) is 01:15 UTC.
  const actions = run([web()], listed(snapshot("2026-12-04T01:16:00Z")), "2026-12-05T03:00:00Z");
  assert.deepEqual(actions, [{
    kind: "backup",
    plan: "web",
    destination: "nas",
    basis: "listed",
    reason: {
      kind: "schedule",
      cron: "15 2 * * *",
      timeZone: "Europe/Berlin",
      firedAt: "2026-12-05T01:15:00.000Z",
      lastSuccess: "2026-12-04T01:16:00Z",
    },
  }]);
});

Deno.test("reconcile() says nothing to do, with the next run, before the schedule fires again", () => {
  const actions = run([web()], listed(snapshot("2026-12-05T01:16:00Z")), "2026-12-05T12:00:00Z");
  assert.deepEqual(actions, [{
    kind: "nothing",
    plan: "web",
    destination: "nas",
    basis: "listed",
    lastSuccess: "2026-12-05T01:16:00Z",
    nextRun: "2026-12-06T01:15:00.000Z",
  }]);
});

Deno.test("reconcile() counts a run at exactly the firing time as done, and a missed run once", () => {
  assert.equal(
    run([web()], listed(snapshot("2026-12-05T01:15:00.000Z")), "2026-12-05T01:15:00Z")[0]!.kind,
    "nothing",
  );
  // A schedule that fires at exactly `now` has fired.
  const atFiring = run([web()], listed(snapshot("2026-12-04T01:16:00Z")), "2026-12-05T01:15:00Z")[0]!;
  assert.equal(
    atFiring.kind === "backup" && atFiring.reason.kind === "schedule" && atFiring.reason.firedAt,
    "2026-12-05T01:15:00.000Z",
  );
  // The machine was off for three days: one backup, for the newest firing.
  const missed = run([web()], listed(snapshot("2026-12-01T01:16:00Z")), "2026-12-05T03:00:00Z");
  assert.equal(missed.length, 1);
  assert.equal(
    missed[0]!.kind === "backup" && missed[0]!.reason.kind === "schedule" && missed[0]!.reason.firedAt,
    "2026-12-05T01:15:00.000Z",
  );
});

Deno.test("reconcile() takes the last success from the state file when it is newer than the snapshots", () => {
  const state = {
    ...EMPTY,
    lastSuccesses: [{ plan: "web", destination: "nas", time: "2026-12-05T01:20:00Z" }],
  };
  const actions = run([web()], listed(snapshot("2026-12-04T01:16:00Z")), "2026-12-05T03:00:00Z", state);
  assert.equal(actions[0]!.kind, "nothing");
});

Deno.test("reconcile() follows DST: after the autumn change, 02:15 Berlin is 01:15 UTC, not 00:15", () => {
  const views = listed(snapshot("2026-11-01T01:20:00Z"));
  // 2026-11-02T01:00Z is 02:00 in Berlin (CET): today's 02:15 has not come yet.
  assert.equal(run([web()], views, "2026-11-02T01:00:00Z")[0]!.kind, "nothing");
  const due = run([web()], views, "2026-11-02T01:20:00Z")[0]!;
  assert.equal(
    due.kind === "backup" && due.reason.kind === "schedule" && due.reason.firedAt,
    "2026-11-02T01:15:00.000Z",
  );
  // In summer (CEST) the same schedule fires at 00:15 UTC.
  const summer = run([web()], listed(snapshot("2026-07-01T00:20:00Z")), "2026-07-02T00:16:00Z")[0]!;
  assert.equal(
    summer.kind === "backup" && summer.reason.kind === "schedule" && summer.reason.firedAt,
    "2026-07-02T00:15:00.000Z",
  );
});

Deno.test("reconcile() plans a backup when the settings changed since the recorded fingerprint", () => {
  const before = effectiveSettings(web());
  const state: ReconcileState = {
    lastSuccesses: [],
    fingerprints: [{
      plan: "web",
      destination: "nas",
      fingerprint: settingsFingerprint(before),
      settings: before,
    }],
  };
  const changed = web({ sources: ["/srv/www", "/var/www"], excludes: ["*.tmp"] });
  const actions = run([changed], listed(snapshot("2026-12-05T01:16:00Z")), "2026-12-05T12:00:00Z", state);
  assert.deepEqual(actions[0], {
    kind: "backup",
    plan: "web",
    destination: "nas",
    basis: "listed",
    reason: {
      kind: "settings",
      changes: [
        { setting: "excludes", added: ["*.tmp"], removed: [] },
        { setting: "sources", added: ["/var/www"], removed: [] },
      ],
    },
  });
  assert.equal(
    run([web()], listed(snapshot("2026-12-05T01:16:00Z")), "2026-12-05T12:00:00Z", state)[0]!.kind,
    "nothing",
  );
});

Deno.test("reconcile() without a fingerprint compares the sources with the newest snapshot's paths", () => {
  const actions = run(
    [web()],
    listed(snapshot("2026-12-05T01:16:00Z", { paths: ["/srv/old"] })),
    "2026-12-05T12:00:00Z",
  );
  assert.deepEqual(actions[0]!.kind === "backup" && actions[0]!.reason, {
    kind: "settings",
    changes: [{ setting: "sources", added: ["/srv/www"], removed: ["/srv/old"] }],
  });
});

Deno.test("reconcile() plans a forget when retention would remove snapshots, newest first", () => {
  const plan = web({
    schedule: undefined,
    retention: {
      last: 2,
      hourly: 0,
      daily: 0,
      weekly: 0,
      monthly: 0,
      yearly: 0,
      within: undefined,
      tags: [],
    },
  });
  const views = listed(
    snapshot("2026-12-01T01:00:00Z"),
    snapshot("2026-12-02T01:00:00Z"),
    snapshot("2026-12-03T01:00:00Z"),
    snapshot("2026-12-04T01:00:00Z"),
  );
  assert.deepEqual(run([plan], views, "2026-12-05T12:00:00Z"), [{
    kind: "forget",
    plan: "web",
    destination: "nas",
    basis: "listed",
    reason: {
      kind: "retention",
      snapshots: [
        { id: "id-2026-12-02T01:00:00Z", time: "2026-12-02T01:00:00Z" },
        { id: "id-2026-12-01T01:00:00Z", time: "2026-12-01T01:00:00Z" },
      ],
      before: 4,
      after: 2,
    },
  }]);
});

Deno.test("reconcile() reports unreachable destinations, plans on their cache, and orders for apply", () => {
  const views = new Map<string, DestinationView>([
    ["nas", {
      kind: "listed",
      snapshots: [snapshot("2026-12-05T01:16:00Z"), snapshot("2026-12-01T00:00:00Z", { plan: "old" })],
    }],
    ["offsite", {
      kind: "cached",
      snapshots: [],
      listed: "2026-12-01T00:00:00.000Z",
      error: "connection refused",
    }],
    ["usb", { kind: "unreachable", error: "not mounted" }],
  ]);
  const plan = web({ destinations: ["nas", "offsite", "usb"] });
  const actions = reconcile([plan], EMPTY, views, new Date("2026-12-05T12:00:00Z"), {
    ...OPTIONS,
    configured: new Set(["web"]),
  });
  assert.deepEqual(actions.map((a) => `${a.kind} ${a.destination}`), [
    "unreachable offsite",
    "unreachable usb",
    "backup offsite",
    "nothing nas",
    "orphan nas",
  ]);
  assert.deepEqual(actions[1], {
    kind: "unreachable",
    destination: "usb",
    error: "not mounted",
    cachedAt: null,
  });
  assert.equal(actions[2]!.kind === "backup" && actions[2]!.basis, "cached");
});

Deno.test("reconcile() counts only this host's snapshots as a backup of this host", () => {
  const actions = run(
    [web()],
    listed(snapshot("2026-12-05T01:16:00Z", { host: "other" })),
    "2026-12-05T12:00:00Z",
  );
  assert.equal(actions[0]!.kind === "backup" && actions[0]!.reason.kind, "no-snapshot");
});

Deno.test("nextDue() is now without a known success or after a missed firing, else the next firing", () => {
  const now = new Date("2026-12-05T12:00:00Z");
  const DAILY = { cron: "15 2 * * *", timeZone: "UTC" };
  assert.deepEqual(nextDue(DAILY, { lastSuccess: undefined, now }), { kind: "never-succeeded" });
  assert.deepEqual(nextDue(undefined, { lastSuccess: "2026-12-05T02:16:00Z", now }), { kind: "unscheduled" });
  assert.deepEqual(nextDue(DAILY, { lastSuccess: "2026-12-04T02:16:00Z", now }), {
    kind: "overdue",
    since: "2026-12-05T02:15:00.000Z",
  });
  assert.deepEqual(nextDue(DAILY, { lastSuccess: "2026-12-05T02:16:00Z", now }), {
    kind: "scheduled",
    at: "2026-12-06T02:15:00.000Z",
  });
});

Deno.test("reconcile() backs up when the last success is dated in the future, and says the clock was ahead", () => {
  // A backup made while the clock read June 2027; the real time is December 2026.
  const ahead = snapshot("2027-06-01T00:30:00Z");
  const actions = run([web()], listed(snapshot("2026-12-01T01:16:00Z"), ahead), "2026-12-05T03:00:00Z");
  assert.deepEqual(actions, [{
    kind: "backup",
    plan: "web",
    destination: "nas",
    basis: "listed",
    reason: {
      kind: "clock-ahead",
      datedAt: "2027-06-01T00:30:00Z",
      cron: "15 2 * * *",
      timeZone: "Europe/Berlin",
      firedAt: "2026-12-05T01:15:00.000Z",
      lastSuccess: "2026-12-01T01:16:00Z",
    },
  }]);
  // Only the future one, and the state file's record of it: still due.
  const state = {
    ...EMPTY,
    lastSuccesses: [{ plan: "web", destination: "nas", time: "2027-06-01T00:30:00Z" }],
  };
  const only = run([web()], listed(ahead), "2026-12-05T03:00:00Z", state)[0]!;
  assert.equal(only.kind === "backup" && only.reason.kind === "clock-ahead" && only.reason.lastSuccess, null);
  // Once a backup dated now is made, the schedule counts from it again.
  const after = run([web()], listed(ahead, snapshot("2026-12-05T03:01:00Z")), "2026-12-05T03:02:00Z", state);
  assert.equal(after[0]!.kind, "nothing");
  // The next firing after that backup (recorded in the state file) is an ordinary one: no warning again.
  const recorded = {
    ...EMPTY,
    lastSuccesses: [{ plan: "web", destination: "nas", time: "2026-12-05T03:01:00Z" }],
  };
  const next = run(
    [web()],
    listed(ahead, snapshot("2026-12-05T03:01:00Z")),
    "2026-12-06T03:00:00Z",
    recorded,
  )[0]!;
  assert.equal(next.kind === "backup" && next.reason.kind, "schedule");
  // A few minutes ahead (two machines' clocks) is not the clock having been changed.
  const skew = run([web()], listed(snapshot("2026-12-05T03:04:00Z")), "2026-12-05T03:00:00Z");
  assert.equal(skew[0]!.kind, "nothing");
});

Deno.test("nextDue() is now when the last success is dated in the future", () => {
  const now = new Date("2026-12-05T12:00:00Z");
  assert.deepEqual(
    nextDue({ cron: "15 2 * * *", timeZone: "UTC" }, { lastSuccess: "2027-06-01T00:30:00Z", now }),
    {
      kind: "overdue",
      since: "2026-12-05T02:15:00.000Z",
    },
  );
});
