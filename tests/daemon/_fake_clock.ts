// A clock for the daemon's tests: time moves only when the daemon sleeps, by exactly as long as it sleeps,
// and fake runs end at a set virtual time.

import type { DaemonClock, RunHandle, Runner } from "../../lib/daemon/mod.ts";

/** Virtual time that advances when the daemon sleeps; `stopAt` ends a test at a set time. */
export class FakeClock implements DaemonClock {
  #now: number;
  #waiters: { at: number; resolve: () => void }[] = [];
  #stop: { at: number; fn: () => void } | undefined;

  constructor(start: string) {
    this.#now = Date.parse(start);
  }

  now(): Date {
    return new Date(this.#now);
  }

  /** Calls `fn` (once) when the daemon first sleeps at or after `time`. */
  stopAt(time: string, fn: () => void): void {
    this.#stop = { at: Date.parse(time), fn };
  }

  /**
   * Moves time on by `ms`, stopping at each waiter (a run's end, a test's `until`) on the way so that they
   * see the time they wait for; returns early when `signal` aborts. Like a real timer, it waits `ms` however
   * the wall clock is set meanwhile ({@link FakeClock.set}).
   */
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    // Let runs that ended settle first, as they would in real time.
    await macrotask();
    let left = ms;
    while (!signal.aborted) {
      const ahead = [this.#stop?.at ?? Infinity, ...this.#waiters.map((waiter) => waiter.at)]
        .map((at) => at - this.#now);
      const step = Math.max(0, Math.min(left, ...ahead));
      this.#now += step;
      left -= step;
      if (this.#stop && this.#now >= this.#stop.at) {
        const { fn } = this.#stop;
        this.#stop = undefined;
        fn();
      }
      const due = this.#waiters.filter((waiter) => waiter.at <= this.#now);
      this.#waiters = this.#waiters.filter((waiter) => waiter.at > this.#now);
      for (const waiter of due) waiter.resolve();
      await macrotask();
      if (left <= 0) return;
    }
  }

  /** Sets the wall clock to `time`, as an administrator or NTP would (a sleep under way goes on). */
  set(time: string): void {
    this.#now = Date.parse(time);
  }

  /** Resolves once virtual time reaches `at` (ms since the epoch). */
  until(at: number): Promise<void> {
    if (at <= this.#now) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ at, resolve }));
  }
}

/** A run the fake runner started. */
export interface FakeRun {
  plan: string;
  started: string;
  terminated: boolean;
}

/** A runner whose runs last `durationMs(plan)` of virtual time and exit `code`; SIGTERM ends one with 143. */
export function fakeRunner(
  clock: FakeClock,
  durationMs: (plan: string) => number,
  code = 0,
): { runner: Runner; runs: FakeRun[] } {
  const runs: FakeRun[] = [];
  const runner: Runner = (plan, onOutput): RunHandle => {
    const run: FakeRun = { plan, started: clock.now().toISOString(), terminated: false };
    runs.push(run);
    onOutput("stdout", `backup ${plan} → nas`);
    let terminate = () => {};
    const finished = new Promise<{ code: number; error?: string }>((resolve) => {
      terminate = () => {
        run.terminated = true;
        resolve({ code: 143, error: "kept: interrupted by SIGTERM" });
      };
      clock.until(clock.now().getTime() + durationMs(plan)).then(() =>
        resolve(code === 0 ? { code } : { code, error: "kept: destination failed" })
      );
    });
    return { finished, terminate: () => terminate() };
  };
  return { runner, runs };
}

/** A turn of the event loop, so that settled promises run; a message, as nested timers are clamped to 4 ms. */
function macrotask(): Promise<void> {
  const channel = new MessageChannel();
  return new Promise((resolve) => {
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
