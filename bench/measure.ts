/**
 * Runs commands the way the benchmark counts them: wall time from our own clock, CPU time and peak RSS
 * from GNU time (`/usr/bin/time`), output kept in log files; plus folder sizes and small helpers for
 * running and installing programs.
 *
 * @module
 */

/** A problem the harness explains in one line (bad environment or input), as opposed to a bug. */
export class BenchError extends Error {
  override name = "BenchError";
}

/** A command to run: argv, and optionally a working folder and extra environment. */
export interface Invocation {
  argv: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** What one run of a command cost. */
export interface Measurement {
  exitCode: number;
  wallSeconds: number;
  /** user + system CPU seconds of the command and its children; undefined without GNU time */
  cpuSeconds: number | undefined;
  /** peak resident set size in bytes (of the largest process); undefined without GNU time */
  peakRssBytes: number | undefined;
  /** the first non-empty line the command wrote to stderr, for failure messages */
  firstErrorLine: string;
  /** `<prefix>.stdout`, `<prefix>.stderr` and `<prefix>.time` hold the command's output */
  logPrefix: string;
}

/** Where GNU time lives on Debian (package `time`). */
export const GNU_TIME = "/usr/bin/time";
const TIME_FORMAT = "bench-rss-kib=%M user=%U sys=%S";

/** True when `/usr/bin/time` is GNU time (which reports peak RSS with `-f %M`). */
export async function hasGnuTime(): Promise<boolean> {
  const result = await capture([GNU_TIME, "-f", "%M", "true"]);
  return result.ok && /^\d+\s*$/.test(result.stderr);
}

/**
 * Runs `invocation` to its end, under GNU time when `gnuTime` is set, with its stdout and stderr
 * streamed to `<logPrefix>.stdout` / `.stderr`. Never throws for a failing or missing command: that is
 * reported through `exitCode` (127 when the program does not exist).
 */
export async function measure(
  invocation: Invocation,
  options: { logPrefix: string; gnuTime: boolean },
): Promise<Measurement> {
  const { logPrefix, gnuTime } = options;
  const timeFile = `${logPrefix}.time`;
  const argv = gnuTime ? [GNU_TIME, "-f", TIME_FORMAT, "-o", timeFile, ...invocation.argv] : invocation.argv;
  const started = performance.now();
  let exitCode: number;
  try {
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      ...(invocation.cwd === undefined ? {} : { cwd: invocation.cwd }),
      ...(invocation.env === undefined ? {} : { env: invocation.env }),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const [status] = await Promise.all([
      child.status,
      streamToFile(child.stdout, `${logPrefix}.stdout`),
      streamToFile(child.stderr, `${logPrefix}.stderr`),
    ]);
    exitCode = status.code;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.writeTextFile(`${logPrefix}.stderr`, `${argv[0]}: command not found\n`);
    exitCode = 127;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const usage = gnuTime ? await readTimeFile(timeFile) : undefined;
  return {
    exitCode,
    wallSeconds,
    cpuSeconds: usage?.cpuSeconds,
    peakRssBytes: usage?.peakRssBytes,
    firstErrorLine: await firstNonEmptyLine(`${logPrefix}.stderr`),
    logPrefix,
  };
}

async function streamToFile(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await stream.pipeTo(file.writable);
}

async function readTimeFile(path: string): Promise<{ cpuSeconds: number; peakRssBytes: number } | undefined> {
  try {
    const match = /bench-rss-kib=(\d+) user=([\d.]+) sys=([\d.]+)/.exec(await Deno.readTextFile(path));
    if (!match) return undefined;
    return { peakRssBytes: Number(match[1]) * 1024, cpuSeconds: Number(match[2]) + Number(match[3]) };
  } catch {
    return undefined;
  }
}

async function firstNonEmptyLine(path: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? "";
  } catch {
    return "";
  }
}

/** Apparent size in bytes of everything under `path` (`du -sb`); 0 when it does not exist. */
export async function folderBytes(path: string): Promise<number> {
  const result = await capture(["du", "-sb", path]);
  if (!result.ok) return 0;
  return Number(result.stdout.split(/\s/)[0]);
}

/** Deletes a file or folder tree; a missing one is fine. */
export function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Flushes dirty pages to disk (`sync`), so one tool's writes are not paid for by the next one. */
export async function syncDisks(): Promise<void> {
  await capture(["sync"]);
}

/** The result of {@link capture}. */
export interface Captured {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command and returns its output as text; a missing program gives code 127. */
export async function capture(argv: string[], options: Omit<Invocation, "argv"> = {}): Promise<Captured> {
  try {
    const output = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return {
      ok: output.success,
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return { ok: false, code: 127, stdout: "", stderr: `${argv[0]}: command not found` };
  }
}

/** True when `command` is on PATH (or is an existing path). */
export async function hasCommand(command: string): Promise<boolean> {
  return (await capture(["sh", "-c", 'command -v "$1" >/dev/null', "sh", command])).ok;
}

/**
 * Makes `command` available, installing the Debian package `pkg` with apt-get when it is missing and
 * `install` is set (root only; runs `apt-get update` once if the first attempt fails). Returns an
 * explanation when the command stays unavailable, undefined when it is there.
 */
export async function ensureCommand(
  command: string,
  pkg: string,
  install: boolean,
): Promise<string | undefined> {
  if (await hasCommand(command)) return undefined;
  if (!install) return `"${command}" is not installed (and --no-install was given)`;
  if (Deno.uid() !== 0 || !(await hasCommand("apt-get"))) {
    return `"${command}" is not installed and cannot be installed here (needs root and apt-get)`;
  }
  console.error(`bench: installing Debian package "${pkg}" for "${command}"…`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  let result = await capture(["apt-get", "install", "-y", pkg], { env });
  if (!result.ok) {
    await capture(["apt-get", "update"], { env });
    result = await capture(["apt-get", "install", "-y", pkg], { env });
  }
  if (result.ok && await hasCommand(command)) return undefined;
  const reason = result.stderr.trim().split("\n").pop() ?? "";
  return `"${command}" is not installed and "apt-get install ${pkg}" failed: ${reason}`;
}
