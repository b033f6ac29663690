/**
 * The daemon's loop: it runs `kept apply PLAN` (through an injected runner) each time a plan's schedule
 * fires, one apply at a time (the state file admits one): a plan that fires while another plan's apply runs
 * waits for it, a plan that fires while its own run is going or waiting is skipped. It reloads its plans on
 * request and stops by interrupting the running apply and waiting for it. The clock and the timer are
 * injected (docs/scheduling.md#daemon).
 *
 * @module
 */

import { describeError } from "../errors.ts";
import { nextRun, previousRun, type Schedule } from "../reconcile/mod.ts";
import { type DaemonEvent, type PlanSchedule, runResult } from "./daemon_event.ts";

/** The clock and timer the loop waits with. */
export interface DaemonClock {
  now(): Date;
  /** Resolves after `ms` milliseconds, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** One run of `kept apply PLAN` under way. */
export interface RunHandle {
  /** Resolves with the exit code and, on failure, the last line of stderr; never rejects. */
  readonly finished: Promise<{ readonly code: number; readonly error?: string | undefined }>;
  /** Asks the run to stop (SIGTERM), which records it as interrupted. */
  terminate(): void;
}

/** Starts `kept apply PLAN`; `onOutput` receives each line it prints. */
export type Runner = (
  plan: string,
  onOutput: (stream: "stdout" | "stderr", line: string) => void,
) => RunHandle;

/** The plans the daemon runs (with their zone resolved) and the names of those it does not. */
export interface DaemonPlans {
  readonly scheduled: readonly { readonly name: string; readonly schedule: Schedule }[];
  readonly unscheduled: readonly string[];
}

/** What the daemon needs. */
export interface DaemonOptions {
  readonly clock: DaemonClock;
  readonly runner: Runner;
  /** Loads the config; throws (a one-line UserError) when it is invalid. */
  readonly load: () => Promise<DaemonPlans>;
  readonly log: (event: DaemonEvent, time: Date) => void;
  /**
   * At start, run each plan whose schedule has fired before (apply does nothing when its backup is done),
   * so that a firing missed while the daemon was down runs once, as systemd's `Persistent=true` does.
   */
  readonly catchUpAtStart?: boolean;
}

/** The loop wakes at least this often, so a wall clock set back or a suspend is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;

interface Entry {
  readonly schedule: Schedule;
  /** When it fires next (ms since the epoch); null: never again. */
  nextAt: number | null;
}

/** A plan that fired while another plan's apply was running. */
interface Waiting {
  readonly plan: string;
  readonly firedAt: number;
  readonly catchUp: boolean;
  readonly since: number;
}

interface Running {
  readonly started: number;
  readonly handle: RunHandle;
  /** Settles once the run's end is logged. */
  readonly logged: Promise<void>;
}

/** Runs plans on their schedules until {@link Daemon.stop}. */
export class Daemon {
  readonly #options: DaemonOptions;
  #entries = new Map<string, Entry>();
  readonly #running = new Map<string, Running>();
  #waiting: Waiting[] = [];
  #wake = new AbortController();
  #reloadRequested = false;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #ended = false;
  #lastNow = -Infinity;

  constructor(options: DaemonOptions) {
    this.#options = options;
  }

  /** Loads the plans and runs them until stopped. Throws when the first load fails. */
  run(): Promise<void> {
    this.#loop ??= this.#runLoop();
    return this.#loop;
  }

  /** Reloads the config before the next wait; an invalid one keeps the plans as they are (and is logged). */
  reload(): void {
    this.#reloadRequested = true;
    this.#wake.abort();
  }

  /**
   * Stops scheduling, interrupts the running applies and resolves when they have ended (also when the
   * daemon never started, or its first load failed: `run()` reports that).
   */
  stop(): Promise<void> {
    if (!this.#stopping && this.#loop !== undefined && !this.#ended) {
      const queued = this.#waiting.splice(0).map((waiting) => waiting.plan);
      this.#log({ event: "stopping", running: [...this.#running.keys()], queued });
      for (const running of this.#running.values()) running.handle.terminate();
    }
    this.#stopping = true;
    this.#wake.abort();
    return (this.#loop ?? Promise.resolve()).then(() => {}, () => {});
  }

  async #runLoop(): Promise<void> {
    try {
      await this.#schedule();
    } finally {
      this.#ended = true;
    }
  }

  async #schedule(): Promise<void> {
    const plans = await this.#options.load();
    this.#install(plans);
    this.#log({ event: "start", ...this.#described(plans) });
    if (this.#options.catchUpAtStart) this.#catchUp(this.#options.clock.now().getTime());
    while (!this.#stopping) {
      // Renewed before the flags are read: a request made after this point aborts the new signal.
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
      if (this.#reloadRequested) await this.#reload();
      if (this.#stopping) break;
      const now = this.#options.clock.now().getTime();
      this.#fireDue(now);
      await this.#options.clock.sleep(this.#msUntilNext(now), this.#wake.signal);
    }
    await Promise.all([...this.#running.values()].map((running) => running.logged));
    this.#log({ event: "stop" });
  }

  async #reload(): Promise<void> {
    this.#reloadRequested = false;
    let plans: DaemonPlans;
    try {
      plans = await this.#options.load();
    } catch (error) {
      this.#log({ event: "reload-failed", error: describeError(error) });
      return;
    }
    this.#install(plans);
    // A plan gone from the config does not start any more; one still there keeps its place.
    this.#waiting = this.#waiting.filter((waiting) => this.#entries.has(waiting.plan));
    this.#log({ event: "reload", ...this.#described(plans) });
  }

  /** Fires every plan at its newest firing before `now`. */
  #catchUp(now: number): void {
    for (const [name, entry] of this.#entries) {
      const firedAt = previousRun(entry.schedule, new Date(now));
      if (firedAt !== undefined) this.#fire(name, Date.parse(firedAt), now, true);
    }
  }

  /** Takes `plans` as the schedules; a plan whose schedule is unchanged keeps its next firing. */
  #install(plans: DaemonPlans): void {
    const now = this.#options.clock.now();
    const entries = new Map<string, Entry>();
    for (const { name, schedule } of plans.scheduled) {
      const old = this.#entries.get(name);
      const same = old && old.schedule.cron === schedule.cron && old.schedule.timeZone === schedule.timeZone;
      entries.set(name, same ? old : { schedule, nextAt: nextAt(schedule, now.getTime()) });
    }
    this.#entries = entries;
  }

  /** Starts every plan whose firing time has come (once, however many firings a suspend skipped). */
  #fireDue(now: number): void {
    // A wall clock set back: the next firings are counted again from the new time.
    if (now < this.#lastNow - 1_000) {
      for (const entry of this.#entries.values()) entry.nextAt = nextAt(entry.schedule, now);
    }
    this.#lastNow = now;
    for (const [name, entry] of this.#entries) {
      if (entry.nextAt === null || entry.nextAt > now) continue;
      const firedAt = entry.nextAt;
      entry.nextAt = nextAt(entry.schedule, Math.max(now, firedAt));
      this.#fire(name, firedAt, now, false);
    }
  }

  /** Starts `plan`'s apply, or queues it behind the running one, or skips it when it is running or queued. */
  #fire(plan: string, firedAt: number, now: number, catchUp: boolean): void {
    const running = this.#running.get(plan);
    const waiting = this.#waiting.find((candidate) => candidate.plan === plan);
    if (running || waiting) {
      const reason = running ? "running" : "queued";
      const since = iso(running?.started ?? waiting!.since);
      this.#log({ event: "run-skipped", plan, firedAt: iso(firedAt), reason, since });
      return;
    }
    const busy = [...this.#running.keys()][0];
    if (busy === undefined) return this.#launch(plan, firedAt, catchUp);
    this.#waiting.push({ plan, firedAt, catchUp, since: now });
    this.#log({ event: "run-queued", plan, firedAt: iso(firedAt), behind: busy });
  }

  #launch(plan: string, firedAt: number, catchUp: boolean): void {
    const started = this.#options.clock.now().getTime();
    this.#log({ event: "run-started", plan, firedAt: iso(firedAt), catchUp });
    let handle: RunHandle;
    try {
      handle = this.#options.runner(
        plan,
        (stream, line) => this.#log({ event: "output", plan, stream, line }),
      );
    } catch (error) {
      this.#logFinished(plan, started, { code: 1, error: describeError(error) });
      return this.#launchNext();
    }
    const logged = handle.finished
      .catch((error) => ({ code: 1, error: describeError(error) }))
      .then((exit) => {
        this.#running.delete(plan);
        this.#logFinished(plan, started, exit);
        this.#launchNext();
      });
    this.#running.set(plan, { started, handle, logged });
  }

  /** Starts the plan that has waited longest, unless the daemon is stopping. */
  #launchNext(): void {
    const next = this.#stopping ? undefined : this.#waiting.shift();
    if (next) this.#launch(next.plan, next.firedAt, next.catchUp);
  }

  #logFinished(plan: string, started: number, exit: { code: number; error?: string | undefined }): void {
    const result = runResult(exit.code);
    this.#log({
      event: "run-finished",
      plan,
      result,
      exitCode: exit.code,
      durationMs: this.#options.clock.now().getTime() - started,
      ...(result !== "success" && exit.error !== undefined ? { error: exit.error } : {}),
    });
  }

  #msUntilNext(now: number): number {
    let next = now + MAX_SLEEP_MS;
    for (const entry of this.#entries.values()) {
      if (entry.nextAt !== null) next = Math.min(next, entry.nextAt);
    }
    return Math.max(0, next - now);
  }

  #described(plans: DaemonPlans): { plans: PlanSchedule[]; unscheduled: string[] } {
    return {
      plans: plans.scheduled.map(({ name, schedule }) => {
        const at = this.#entries.get(name)?.nextAt ?? null;
        return {
          plan: name,
          cron: schedule.cron,
          timeZone: schedule.timeZone,
          nextRun: at === null ? null : iso(at),
        };
      }),
      unscheduled: [...plans.unscheduled],
    };
  }

  #log(event: DaemonEvent): void {
    this.#options.log(event, this.#options.clock.now());
  }
}

function nextAt(schedule: Schedule, after: number): number | null {
  const next = nextRun(schedule, new Date(after));
  return next === null ? null : Date.parse(next);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
