// `kept state`: what the state file holds — recent runs, last successes, cached snapshot lists — and when
// each plan × destination is next due. Reads only; a missing state file shows as empty.

import { UsageError } from "../errors.ts";
import { type Config, destinationNames } from "../plan/mod.ts";
import { isDatedAhead, type NextDue, nextDue } from "../reconcile/mod.ts";
import { SCHEMA_VERSION, StateFile } from "../state/mod.ts";
import type { CommandKit, Program } from "./_command_kit.ts";
import { localTime, parseAt, snakeKeys } from "./plan_command.ts";
import { counted } from "./_counted.ts";
import { machineTimeZone } from "../machine_time_zone.ts";

/** Registers `kept state` on `program`. */
export function stateCommand(program: Program, kit: CommandKit): void {
  program.command("state")
    .description("show the state file: runs, last successes, cached snapshot lists, next due times")
    .option("--json", "print JSON (docs/json.md)")
    .option("--runs <count>", "how many recent runs to show", "20")
    .option("--at <time>", "compute due times as if now were this time (RFC 3339)")
    .addHelpText(
      "after",
      "\nThe state file is a cache and a journal: deleting it loses nothing (kept rebuilds it from the\n" +
        "destinations). Due times here follow schedules only; `kept plan` also sees changed settings.\n" +
        "See docs/reconcile.md.",
    )
    .action(async (options) => {
      const now = options.at === undefined ? new Date() : parseAt(options.at);
      const limit = Number(options.runs);
      if (!Number.isInteger(limit) || limit < 0) {
        throw new UsageError(`Invalid --runs "${options.runs}": give a whole number`);
      }
      const config = await kit.loadConfig();
      using state = StateFile.open(config.statePath, { readOnly: true });
      const view = stateView(config, state, limit, now);
      if (options.json) kit.json(snakeKeys(view));
      else printState(kit, config, view);
    });
}

type StateView = ReturnType<typeof stateView>;

/** What `kept state` shows, as data (also its `--json`). */
function stateView(config: Config, state: StateFile, limit: number, now: Date) {
  const caches = destinationNames(config).flatMap((destination) => {
    const cache = state.cachedSnapshots(destination);
    return cache ? [cache] : [];
  });
  const lastSuccesses = state.lastSuccesses();
  const next = [...config.plans.values()].flatMap((plan) =>
    plan.destinations.map((destination) => {
      // The newest of the journal's last success and the newest cached snapshot: the destination is the truth.
      const times = [
        ...lastSuccesses.filter((s) => s.plan === plan.name && s.destination === destination).map((s) =>
          s.time
        ),
        ...(caches.find((c) => c.destination === destination)?.snapshots ?? [])
          .filter((s) => s.plan === plan.name).map((s) => s.time),
      ].sort((a, b) => Date.parse(a) - Date.parse(b));
      // A success dated in the future (a clock that was ahead) is passed only when there is no other: it
      // makes the plan overdue, and the backup made since must count.
      const current = times.filter((time) => !isDatedAhead(time, now));
      const zone = plan.timezone ?? machineTimeZone();
      return {
        plan: plan.name,
        destination,
        due: nextDue(
          plan.schedule === undefined ? undefined : { cron: plan.schedule, timeZone: zone },
          { lastSuccess: current.at(-1) ?? times.at(-1), now },
        ),
      };
    })
  );
  return {
    path: config.statePath,
    exists: state.path !== undefined,
    schemaVersion: SCHEMA_VERSION,
    runs: state.runs(limit),
    lastSuccesses,
    caches: caches.map(({ destination, listed, snapshots }) => ({
      destination,
      listed,
      snapshots: snapshots.length,
    })),
    next,
  };
}

function printState(kit: CommandKit, config: Config, view: StateView): void {
  const out = (line: string) => kit.output.out(line + "\n");
  const section = (title: string, lines: string[]) => {
    out(`${title}:`);
    for (const line of lines.length === 0 ? ["none"] : lines) out(`  ${line}`);
  };
  out(`state file ${view.path}${view.exists ? "" : " (not created yet)"}`);
  section(
    "runs",
    view.runs.map((run) =>
      `${localTime(run.started, "UTC")} UTC  ${run.action} ${
        run.plan ? `${run.plan} → ` : ""
      }${run.destination}: ` +
      `${run.result ?? "unfinished"}${run.snapshot ? ` ${run.snapshot.slice(0, 12)}` : ""}` +
      `${run.error ? ` (${run.error})` : ""}${run.log ? ` [hook log: ${lineCount(run.log)}]` : ""}`
    ),
  );
  section(
    "last successes",
    view.lastSuccesses.map((s) => `${s.plan} → ${s.destination}: ${localTime(s.time, "UTC")} UTC`),
  );
  section(
    "cached snapshot lists",
    view.caches.map((c) =>
      `${c.destination}: ${counted(c.snapshots, "snapshot")}, listed ${localTime(c.listed, "UTC")} UTC`
    ),
  );
  section(
    "next due",
    view.next.map((n) =>
      `${n.plan} → ${n.destination}: ${describeDue(n.due, config.plans.get(n.plan)?.timezone)}`
    ),
  );
}

function lineCount(text: string): string {
  const lines = text.split("\n").filter((line) => line !== "").length;
  return counted(lines, "line");
}

function describeDue(due: NextDue, timeZone: string | undefined): string {
  const zone = timeZone ?? machineTimeZone();
  switch (due.kind) {
    case "never-succeeded":
      return "now (no backup known)";
    case "overdue":
      return `now (schedule fired ${localTime(due.since, zone)} ${zone})`;
    case "scheduled":
      return `${localTime(due.at, zone)} (${zone})`;
    case "unscheduled":
      return "no schedule";
  }
}
