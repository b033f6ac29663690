/**
 * Errors of the platform layer: a failed call becomes one `Error` naming the call, the path and the
 * reason, as an instance of the `Deno.errors` class that matches its errno (so callers can `instanceof`
 * it as they do Deno's own errors), carrying `call`, `path`, `code` and `errno`.
 *
 * @module
 */

import { describePath } from "./_paths.ts";
import type { PathLike } from "./_types.ts";

/** What a `PlatformError` carries besides its message. */
export interface PlatformErrorDetails {
  /** The C function (`statx`, `lgetxattr`) or Deno call (`lstat`) that failed. */
  readonly call: string;
  /** The path, escaped as `describePath()` does when it is not valid UTF-8. */
  readonly path: string;
  /**
   * The errno's symbolic name (`ENOENT`), `ERRNO<n>` for one the layer has no name for, or undefined for an
   * error that is no errno, or that only a bug of kept's causes (EFAULT).
   */
  readonly code: string | undefined;
  /** The errno's number on this OS, when known. */
  readonly errno: number | undefined;
}

/** An error thrown by the platform layer: an `Error` (often a `Deno.errors` class) with details. */
export type PlatformError = Error & PlatformErrorDetails;

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

const BRAND = Symbol("kept.platformError");

/** True for an error the platform layer threw; its details are then typed. */
export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof Error && BRAND in error;
}

/** Name, Linux number, macOS number, and the `Deno.errors` class for the errnos worth telling apart. */
const ERRNOS: ReadonlyArray<readonly [string, number, number, ErrorClass | undefined]> = [
  ["EPERM", 1, 1, Deno.errors.PermissionDenied],
  ["ENOENT", 2, 2, Deno.errors.NotFound],
  ["EINTR", 4, 4, Deno.errors.Interrupted],
  ["EIO", 5, 5, undefined],
  ["ENXIO", 6, 6, undefined],
  ["E2BIG", 7, 7, undefined],
  ["EBADF", 9, 9, Deno.errors.BadResource],
  ["EAGAIN", 11, 35, Deno.errors.WouldBlock],
  ["ENOMEM", 12, 12, undefined],
  ["EACCES", 13, 13, Deno.errors.PermissionDenied],
  ["EBUSY", 16, 16, Deno.errors.Busy],
  ["EEXIST", 17, 17, Deno.errors.AlreadyExists],
  ["EXDEV", 18, 18, undefined],
  ["ENOTDIR", 20, 20, Deno.errors.NotADirectory],
  ["EISDIR", 21, 21, Deno.errors.IsADirectory],
  ["EINVAL", 22, 22, undefined],
  ["EMFILE", 24, 24, undefined],
  ["ENOSPC", 28, 28, undefined],
  ["EROFS", 30, 30, undefined],
  ["ERANGE", 34, 34, undefined],
  ["ENAMETOOLONG", 36, 63, undefined],
  ["ENOTEMPTY", 39, 66, undefined],
  ["ELOOP", 40, 62, Deno.errors.FilesystemLoop],
  // A missing extended attribute: ENODATA on Linux, ENOATTR on macOS.
  ["ENODATA", 61, 93, Deno.errors.NotFound],
  ["ENOTSUP", 95, 45, Deno.errors.NotSupported],
  ["EOPNOTSUPP", 95, 102, Deno.errors.NotSupported],
  ["EDQUOT", 122, 69, undefined],
  // Met while reading what changed or went away under a backup: a file become a FIFO, a dead mount.
  ["ENODEV", 19, 19, undefined],
  ["ENFILE", 23, 23, undefined],
  ["ETXTBSY", 26, 26, undefined],
  ["EFBIG", 27, 27, undefined],
  ["ESPIPE", 29, 29, undefined],
  ["EMLINK", 31, 31, undefined],
  ["ENOSYS", 38, 78, undefined],
  ["ENOLINK", 67, 97, undefined],
  ["EOVERFLOW", 75, 84, undefined],
  ["ENOTCONN", 107, 57, undefined],
  ["ETIMEDOUT", 110, 60, undefined],
  ["EHOSTDOWN", 112, 64, undefined],
  ["ESTALE", 116, 70, undefined],
];

/**
 * The code of an errno the table does not name: still a code (`E` and capitals), so that what the system
 * refused is never taken for a bug (workers class errors by their code), and the number is in the message.
 * EFAULT (a bad address) is the exception: only kept's own calls into the C library can cause it, so it
 * gets no code and stays a bug.
 */
function unnamedCode(os: "linux" | "darwin", errno: number): string | undefined {
  return errno === EFAULT[os] ? undefined : `ERRNO${errno}`;
}

const EFAULT = { linux: 14, darwin: 14 } as const;

/** The symbolic name of errno `errno` on `os`, e.g. `ENOENT`. */
export function errnoName(os: "linux" | "darwin", errno: number): string | undefined {
  return ERRNOS.find((entry) => (os === "linux" ? entry[1] : entry[2]) === errno)?.[0];
}

/** The errno number of a symbolic name on `os` (for the few the layer must test for, like `ERANGE`). */
export function errnoNumber(os: "linux" | "darwin", name: string): number {
  const entry = ERRNOS.find((candidate) => candidate[0] === name);
  if (entry === undefined) throw new Error(`Unknown errno name "${name}"`);
  return os === "linux" ? entry[1] : entry[2];
}

/** What `makeError()` needs to word and classify a failure. */
export interface Failure {
  call: string;
  path: PathLike;
  /** Text before the path, e.g. the attribute in `Cannot lgetxattr "user.a" of "/x"`. */
  subject?: string;
  reason: string;
  code?: string | undefined;
  errno?: number | undefined;
  errorClass?: ErrorClass | undefined;
  cause?: unknown;
}

/** `Cannot CALL "PATH": REASON`, as the matching `Deno.errors` class, with its details attached. */
export function makeError(failure: Failure): PlatformError {
  const path = describePath(failure.path);
  const target = failure.subject === undefined ? `"${path}"` : `${failure.subject} of "${path}"`;
  const message = `Cannot ${failure.call} ${target}: ${failure.reason}`;
  const ErrorType = failure.errorClass ?? Error;
  const error = failure.cause === undefined
    ? new ErrorType(message)
    : new ErrorType(message, { cause: failure.cause });
  const details: PlatformErrorDetails = {
    call: failure.call,
    path,
    code: failure.code,
    errno: failure.errno,
  };
  Object.defineProperty(error, BRAND, { value: true });
  return Object.assign(error, details);
}

/** The error for a C call that failed with `errno` (`reason` is strerror's text). */
export function errnoError(
  os: "linux" | "darwin",
  errno: number,
  reason: string,
  where: { call: string; path: PathLike; subject?: string },
): PlatformError {
  const name = errnoName(os, errno);
  const errorClass = ERRNOS.find((entry) => entry[0] === name)?.[3];
  return makeError({
    ...where,
    reason: name === undefined ? `${reason} (errno ${errno})` : `${reason} (${name})`,
    code: name ?? unnamedCode(os, errno),
    errno,
    errorClass,
  });
}

/**
 * Rewords an error thrown by Deno's file API (or its `node:fs`) the same way (`Cannot lstat "/x": No such
 * file or directory (os error 2)`), as the `Deno.errors` class of its code. Anything else is returned
 * unchanged.
 */
export function fromDenoError(error: unknown, call: string, path: PathLike): unknown {
  if (!(error instanceof Error) || isPlatformError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const codeName = typeof code === "string" ? code : undefined;
  // Deno: "No such file or directory (os error 2): lstat '/x'"; node:fs: "ENOENT: no such file or directory, lchown '/x'".
  const deno = /^(.*?\(os error (\d+)\))/.exec(error.message);
  const node = /^(E[A-Z0-9]+): (.+?), \w+ '/.exec(error.message);
  const reason = deno?.[1] ??
    (node === null ? error.message : `${node[2]!.charAt(0).toUpperCase()}${node[2]!.slice(1)} (${node[1]})`);
  const byCode = ERRNOS.find((entry) => entry[0] === codeName)?.[3];
  return makeError({
    call,
    path,
    reason,
    code: codeName,
    errno: deno?.[2] === undefined ? undefined : Number(deno[2]),
    errorClass: error.constructor !== Error ? error.constructor as ErrorClass : byCode,
    cause: error,
  });
}

/** The error for a symlink met where a folder or file was to be opened: it is not followed. */
export function symlinkError(call: string, path: PathLike): PlatformError {
  return makeError({
    call,
    path,
    reason: "it is a symlink, which is not followed",
    code: "ELOOP",
    errorClass: Deno.errors.FilesystemLoop,
  });
}

/**
 * readlink's EINVAL as `Deno.errors.InvalidData` (the path is not a symlink), which the C library and
 * Deno (a `TypeError`) would otherwise give as a generic error; any other error is returned unchanged.
 */
export function notSymlinkError(error: unknown, path: PathLike): unknown {
  if (!isPlatformError(error) || error.code !== "EINVAL") return error;
  return makeError({
    call: error.call,
    path,
    reason: "it is not a symlink (EINVAL)",
    code: "EINVAL",
    errno: error.errno,
    errorClass: Deno.errors.InvalidData,
  });
}
