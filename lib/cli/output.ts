/**
 * Where commands write: injectable so tests can capture output without child processes.
 *
 * @module
 */

/** Text sinks for a command's normal output and its diagnostics. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const encoder = new TextEncoder();

/** Writes to the process's stdout and stderr. */
export const processOutput: Output = {
  out: (text) => writeAll(Deno.stdout, text),
  err: (text) => writeAll(Deno.stderr, text),
};

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}
