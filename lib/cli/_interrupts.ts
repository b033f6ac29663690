// Ctrl-C and SIGTERM: one line saying what the interrupted command leaves behind, the locks released, and
// the shell's exit code for the signal (128 + its number).

import type { CommandKit } from "./_command_kit.ts";

/** The signals kept ends on, and the exit code of each. */
const SIGNALS = [["SIGINT", 130], ["SIGTERM", 143]] as const;

/** How long an interrupted run waits for its locks to be released before it ends anyway. */
const RELEASE_WAIT_MS = 5_000;

/**
 * Ends the process on SIGINT (exit 130) and SIGTERM (exit 143) after one line on stderr and releasing the
 * locks `kit` holds (for at most 5 s); a second signal ends it at once. Returns a function that stops listening.
 */
export function listenForInterrupts(kit: CommandKit): () => void {
  let interrupted = false;
  // Windows delivers Ctrl-C only (Deno cannot listen for SIGTERM there).
  const signals = Deno.build.os === "windows" ? SIGNALS.slice(0, 1) : SIGNALS;
  const handlers = signals.map(([signal, code]) => {
    const handler = () => {
      if (interrupted) Deno.exit(code);
      interrupted = true;
      const note = kit.interruptNote();
      kit.output.err(`kept: interrupted by ${signal}${note === undefined ? "" : `: ${note}`}\n`);
      // A storage that does not answer must not hold the exit: an unreleased lock goes stale.
      const givingUp = new Promise((resolve) => setTimeout(resolve, RELEASE_WAIT_MS));
      Promise.race([kit.releaseLocks(), givingUp]).finally(() => Deno.exit(code));
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}
