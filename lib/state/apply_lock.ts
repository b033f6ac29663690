/**
 * One `kept apply` per state file: an exclusive lock (flock) on a file next to it, `STATE.lock`. The
 * kernel releases it when the process ends, however it ends (SIGKILL included), so it never goes stale
 * (docs/reconcile.md#one-apply-at-a-time).
 *
 * @module
 */

import { dirname } from "node:path";
import { ExitCode, UserError } from "../errors.ts";
import { fileProblem } from "./_file_problem.ts";

/** How often a waiting apply tries the lock again. */
const POLL_MS = 100;

/** Options of {@link lockStateFile}. */
export interface StateLockOptions {
  /** How long to wait for another apply to end (0: refuse at once). */
  readonly waitMs: number;
  /** Written into the lock file, for the message another apply gives. */
  readonly now: Date;
}

/** The lock of one apply; release it (or `using` it) when done. */
export interface StateLock extends Disposable {
  /** The lock file's path. */
  readonly path: string;
  release(): void;
}

/**
 * Takes the exclusive apply lock of the state file at `statePath`, waiting up to `options.waitMs`.
 * The lock file stays in place after release: removing it would let two applies lock two different files.
 *
 * @throws {UserError} in one line, naming the other process, when the lock stays taken (exit code 11, as for
 * a locked repository); or when the lock file cannot be created.
 */
export async function lockStateFile(statePath: string, options: StateLockOptions): Promise<StateLock> {
  const path = `${statePath}.lock`;
  const file = openLockFile(path);
  const deadline = Date.now() + options.waitMs;
  while (!file.tryLockSync(true)) {
    if (Date.now() >= deadline) {
      const holder = describeHolder(path);
      file.close();
      throw new UserError(
        `Cannot apply: another kept apply${holder} is using state file "${statePath}" ` +
          `(wait for it to end, or pass --lock-wait 10min to wait)`,
        { exitCode: ExitCode.locked },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  file.truncateSync(0);
  file.writeSync(new TextEncoder().encode(`${Deno.pid} ${options.now.toISOString()}\n`));
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    file.close(); // closing the file drops its flock
  };
  return { path, release, [Symbol.dispose]: release };
}

function openLockFile(path: string): Deno.FsFile {
  try {
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return Deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (error) {
    throw new UserError(`Cannot create lock file "${path}": ${fileProblem(path, error)}`, { cause: error });
  }
}

/** " (pid 123, since 2026-12-05T02:15:00.000Z)" from what the holder wrote, or "" when unreadable. */
function describeHolder(path: string): string {
  try {
    const [pid, since] = Deno.readTextFileSync(path).trim().split(" ");
    return pid && since ? ` (pid ${pid}, since ${since})` : "";
  } catch {
    return "";
  }
}
