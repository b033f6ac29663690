/**
 * The real clock and timer of the daemon.
 *
 * @module
 */

import type { DaemonClock } from "./daemon.ts";

/** `Date` and `setTimeout`, the wait cut short when its signal aborts. */
export const systemClock: DaemonClock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      if (signal.aborted) done();
    }),
};
