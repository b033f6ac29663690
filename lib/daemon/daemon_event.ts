/**
 * What the daemon logs, one line per event: as text, or as a JSON object per line with `--log-format json`
 * (docs/json.md#kept-daemon---log-format-json). Plan names, schedules, exit codes and the runs' own output
 * only: never a secret.
 *
 * @module
 */

import { ExitCode } from "../errors.ts";

/** How a run ended, from its exit code. */
export type RunResult = "success" | "partial" | "failure" | "interrupted";

/** A plan the daemon runs, and when next. */
export interface PlanSchedule {
  readonly plan: string;
  readonly cron: string;
  readonly timeZone: string;
  /** RFC 3339; null: the schedule never fires again. */
  readonly nextRun: string | null;
}

/** One event of the daemon. */
export type DaemonEvent =
  | {
    readonly event: "start";
    readonly plans: readonly PlanSchedule[];
    readonly unscheduled: readonly string[];
  }
  | {
    readonly event: "reload";
    readonly plans: readonly PlanSchedule[];
    readonly unscheduled: readonly string[];
  }
  | { readonly event: "reload-failed"; readonly error: string }
  | {
    readonly event: "run-started";
    readonly plan: string;
    readonly firedAt: string;
    /** Started at the daemon's start for a firing before it (see `catchUpAtStart`). */
    readonly catchUp: boolean;
  }
  | {
    readonly event: "run-finished";
    readonly plan: string;
    readonly result: RunResult;
    readonly exitCode: number;
    readonly durationMs: number;
    /** The last line the run wrote to stderr, when it did not succeed. */
    readonly error?: string;
  }
  | {
    readonly event: "run-queued";
    readonly plan: string;
    readonly firedAt: string;
    /** The plan whose apply it waits for. */
    readonly behind: string;
  }
  | {
    readonly event: "run-skipped";
    readonly plan: string;
    readonly firedAt: string;
    /** The plan's previous run is still going, or still waiting for its turn. */
    readonly reason: "running" | "queued";
    /** When that run started, or began to wait. */
    readonly since: string;
  }
  | {
    readonly event: "output";
    readonly plan: string;
    readonly stream: "stdout" | "stderr";
    readonly line: string;
  }
  | {
    readonly event: "stopping";
    /** Plans whose apply is interrupted and waited for. */
    readonly running: readonly string[];
    /** Plans that were waiting for their turn, and now do not run. */
    readonly queued: readonly string[];
  }
  | { readonly event: "stop" };

/** The result of a run from its exit code (lib/errors.ts `ExitCode`); any other code is a failure. */
export function runResult(code: number): RunResult {
  if (code === ExitCode.ok) return "success";
  if (code === ExitCode.partial) return "partial";
  if (code === ExitCode.interrupted || code === ExitCode.terminated) return "interrupted";
  return "failure";
}

/** `event` at `time` as one line (no newline): text, or JSON with `time` first. */
export function formatEvent(event: DaemonEvent, time: Date, format: "text" | "json"): string {
  if (format === "json") return JSON.stringify({ time: time.toISOString(), ...event });
  return `${time.toISOString()} ${describeEvent(event)}`;
}

function describeEvent(event: DaemonEvent): string {
  switch (event.event) {
    case "start":
      return `daemon started: ${describePlans(event.plans, event.unscheduled)}`;
    case "reload":
      return `config reloaded: ${describePlans(event.plans, event.unscheduled)}`;
    case "reload-failed":
      return `config not reloaded, the previous one stays: ${event.error}`;
    case "run-started":
      return event.catchUp
        ? `run started: ${event.plan} (catching up at start: schedule last fired ${event.firedAt})`
        : `run started: ${event.plan} (schedule fired ${event.firedAt})`;
    case "run-queued":
      return `run queued: ${event.plan}: waits for the run of ${event.behind} (fired ${event.firedAt})`;
    case "run-finished": {
      const code = event.result === "success" ? "" : ` (exit code ${event.exitCode})`;
      const error = event.error === undefined ? "" : `: ${event.error}`;
      return `run finished: ${event.plan}: ${event.result}${code} in ${seconds(event.durationMs)}${error}`;
    }
    case "run-skipped": {
      const why = event.reason === "running"
        ? `its run started ${event.since} is still going`
        : `its run has waited for its turn since ${event.since}`;
      return `run skipped: ${event.plan}: ${why} (fired ${event.firedAt})`;
    }
    case "output":
      return `${event.plan}: ${event.line}`;
    case "stopping": {
      const running = event.running.length === 0
        ? ""
        : `: interrupting and waiting for ${event.running.join(", ")}`;
      const queued = event.queued.length === 0 ? "" : `; not starting ${event.queued.join(", ")}`;
      return `stopping${running}${queued}`;
    }
    case "stop":
      return "daemon stopped";
  }
}

function describePlans(plans: readonly PlanSchedule[], unscheduled: readonly string[]): string {
  const scheduled = plans.length === 0
    ? "no scheduled plans"
    : `${plans.length} scheduled plan${plans.length === 1 ? "" : "s"}: ` +
      plans.map((p) => `${p.plan} ("${p.cron}" ${p.timeZone}, next ${p.nextRun ?? "never"})`).join(", ");
  const rest = unscheduled.length === 0
    ? ""
    : `; not run by the daemon (no schedule): ${unscheduled.join(", ")}`;
  return scheduled + rest;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
