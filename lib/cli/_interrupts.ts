// Ctrl-C and SIGTERM: one line saying what the interrupted command leaves behind, the locks released, and
// the shell's exit code for the signal (128 + its number).

import type { CommandKit } from "./_command_kit.ts";
import { killPasswordCommands } from "../secrets.ts";

/** The signals kept ends on, and the exit code of each. */
const SIGNALS = [["SIGINT", 130], ["SIGTERM", 143]] as const;

/** How long an interrupted run waits for its locks to be released before it ends anyway. */
const RELEASE_WAIT_MS = 5_000;
/** How long it waits, besides, for the work the command asked to finish first (the daemon's apply). */
const STOP_WAIT_MS = 30_000;

/**
 * Ends the process on SIGINT (exit 130) and SIGTERM (exit 143) after one line on stderr, the work the command
 * asked to finish ({@linkcode CommandKit.onInterrupt}, for at most 30 s, with a line when that wait runs
 * out) and releasing the locks `kit` holds (for at most 5 s); a running `password_command` is killed at once;
 * a second signal ends it at once.
 */
export function listenForInterrupts(kit: CommandKit): Interrupts {
  let interrupted: number | undefined;
  // Windows delivers Ctrl-C only (Deno cannot listen for SIGTERM there).
  const signals = Deno.build.os === "windows" ? SIGNALS.slice(0, 1) : SIGNALS;
  const handlers = signals.map(([signal, code]) => {
    const handler = () => {
      if (interrupted !== undefined) Deno.exit(code);
      interrupted = code;
      const note = kit.interruptNote();
      kit.output.err(`kept: interrupted by ${signal}${note === undefined ? "" : `: ${note}`}\n`);
      // A password command runs in a session of its own: it would outlive kept, as a hook would.
      killPasswordCommands();
      // A storage that does not answer must not hold the exit: an unreleased lock goes stale.
      const stopped = Promise.race([
        kit.stopForInterrupt().then(() => true),
        delay(STOP_WAIT_MS).then(() => false),
      ]).then((finished) => {
        if (!finished) {
          kit.output.err(`kept: stopped waiting after ${STOP_WAIT_MS / 1000} s for the work to finish\n`);
        }
      });
      stopped.then(() => Promise.race([kit.releaseLocks(), delay(RELEASE_WAIT_MS)]))
        .finally(() => Deno.exit(code));
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return {
    exitCode: () => interrupted,
    stop: () => {
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    },
  };
}

/** The listening started by {@linkcode listenForInterrupts}. */
export interface Interrupts {
  /**
   * The exit code of the signal that interrupted the command, if one did: a command that ends by itself once
   * interrupted (the daemon, after stopping) ends with it too.
   */
  exitCode(): number | undefined;
  /** Stops listening. */
  stop(): void;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
