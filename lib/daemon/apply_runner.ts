/**
 * The daemon's runner: `kept apply PLAN` as a child process of this same kept, so that a crash or the
 * memory of one run never reaches the daemon. The child gets its own session: a Ctrl-C in the daemon's
 * terminal reaches the daemon alone, which then interrupts the child once (a second signal would end the
 * child at once, before it records the run as interrupted).
 *
 * @module
 */

import type { RunHandle, Runner } from "./daemon.ts";
import type { SelfCommand } from "./self_command.ts";

/** A runner that starts `self … apply PLAN` and passes its output on line by line. */
export function applyRunner(self: SelfCommand): Runner {
  return (plan, onOutput): RunHandle => {
    const child = new Deno.Command(self.command, {
      args: [...self.args, "apply", plan],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
    let lastError: string | undefined;
    const stdout = eachLine(child.stdout, (line) => onOutput("stdout", line));
    const stderr = eachLine(child.stderr, (line) => {
      if (line.trim() !== "") lastError = line;
      onOutput("stderr", line);
    });
    const finished = Promise.all([child.status, stdout, stderr]).then(([status]) => ({
      code: status.code,
      error: status.success ? undefined : lastError,
    }));
    return {
      finished,
      terminate: () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // It has already ended.
        }
      },
    };
  };
}

async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + text).split("\n");
    pending = lines.pop()!;
    for (const line of lines) onLine(line);
  }
  if (pending !== "") onLine(pending);
}
