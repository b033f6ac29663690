// One progress line on a terminal's stderr while a long command runs: done of total, throughput, ETA and
// the current file, redrawn at most 4 times a second and cleared at the end. Formatting is a pure
// function of the counts, the elapsed time and the width; the clock is passed in.

import type { BackupProgress } from "../backup/mod.ts";
import { formatBytes } from "../plan/mod.ts";
import { escapeName, type Output, processOutput, setTransientLine } from "./output.ts";

/** What the line shows. Totals may still grow while `totalsFinal` is false (the work is still being listed). */
export interface ProgressState {
  /** What is counted: "files", "packs". */
  unit: string;
  done: number;
  total: number;
  /** Bytes done and in total; undefined when the work is not counted in bytes. */
  bytesDone?: number;
  bytesTotal?: number;
  totalsFinal: boolean;
  /** The file being worked on. */
  current?: string;
}

/** How {@linkcode formatProgress} lays out one line. */
export interface ProgressLayout {
  /** What the command is doing: "restoring", "checking". */
  verb: string;
  elapsedMs: number;
  /** Columns available: the line stays shorter, so the terminal never wraps it. */
  width: number;
  /** ANSI colours (a terminal without NO_COLOR). */
  color: boolean;
}

const BOLD = (text: string) => `\x1b[1m${text}\x1b[22m`;
const DIM = (text: string) => `\x1b[2m${text}\x1b[22m`;

/**
 * One progress line, e.g. `restoring 120/300 files, 1.20 GiB/3.40 GiB, 35%, 85.3 MiB/s, ETA 0:27,
 * etc/hosts`; the current file shortened from the left to fit. Totals that still grow are marked `+`
 * (`120/300+ files, 1.20 GiB/3.40 GiB+`), with no share or ETA: both would only be guesses.
 */
export function formatProgress(state: ProgressState, layout: ProgressLayout): string {
  const seconds = layout.elapsedMs / 1000;
  const bytes = state.bytesDone !== undefined && state.bytesTotal !== undefined;
  // By bytes while there are bytes to write; by entries when all there is are empty files and links.
  const share = bytes && state.bytesTotal! > 0
    ? fraction(state.bytesDone!, state.bytesTotal!)
    : fraction(state.done, state.total);
  const percent = `${Math.floor(share * 100)}%`;
  const growing = state.totalsFinal ? "" : "+";
  const parts = [
    `${layout.verb} ${state.done}/${state.total}${growing} ${state.unit}`,
    ...(bytes ? [`${formatBytes(state.bytesDone!)}/${formatBytes(state.bytesTotal!)}${growing}`] : []),
    ...(state.totalsFinal ? [layout.color ? BOLD(percent) : percent] : []),
  ];
  const rate = seconds > 0 ? (bytes ? state.bytesDone! : state.done) / seconds : 0;
  if (rate > 0) {
    parts.push(bytes ? `${formatBytes(Math.round(rate))}/s` : `${rate.toFixed(1)} ${state.unit}/s`);
  }
  if (state.totalsFinal && rate > 0 && share < 1) {
    const left = bytes ? state.bytesTotal! - state.bytesDone! : state.total - state.done;
    parts.push(`ETA ${formatDuration(left / rate)}`);
  }
  const line = parts.join(", ");
  if (state.current === undefined) return line;
  // Room for ", " and the file, in visible columns (escape codes take none).
  const room = layout.width - 1 - visibleLength(line) - 2;
  if (room < 8) return line;
  const current = state.current.length > room ? `…${state.current.slice(-(room - 1))}` : state.current;
  return `${line}, ${layout.color ? DIM(current) : current}`;
}

/** `0:27`, `12:05`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const total = Math.ceil(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** The share done; nothing to do is all done. */
function fraction(done: number, total: number): number {
  return total > 0 ? Math.min(1, done / total) : 1;
}

function visibleLength(text: string): number {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/** Where and how a {@linkcode ProgressLine} draws. */
export interface ProgressTarget {
  write(text: string): void;
  /** Milliseconds, for the redraw interval and the throughput. */
  clock(): number;
  width(): number;
  color: boolean;
}

/** Redraws at most this often: 4 times a second. */
export const REDRAW_MS = 250;

/** The line on the terminal: `update()` with new counts, `clear()` before other output and at the end. */
export class ProgressLine {
  readonly #target: ProgressTarget;
  readonly #verb: string;
  readonly #started: number;
  #state: ProgressState | undefined;
  #drawnAt: number | undefined;
  #shown = false;

  constructor(verb: string, target: ProgressTarget) {
    this.#verb = verb;
    this.#target = target;
    this.#started = target.clock();
  }

  /** Takes new counts; redraws when the last draw is at least {@linkcode REDRAW_MS} old. */
  update(state: ProgressState): void {
    this.#state = state;
    const now = this.#target.clock();
    if (this.#drawnAt === undefined || now - this.#drawnAt >= REDRAW_MS) this.#draw(now);
  }

  /** Redraws the last counts if due (called by a timer, so that a long file still moves the clock). */
  tick(): void {
    if (this.#state !== undefined) this.update(this.#state);
  }

  /** Erases the line; the next update draws it again. */
  clear(): void {
    if (!this.#shown) return;
    this.#target.write("\r\x1b[K");
    this.#shown = false;
    this.#drawnAt = undefined;
  }

  #draw(now: number): void {
    const line = formatProgress(this.#state!, {
      verb: this.#verb,
      elapsedMs: now - this.#started,
      width: this.#target.width(),
      color: this.#target.color,
    });
    this.#target.write(`\r${line}\x1b[K`);
    this.#shown = true;
    this.#drawnAt = now;
  }
}

/** A progress line on the terminal, and how to end it. */
export interface Progress {
  line: ProgressLine;
  /** Clears the line and stops its timer. */
  stop(): void;
}

/** When and how {@linkcode terminalProgress} shows a line. */
export interface TerminalProgressOptions {
  quiet: boolean;
  env: (name: string) => string | undefined;
  /**
   * Where the counts come from when they are read rather than pushed: the line asks 4 times a second
   * (undefined: nothing to show yet). Without it, the command calls `line.update()`.
   */
  poll?: () => ProgressState | undefined;
}

/**
 * A progress line on this process's stderr when it is a terminal and `quiet` is false; undefined
 * otherwise (piped, redirected, or in tests with captured output). Colours unless NO_COLOR is set. While
 * it runs, whatever kept prints clears the line first (the next redraw brings it back).
 */
export function terminalProgress(
  verb: string,
  output: Output,
  options: TerminalProgressOptions,
): Progress | undefined {
  if (options.quiet || output !== processOutput || !Deno.stderr.isTerminal()) return undefined;
  const encoder = new TextEncoder();
  const line = new ProgressLine(verb, {
    write: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    clock: () => performance.now(),
    width: terminalWidth,
    color: !options.env("NO_COLOR"),
  });
  setTransientLine(line);
  const poll = options.poll;
  const timer = setInterval(() => {
    if (poll === undefined) return line.tick();
    const state = poll();
    if (state !== undefined) line.update(state);
  }, REDRAW_MS);
  const stop = () => {
    clearInterval(timer);
    for (const signal of SIGNALS) Deno.removeSignalListener(signal, stop);
    setTransientLine(undefined);
    line.clear();
  };
  // Interrupted, kept says so and may take seconds to end (a checkpoint, the locks): the line must not
  // come back below that message, nor be left on the terminal when the process exits.
  for (const signal of SIGNALS) Deno.addSignalListener(signal, stop);
  return { line, stop };
}

/** The signals kept ends on (Windows delivers Ctrl-C only). */
const SIGNALS: readonly Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];

/** A backup's progress line and how to feed and end it (see {@linkcode backupProgress}). */
export interface BackupProgressLine {
  /**
   * Takes the counts a backup keeps (`BackupOptions.watchProgress`) as its walk starts: from then on the
   * line reads them, and measures throughput (the repository being opened, or a password being asked
   * for on the same terminal, is no part of it).
   */
  watch(progress: BackupProgress): void;
  /** Clears the line and stops its timer. */
  stop(): void;
}

/**
 * The progress line of one backup (`kept backup`, and `kept apply` on a terminal): files and bytes done
 * of those the walk has met so far, final once it has met them all. Shown only where
 * {@linkcode terminalProgress} shows one. A dry run reads nothing, so it says "scanning".
 */
export function backupProgress(
  output: Output,
  options: { dryRun: boolean; quiet: boolean; env: (name: string) => string | undefined },
): BackupProgressLine {
  let progress: Progress | undefined;
  return {
    watch: (counts) => {
      progress?.stop();
      progress = terminalProgress(options.dryRun ? "scanning" : "backing up", output, {
        quiet: options.quiet,
        env: options.env,
        poll: () => backupProgressState(counts),
      });
    },
    stop: () => progress?.stop(),
  };
}

/** What the line shows of a backup's counts; nothing before the walk has met a file. */
export function backupProgressState(progress: BackupProgress): ProgressState | undefined {
  if (progress.filesSeen === 0 && !progress.walked) return undefined;
  return {
    unit: "files",
    done: progress.filesDone,
    total: progress.filesSeen,
    bytesDone: progress.bytesDone,
    bytesTotal: progress.bytesSeen,
    totalsFinal: progress.walked,
    // One line, whatever bytes the name holds.
    ...(progress.current !== undefined ? { current: escapeName(progress.current) } : {}),
  };
}

function terminalWidth(): number {
  try {
    // A pseudo-terminal without a size (as `script` makes) says 0.
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}
