import assert from "node:assert/strict";
import { UserError } from "../../lib/errors.ts";
import {
  applyForget,
  type ForgetPolicy,
  type ForgetSnapshot,
  forgottenIds,
  planForget,
  selectSnapshots,
} from "../../lib/forget/mod.ts";

const snap = (id: string, time: string, plan = "web", host = "h1"): ForgetSnapshot => ({
  id,
  time,
  plan,
  host,
});

const SNAPSHOTS = [
  snap("a1", "2026-11-20T10:00:00.000Z"),
  snap("a2", "2026-11-21T10:00:00.000Z"),
  snap("a3", "2026-11-22T10:00:00.000Z"),
  snap("b1", "2026-11-20T10:00:00.000Z", "web", "h2"),
  snap("b2", "2026-11-22T10:00:00.000Z", "web", "h2"),
  snap("c1", "2026-01-01T00:00:00.000Z", "gone-plan"),
  snap("c2", "2026-01-02T00:00:00.000Z", "gone-plan"),
  snap("d1", "2026-01-01T00:00:00.000Z", "db"),
];

const last1: ForgetPolicy = { retention: { last: 1 }, timeZone: "UTC" };
const options = {
  destination: "nas",
  plans: new Map<string, ForgetPolicy>([["web", last1], ["db", { retention: undefined, timeZone: "UTC" }]]),
  configured: new Set(["web", "db"]),
};

Deno.test("planForget() applies each plan's retention per host and never touches plans not in the config", () => {
  const plan = planForget(SNAPSHOTS, options);
  assert.deepEqual(
    plan.groups.map((
      g,
    ) => [g.plan, g.host, g.destination, g.keep.map((k) => k.id), g.forget.map((f) => f.id)]),
    [
      ["web", "h1", "nas", ["a3"], ["a2", "a1"]],
      ["web", "h2", "nas", ["b2"], ["b1"]],
    ],
  );
  assert.deepEqual(plan.groups[0]!.keep[0]!.reasons, ["last 1"]);
  assert.equal(plan.groups[0]!.keep[0]!.time, "2026-11-22T10:00:00.000Z");
  assert.deepEqual(plan.withoutRetention, [{ plan: "db", snapshots: 1 }]);
  assert.deepEqual(plan.orphans, [{ plan: "gone-plan", snapshots: 2 }]);
  assert.deepEqual(forgottenIds(plan), ["a2", "a1", "b1"]);
});

Deno.test("planForget() with a host applies only to that host's snapshots; unselected plans are left out", () => {
  const plan = planForget(SNAPSHOTS, { ...options, host: "h2", plans: new Map([["web", last1]]) });
  assert.deepEqual(forgottenIds(plan), ["b1"]);
  assert.deepEqual(plan.withoutRetention, [], "db was not selected");
});

Deno.test("applyForget() removes exactly the ids given, in order", async () => {
  const removed: string[] = [];
  const count = await applyForget({ removeSnapshot: (id) => Promise.resolve(void removed.push(id)) }, [
    "x",
    "y",
  ]);
  assert.equal(count, 2);
  assert.deepEqual(removed, ["x", "y"]);
});

Deno.test("selectSnapshots() resolves unique prefixes and refuses an ambiguous one", () => {
  const entries = [{ id: "abc1" }, { id: "abc2" }, { id: "def0" }];
  assert.deepEqual(selectSnapshots(entries, ["abc1", "d"], "nas"), [{ id: "abc1" }, { id: "def0" }]);
  assert.throws(
    () => selectSnapshots(entries, ["def0", "abc"], "nas"),
    (error: unknown) =>
      error instanceof UserError && /prefix "abc" is ambiguous: it matches 2/.test(error.message),
  );
  assert.throws(() => selectSnapshots(entries, ["f"], "nas"), /No snapshot "f" in nas/);
  assert.throws(() => selectSnapshots(entries, ["ABC"], "nas"), /Invalid snapshot "ABC"/);
});
