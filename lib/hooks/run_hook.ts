/**
 * Runs one hook command with `sh -c` in a process group of its own, so that a timeout (or an interrupted
 * kept) can end it and everything it started; its stdout and stderr are captured together, in order.
 *
 * @module
 */

import { signalGroup } from "../run_command.ts";

/** Options of {@link runHookCommand}. */
export interface HookCommandOptions {
  /** The whole environment of the command (see {@link hookEnvironment}). */
  readonly env: Readonly<Record<string, string>>;
  /** The folder it runs in; undefined: kept's. */
  readonly cwd?: string | undefined;
  /**
   * After this long its process group gets SIGTERM, then SIGKILL {@link KILL_GRACE_MS} later, even when
   * `sh` itself has ended by then: {@link runHookCommand} returns after that SIGKILL. 1 to 2^31-1.
   */
  readonly timeoutMs: number;
  /** Aborting kills its process group at once (SIGKILL): kept is being interrupted. */
  readonly signal?: AbortSignal | undefined;
}

/** How one hook command ended. */
export interface HookCommandResult {
  readonly ok: boolean;
  /** Why it failed, in a few words: `exit code 3`, `timed out after 10s`, `cannot start: …`. */
  readonly failure?: string;
  /** What it printed on stdout and stderr, at most {@link MAX_OUTPUT_BYTES} (the end is kept). */
  readonly output: string;
  readonly durationMs: number;
}

/** How long a timed-out hook has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** What a hook prints beyond this is cut from the start: the end usually says what went wrong. */
export const MAX_OUTPUT_BYTES = 64 * 1024;
/** The longest delay a timer holds; `setTimeout` fires at once for a longer one. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long output is still read after the command exited (a background child may hold its pipes). */
const DRAIN_MS = 200;

/**
 * Runs `command` with `sh -c`; never throws for the command's own failure.
 *
 * @throws {RangeError} When `options.timeoutMs` is not 1 to 2^31-1 ms: a timer would fire at once.
 */
export async function runHookCommand(
  command: string,
  options: HookCommandOptions,
): Promise<HookCommandResult> {
  if (!(options.timeoutMs >= 1 && options.timeoutMs <= MAX_TIMER_MS)) {
    throw new RangeError(
      `Cannot run a hook with timeout ${options.timeoutMs} ms: use 1 to ${MAX_TIMER_MS} ms`,
    );
  }
  const started = Date.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("sh", {
      args: ["-c", command],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // A new session, so a new process group whose id is the child's pid: killing -pid ends all of it.
      detached: true,
    }).spawn();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, failure: `cannot start: ${reason}`, output: "", durationMs: 0 };
  }
  const output = new OutputTail();
  const reading = Promise.all([output.read(child.stdout), output.read(child.stderr)]);
  const ending = endOnTimeoutOrAbort(child.pid, options);
  const status = await child.status;
  await ending.settle();
  await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, DRAIN_MS))]);
  await output.cancel();
  const durationMs = Date.now() - started;
  const text = output.text();
  const ended = ending.reason();
  if (ended !== undefined) return { ok: false, failure: ended, output: text, durationMs };
  if (status.success) return { ok: true, output: text, durationMs };
  const failure = status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
  return { ok: false, failure, output: text, durationMs };
}

/**
 * kept's environment for a hook, with `variables` added and kept's own secret variables (`KEPT_PASSWORD…`)
 * left out: a hook that prints its environment must not put a password into the state file.
 */
export function hookEnvironment(
  base: Readonly<Record<string, string>>,
  variables: Readonly<Record<string, string>>,
): Record<string, string> {
  const env = Object.fromEntries(Object.entries(base).filter(([name]) => !name.startsWith("KEPT_PASSWORD")));
  return { ...env, ...variables };
}

/**
 * Arms the timeout and the abort listener of one command; `reason()` says why it was ended, if it was.
 * `settle()`, called once `sh` has exited, disarms them, but after a timeout it first waits for the
 * group's SIGKILL: `sh` may end on SIGTERM while a child that ignores it lives on in the group.
 */
function endOnTimeoutOrAbort(group: number, options: HookCommandOptions) {
  let reason: string | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const killed = Promise.withResolvers<void>();
  const kill = () => {
    clearTimeout(killTimer);
    signalGroup(group, "SIGKILL");
    killed.resolve();
  };
  const timer = setTimeout(() => {
    reason = `timed out after ${formatMs(options.timeoutMs)} (its process group was killed)`;
    signalGroup(group, "SIGTERM");
    killTimer = setTimeout(kill, KILL_GRACE_MS);
  }, options.timeoutMs);
  const onAbort = () => {
    reason = "interrupted (its process group was killed)";
    clearTimeout(timer);
    kill();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    reason: () => reason,
    settle: async () => {
      clearTimeout(timer);
      // Interrupting kept during the grace period still kills the group at once.
      if (killTimer !== undefined) await killed.promise;
      options.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Collects the output of both pipes in arrival order, keeping at most the last MAX_OUTPUT_BYTES. */
class OutputTail {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #cut = 0;
  #readers: ReadableStreamDefaultReader<Uint8Array>[] = [];

  async read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const reader = stream.getReader();
    this.#readers.push(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.#add(value);
      }
    } catch {
      // Cancelled after the command ended: what was read is kept.
    }
  }

  #add(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes > MAX_OUTPUT_BYTES) {
      const first = this.#chunks[0]!;
      const drop = Math.min(first.length, this.#bytes - MAX_OUTPUT_BYTES);
      if (drop === first.length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(drop);
      this.#bytes -= drop;
      this.#cut += drop;
    }
  }

  async cancel(): Promise<void> {
    await Promise.allSettled(this.#readers.map((reader) => reader.cancel()));
  }

  text(): string {
    const all = new Uint8Array(this.#bytes);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    const text = new TextDecoder().decode(all);
    return this.#cut > 0 ? `[${this.#cut} bytes of earlier output cut]\n${text}` : text;
  }
}

/** 600000 → "10min", 1500 → "1.5s" (as `hooks.timeout` spells durations). */
export function formatMs(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}min`;
  return `${ms / 1000}s`;
}
