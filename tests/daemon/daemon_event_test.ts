// The daemon's log lines: text for people, one JSON object per line for machines.

import assert from "node:assert/strict";
import { formatEvent, runResult } from "../../lib/daemon/mod.ts";

const AT = new Date("2026-12-06T10:01:12.500Z");

Deno.test("formatEvent() writes one line of text per event", () => {
  assert.equal(
    formatEvent(
      {
        event: "start",
        plans: [{
          plan: "web",
          cron: "15 2 * * *",
          timeZone: "Europe/Berlin",
          nextRun: "2026-12-07T01:15:00.000Z",
        }],
        unscheduled: ["docs"],
      },
      AT,
      "text",
    ),
    '2026-12-06T10:01:12.500Z daemon started: 1 scheduled plan: web ("15 2 * * *" Europe/Berlin, next ' +
      "2026-12-07T01:15:00.000Z); not run by the daemon (no schedule): docs",
  );
  assert.equal(
    formatEvent(
      {
        event: "run-finished",
        plan: "web",
        result: "failure",
        exitCode: 11,
        durationMs: 1250,
        error: "kept: locked",
      },
      AT,
      "text",
    ),
    "2026-12-06T10:01:12.500Z run finished: web: failure (exit code 11) in 1.3 s: kept: locked",
  );
  assert.equal(
    formatEvent(
      { event: "run-queued", plan: "db", firedAt: "2026-12-06T10:01:00.000Z", behind: "web" },
      AT,
      "text",
    ),
    "2026-12-06T10:01:12.500Z run queued: db: waits for the run of web (fired 2026-12-06T10:01:00.000Z)",
  );
  assert.equal(
    formatEvent({ event: "stopping", running: ["web"], queued: ["db"] }, AT, "text"),
    "2026-12-06T10:01:12.500Z stopping: interrupting and waiting for web; not starting db",
  );
  assert.equal(formatEvent({ event: "stop" }, AT, "text"), "2026-12-06T10:01:12.500Z daemon stopped");
});

Deno.test("formatEvent() writes JSON with the time first and the event's fields", () => {
  const line = formatEvent(
    {
      event: "run-skipped",
      plan: "web",
      firedAt: "2026-12-06T10:01:00.000Z",
      reason: "running",
      since: "2026-12-06T10:00:00.000Z",
    },
    AT,
    "json",
  );
  assert.ok(!line.includes("\n"));
  assert.deepEqual(JSON.parse(line), {
    time: "2026-12-06T10:01:12.500Z",
    event: "run-skipped",
    plan: "web",
    firedAt: "2026-12-06T10:01:00.000Z",
    reason: "running",
    since: "2026-12-06T10:00:00.000Z",
  });
  assert.ok(line.startsWith('{"time":'));
});

Deno.test("runResult() reads kept's exit codes", () => {
  assert.deepEqual([0, 3, 130, 143, 1, 11, 70].map(runResult), [
    "success",
    "partial",
    "interrupted",
    "interrupted",
    "failure",
    "failure",
    "failure",
  ]);
});
