/**
 * Errors meant for the user. Each carries the process exit code it maps to; `main.ts` prints a
 * `UserError` as one line and anything else as a bug with its stack.
 *
 * @module
 */

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  /** The command ran and found something wrong (invalid plan, failed check, failed backup). */
  failure: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** A backup finished but skipped files it could not read. */
  partial: 3,
  /** The destination holds no repository (as restic 0.17). */
  noRepository: 10,
  /** The repository could not be locked: another process holds a conflicting lock (as restic 0.17). */
  locked: 11,
  /** No key of the repository opens with the password given (as restic 0.17). */
  wrongPassword: 12,
  /** A bug in kept: the message asks to report it (BSD's EX_SOFTWARE). */
  internal: 70,
  /** Interrupted by Ctrl-C (SIGINT): 128 + 2, as shells report it. */
  interrupted: 130,
  /** Ended by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;

/** A problem caused by input or environment, explained in one line. */
export class UserError extends Error {
  /** Process exit code to end with. */
  readonly exitCode: number;
  /** Optional second line telling the user what to do. */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "UserError";
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
  }
}

/** Wrong command-line usage: unknown flag, missing argument, conflicting options. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint === undefined ? { exitCode: ExitCode.usage } : { exitCode: ExitCode.usage, hint });
    this.name = "UsageError";
  }
}

/** Stored data failed authentication or does not match its id: never retried, always reported. */
export class IntegrityError extends UserError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "IntegrityError";
  }
}

/** A storage backend failed. `permanent` tells retry wrappers not to try again. */
export class BackendError extends UserError {
  readonly permanent: boolean;

  constructor(message: string, options: { permanent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "BackendError";
    this.permanent = options.permanent;
  }
}

/** An object the caller asked for does not exist in the backend. */
export class NotFoundError extends BackendError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = "NotFoundError";
  }
}

/**
 * The storage itself is not there: an S3 bucket that does not exist. A repository opened there is no
 * repository yet (`kept init` creates the bucket), not storage that cannot be reached.
 */
export class MissingStorageError extends BackendError {
  /** Where the repository was to be. */
  readonly location: string;

  constructor(message: string, location: string) {
    super(message, { permanent: true });
    this.name = "MissingStorageError";
    this.location = location;
  }
}

/** A backend refused to store a file because one of that name already exists. */
export class AlreadyExistsError extends BackendError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = "AlreadyExistsError";
  }
}

/** Turns any thrown value into a one-line description (for logs and partial-failure reports). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
