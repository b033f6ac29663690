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

/**
 * A file name or path for line-oriented text output: backslashes and control characters (a newline in a
 * name would split its line in two) are written as escapes, as `ls -b` does. JSON output needs none.
 */
export function escapeName(name: string): string {
  // deno-lint-ignore no-control-regex
  return name.replace(/[\\\x00-\x1f\x7f]/g, (char) => {
    switch (char) {
      case "\\":
        return "\\\\";
      case "\n":
        return "\\n";
      case "\t":
        return "\\t";
      case "\r":
        return "\\r";
      default:
        return `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
    }
  });
}
