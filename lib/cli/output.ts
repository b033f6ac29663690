/**
 * Where commands write: injectable so tests can capture output without child processes.
 *
 * @module
 */

import { describePath } from "../platform/mod.ts";

/** Text sinks for a command's normal output and its diagnostics. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const encoder = new TextEncoder();

/**
 * Thrown by {@linkcode processOutput} once the reader of stdout has gone (`kept ls latest | head`): the
 * command stops, and `main()` ends quietly with exit code 0, as restic and most Unix tools end quietly.
 */
export class OutputClosed extends Error {
  constructor() {
    super("Standard output is closed");
    this.name = "OutputClosed";
  }
}

let stdoutClosed = false;

/** A line redrawn in place on the terminal (progress), if one is shown. */
let transientLine: { clear(): void } | undefined;

/**
 * Registers the line a progress display redraws (undefined: none): {@linkcode processOutput} clears it
 * before writing anything, so that no message, not even one about an interruption, lands on it.
 */
export function setTransientLine(line: { clear(): void } | undefined): void {
  transientLine = line;
}

/** Writes to the process's stdout and stderr. A closed stdout throws {@linkcode OutputClosed}; a closed stderr is ignored. */
export const processOutput: Output = {
  out: (text) => {
    transientLine?.clear();
    if (stdoutClosed) throw new OutputClosed();
    try {
      writeAll(Deno.stdout, text);
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      stdoutClosed = true;
      throw new OutputClosed();
    }
  },
  err: (text) => {
    transientLine?.clear();
    try {
      writeAll(Deno.stderr, text);
    } catch (error) {
      // Nobody reads the diagnostics any more: there is nowhere left to say anything.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  },
};

/** Whether an error, or one of its causes, says that stdout was closed by its reader. */
export function isOutputClosed(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof OutputClosed) return true;
  }
  return false;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

/**
 * A file name or path for line-oriented text output: backslashes and control characters (a newline in a
 * name would split its line in two) are written as escapes, as `ls -b` does, and bytes that are not UTF-8
 * as `\xNN`. JSON output needs none.
 */
export const escapeName: (name: string) => string = describePath;
