// Errors that cross a worker boundary keep their kind. A worker catches what a job throws and answers with
// `encodeWorkerError(error)`; the main thread turns that back into an error with `decodeWorkerError`. A
// job the file system refused, or whose data is damaged, fails alone; a programming error is a bug, and
// must reach the user as one, with its stack, never as one more file that could not be read.

import { IntegrityError, UserError } from "../errors.ts";

/**
 * How a job failed:
 * - `io`: the environment refused (disk full, permission denied, a missing file, a backend or a command
 *   that failed): an explained failure of this one job;
 * - `integrity`: stored data is damaged or missing (an {@linkcode IntegrityError});
 * - `bug`: anything else, a programming error.
 */
export type ErrorKind = "io" | "integrity" | "bug";

/** An error as it crosses a worker boundary: plain data, safe to post. */
export interface WorkerError {
  kind: ErrorKind;
  /** The error's class name ("TypeError", "NotFound"). */
  name: string;
  message: string;
  /** The system's error code ("ENOSPC", "EACCES"), where there is one. */
  code?: string;
  /** Where it was thrown, in the worker. */
  stack?: string;
}

/** The file system or another part of the environment refused: one line, not a bug. */
export class IoError extends UserError {
  /** The system's error code ("ENOSPC"), where there is one. */
  readonly code: string | undefined;

  constructor(message: string, options: { code?: string | undefined; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "IoError";
    this.code = options.code;
  }
}

/** A programming error in a worker, carried to the main thread with the worker's stack. */
export class WorkerBugError extends Error {
  constructor(label: string, error: WorkerError) {
    super(`${label}: ${error.name}: ${error.message}`);
    this.name = "WorkerBugError";
    const frames = error.stack?.split("\n").filter((line) => /^\s+at /.test(line)) ?? [];
    this.stack = [`${this.name}: ${this.message}`, ...frames].join("\n");
  }
}

/** Deno's errors for what the system refused; `BadResource` (a closed handle used) is a bug. */
const SYSTEM_ERRORS = Object.entries(Deno.errors)
  .filter(([name]) => name !== "BadResource")
  .map(([, type]) => type);

/** Which {@linkcode ErrorKind} a thrown value is. */
export function errorKind(error: unknown): ErrorKind {
  if (error instanceof IntegrityError) return "integrity";
  if (error instanceof UserError) return "io";
  if (SYSTEM_ERRORS.some((type) => error instanceof type)) return "io";
  // node:fs and some of Deno's calls throw a plain Error with the system's code ("ENOSPC").
  if (systemCode(error) !== undefined) return "io";
  return "bug";
}

/** A thrown value as plain data that keeps its kind, for a worker's answer. */
export function encodeWorkerError(error: unknown): WorkerError {
  const kind = errorKind(error);
  const code = systemCode(error) ?? (error instanceof IoError ? error.code : undefined);
  if (!(error instanceof Error)) return { kind, name: typeof error, message: String(error) };
  return {
    kind,
    name: error.name,
    message: error.message,
    ...(code !== undefined ? { code } : {}),
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
  };
}

/**
 * The error to reject a job with on the main thread: an {@linkcode IntegrityError}, an {@linkcode IoError}
 * (both one-line user errors), or a {@linkcode WorkerBugError} naming `label` ("restore worker") and
 * keeping the worker's stack.
 */
export function decodeWorkerError(error: WorkerError, label: string): Error {
  switch (error.kind) {
    case "integrity":
      return new IntegrityError(error.message);
    case "io":
      return new IoError(error.message, { code: error.code });
    default:
      return new WorkerBugError(label, error);
  }
}

function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}
