// The daemon's loop with an injected clock and runner: runs on time, one run per plan at a time, DST,
// reloads and stopping.

import assert from "node:assert/strict";
import { Daemon, type DaemonEvent, type DaemonPlans } from "../../lib/daemon/mod.ts";
import { UserError } from "../../lib/errors.ts";
import { FakeClock, fakeRunner } from "./_fake_clock.ts";

function plans(schedules: Record<string, string>, timeZone = "UTC", unscheduled: string[] = []): DaemonPlans {
  return {
    scheduled: Object.entries(schedules).map(([name, cron]) => ({ name, schedule: { cron, timeZone } })),
    unscheduled,
  };
}

/** Runs a daemon on `clock` until `until`, and returns what it logged. */
async function runUntil(
  clock: FakeClock,
  until: string,
  options: { load: () => Promise<DaemonPlans>; runner: ReturnType<typeof fakeRunner>["runner"] },
  during?: (daemon: Daemon) => void,
): Promise<DaemonEvent[]> {
  const events: DaemonEvent[] = [];
  const daemon = new Daemon({ clock, ...options, log: (event) => events.push(event) });
  clock.stopAt(until, () => void daemon.stop());
  during?.(daemon);
  await daemon.run();
  return events;
}

function started(runs: { plan: string; started: string }[], plan: string): string[] {
  return runs.filter((run) => run.plan === plan).map((run) => run.started.slice(11, 19));
}

Deno.test("the daemon runs two plans with per-minute schedules each on time", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, () => 10_000);
  const events = await runUntil(clock, "2026-12-06T10:05:45Z", {
    load: () => Promise.resolve(plans({ a: "* * * * *", b: "30 * * * * *" })),
    runner,
  });
  assert.deepEqual(started(runs, "a"), ["10:01:00", "10:02:00", "10:03:00", "10:04:00", "10:05:00"]);
  assert.deepEqual(started(runs, "b"), ["10:01:30", "10:02:30", "10:03:30", "10:04:30", "10:05:30"]);
  const finished = events.filter((event) => event.event === "run-finished");
  assert.equal(finished.length, 10);
  assert.ok(finished.every((event) => event.result === "success" && event.durationMs === 10_000));
  assert.deepEqual(events.map((event) => event.event).at(0), "start");
  assert.deepEqual(events.map((event) => event.event).slice(-2), ["stopping", "stop"]);
});

Deno.test("plans that fire together run one after the other (the state file admits one apply)", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, () => 20_000);
  const events = await runUntil(clock, "2026-12-06T10:01:50Z", {
    load: () => Promise.resolve(plans({ a: "* * * * *", b: "* * * * *" })),
    runner,
  });
  assert.deepEqual(runs.map((run) => [run.plan, run.started]), [
    ["a", "2026-12-06T10:01:00.000Z"],
    ["b", "2026-12-06T10:01:20.000Z"],
  ]);
  assert.deepEqual(events.find((event) => event.event === "run-queued"), {
    event: "run-queued",
    plan: "b",
    firedAt: "2026-12-06T10:01:00.000Z",
    behind: "a",
  });
});

Deno.test("a plan waiting for its turn is not queued a second time when it fires again", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, (plan) => plan === "a" ? 90_000 : 1_000);
  const events = await runUntil(clock, "2026-12-06T10:02:50Z", {
    load: () => Promise.resolve(plans({ a: "* * * * *", b: "* * * * *" })),
    runner,
  });
  assert.deepEqual(runs.map((run) => [run.plan, run.started.slice(11, 19)]), [
    ["a", "10:01:00"],
    ["b", "10:02:30"],
  ]);
  const skipped = events.filter((event) => event.event === "run-skipped");
  assert.deepEqual(
    skipped.map((event) => event.event === "run-skipped" && [event.plan, event.reason, event.since]),
    [
      ["a", "running", "2026-12-06T10:01:00.000Z"],
      ["b", "queued", "2026-12-06T10:01:00.000Z"],
    ],
  );
});

Deno.test("at start, with catchUpAtStart, each plan runs once for its newest firing before the start", async () => {
  const clock = new FakeClock("2026-12-06T10:20:30Z");
  const { runner, runs } = fakeRunner(clock, () => 5_000);
  const events: DaemonEvent[] = [];
  const daemon = new Daemon({
    clock,
    runner,
    load: () => Promise.resolve(plans({ hourly: "0 * * * *", never: "0 0 30 2 *" })),
    log: (event) => events.push(event),
    catchUpAtStart: true,
  });
  clock.stopAt("2026-12-06T10:21:00Z", () => void daemon.stop());
  await daemon.run();
  assert.deepEqual(runs.map((run) => [run.plan, run.started]), [["hourly", "2026-12-06T10:20:30.000Z"]]);
  assert.deepEqual(events.find((event) => event.event === "run-started"), {
    event: "run-started",
    plan: "hourly",
    firedAt: "2026-12-06T10:00:00.000Z",
    catchUp: true,
  });
});

Deno.test("a firing while the plan's previous run is still going is skipped and logged", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, () => 90_000);
  const events = await runUntil(clock, "2026-12-06T10:05:10Z", {
    load: () => Promise.resolve(plans({ a: "* * * * *" })),
    runner,
  });
  assert.deepEqual(started(runs, "a"), ["10:01:00", "10:03:00", "10:05:00"]);
  const skipped = events.filter((event) => event.event === "run-skipped");
  assert.deepEqual(skipped.map((event) => event.event === "run-skipped" && [event.firedAt, event.since]), [
    ["2026-12-06T10:02:00.000Z", "2026-12-06T10:01:00.000Z"],
    ["2026-12-06T10:04:00.000Z", "2026-12-06T10:03:00.000Z"],
  ]);
});

Deno.test("in Europe/Berlin a 02:30 schedule runs once on the night the clocks go back, and once on the night they go forward", async () => {
  const autumn = new FakeClock("2026-10-24T12:00:00Z");
  const fallBack = fakeRunner(autumn, () => 1_000);
  await runUntil(autumn, "2026-10-26T12:00:00Z", {
    load: () => Promise.resolve(plans({ web: "30 2 * * *" }, "Europe/Berlin")),
    runner: fallBack.runner,
  });
  // 02:30 CEST (the first of the two 02:30s), then 02:30 CET.
  assert.deepEqual(fallBack.runs.map((run) => run.started), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:30:00.000Z",
  ]);

  const spring = new FakeClock("2026-03-28T12:00:00Z");
  const forward = fakeRunner(spring, () => 1_000);
  await runUntil(spring, "2026-03-30T12:00:00Z", {
    load: () => Promise.resolve(plans({ web: "30 2 * * *" }, "Europe/Berlin")),
    runner: forward.runner,
  });
  // 02:30 does not exist on 29 March: it runs at 03:00 CEST, right after the gap, and only then.
  assert.deepEqual(forward.runs.map((run) => run.started), [
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T00:30:00.000Z",
  ]);
});

Deno.test("a wall clock set back an hour is noticed at the next wake, and firings count from the new time", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, () => 1_000);
  const events: DaemonEvent[] = [];
  const daemon = new Daemon({
    clock,
    runner,
    load: () => Promise.resolve(plans({ a: "* * * * *" })),
    log: (event) => events.push(event),
  });
  clock.until(Date.parse("2026-12-06T10:02:10Z")).then(() => {
    clock.set("2026-12-06T09:02:10Z");
    clock.stopAt("2026-12-06T09:05:30Z", () => void daemon.stop());
  });
  await daemon.run();
  // The sleep begun at 10:02:10 for 50 s ends at 09:03:00 on the new clock; the next firing is 09:04.
  assert.deepEqual(runs.map((run) => run.started.slice(11, 19)), [
    "10:01:00",
    "10:02:00",
    "09:04:00",
    "09:05:00",
  ]);
});

Deno.test("SIGHUP-style reloads: a new plan runs from its first firing, an invalid config changes nothing", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, () => 1_000);
  let config: DaemonPlans | Error = plans({ a: "* * * * *" }, "UTC", ["docs"]);
  const load = () => config instanceof Error ? Promise.reject(config) : Promise.resolve(config);
  const events: DaemonEvent[] = [];
  const daemon = new Daemon({ clock, runner, load, log: (event) => events.push(event) });
  const running = daemon.run();
  await clock.until(Date.parse("2026-12-06T10:02:10Z"));
  config = new UserError('/etc/kept/kept.yaml:3:5: error: unknown key "sheduel"');
  daemon.reload();
  await clock.until(Date.parse("2026-12-06T10:03:10Z"));
  config = plans({ b: "*/2 * * * *" });
  daemon.reload();
  await clock.until(Date.parse("2026-12-06T10:06:30Z"));
  await daemon.stop();
  await running;
  assert.deepEqual(started(runs, "a"), ["10:01:00", "10:02:00", "10:03:00"]);
  assert.deepEqual(started(runs, "b"), ["10:04:00", "10:06:00"]);
  const start = events.find((event) => event.event === "start");
  assert.deepEqual(start?.event === "start" && start.unscheduled, ["docs"]);
  const failed = events.filter((event) => event.event === "reload-failed");
  assert.deepEqual(failed, [{
    event: "reload-failed",
    error: '/etc/kept/kept.yaml:3:5: error: unknown key "sheduel"',
  }]);
  const reloaded = events.filter((event) => event.event === "reload");
  assert.deepEqual(reloaded.map((event) => event.event === "reload" && event.plans.map((p) => p.plan)), [[
    "b",
  ]]);
});

Deno.test("stop() interrupts the running apply, waits for it to end, and starts nothing more", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner, runs } = fakeRunner(clock, () => 10 * 60_000);
  const events = await runUntil(clock, "2026-12-06T10:01:30Z", {
    load: () => Promise.resolve(plans({ a: "* * * * *" })),
    runner,
  });
  assert.deepEqual(runs.map((run) => [run.started, run.terminated]), [["2026-12-06T10:01:00.000Z", true]]);
  const tail = events.filter((event) => event.event !== "output").slice(-3);
  assert.deepEqual(tail.map((event) => event.event), ["stopping", "run-finished", "stop"]);
  assert.deepEqual(tail[0], { event: "stopping", running: ["a"], queued: [] });
  assert.equal(tail[1]?.event === "run-finished" && tail[1].result, "interrupted");
});

Deno.test("a failed run is logged with its exit code and the last line it wrote to stderr", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner } = fakeRunner(clock, () => 1_000, 1);
  const events = await runUntil(clock, "2026-12-06T10:01:30Z", {
    load: () => Promise.resolve(plans({ a: "* * * * *" })),
    runner,
  });
  const finished = events.find((event) => event.event === "run-finished");
  assert.deepEqual(finished, {
    event: "run-finished",
    plan: "a",
    result: "failure",
    exitCode: 1,
    durationMs: 1_000,
    error: "kept: destination failed",
  });
});

Deno.test("the first load's error ends run() with it", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner } = fakeRunner(clock, () => 1_000);
  const daemon = new Daemon({
    clock,
    runner,
    load: () => Promise.reject(new UserError("bad config")),
    log: () => {},
  });
  await assert.rejects(daemon.run(), { message: "bad config" });
});

Deno.test("stop() after a failed first load resolves quietly and logs nothing", async () => {
  const clock = new FakeClock("2026-12-06T10:00:30Z");
  const { runner } = fakeRunner(clock, () => 1_000);
  const events: DaemonEvent[] = [];
  const daemon = new Daemon({
    clock,
    runner,
    load: () => Promise.reject(new UserError("bad config")),
    log: (event) => events.push(event),
  });
  await assert.rejects(daemon.run());
  await daemon.stop();
  assert.deepEqual(events, []);
});
