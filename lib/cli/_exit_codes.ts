// Which exit code an error ends kept with, and the table of every code for `kept --help` (the README has
// the same table; a test keeps them equal). The library's errors say what went wrong; the codes scripts
// test for (restic's, where they apply) are decided here, where every kind of error is known.

import { ExitCode, UserError } from "../errors.ts";
import {
  LockConflictError,
  LockUnreadableError,
  NoRepositoryError,
  WrongPasswordError,
} from "../repo/mod.ts";

/** Every exit code kept ends with, and what it means. */
export const EXIT_CODES: readonly (readonly [code: number, meaning: string])[] = [
  [ExitCode.ok, "success"],
  [ExitCode.failure, "failure: invalid plan, failed check, damaged data, a destination that failed"],
  [ExitCode.usage, "usage error: unknown command or option, missing argument"],
  [ExitCode.partial, "backup saved, but some files could not be read (listed as warnings)"],
  [ExitCode.noRepository, "the destination holds no repository (kept init creates one)"],
  [ExitCode.locked, "the repository is locked by another process"],
  [ExitCode.wrongPassword, "wrong password: no key of the repository opens with it"],
  [ExitCode.internal, "internal error: a bug in kept, printed with its stack (please report it)"],
  [
    ExitCode.interrupted,
    "interrupted by Ctrl-C (SIGINT): one line says what is left, and the locks it took are removed",
  ],
  [ExitCode.terminated, "terminated by SIGTERM, likewise"],
];

/** The exit code `error` ends kept with: restic's codes for a missing repository, a lock and a password. */
export function exitCodeFor(error: unknown): number {
  if (!(error instanceof UserError)) return ExitCode.internal;
  if (error instanceof NoRepositoryError) return ExitCode.noRepository;
  if (error instanceof LockConflictError || error instanceof LockUnreadableError) return ExitCode.locked;
  if (error instanceof WrongPasswordError) return ExitCode.wrongPassword;
  return error.exitCode;
}

/** The table of exit codes as `kept --help` prints it. */
export function exitCodeHelp(): string {
  const rows = EXIT_CODES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`);
  return `Exit codes (1, 3, 10-12 and 130 as restic 0.17 uses them):\n${rows.join("\n")}\n` +
    "A closed stdout (kept ls latest | head) ends kept quietly with 0.";
}
