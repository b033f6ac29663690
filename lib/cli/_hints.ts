// What to tell the user to do about an error: the library says what went wrong and carries the data, the
// CLI, which knows its own commands and flags, words the advice.

import {
  LockConflictError,
  LockLostError,
  LockUnreadableError,
  NoRepositoryError,
  WrongPasswordError,
} from "../repo/mod.ts";
import type { UserError } from "../errors.ts";

/** The hint line for `error`: its own hint if it carries one, else advice that names kept's commands. */
export function hintFor(error: UserError): string | undefined {
  if (error.hint) return error.hint;
  if (error instanceof LockConflictError) {
    return "wait for it to finish, give --lock-wait 5min, or run `kept unlock` if that process is gone";
  }
  if (error instanceof LockLostError) {
    return "run the command again; `kept check` shows whether anything saved before depends on removed data";
  }
  if (error instanceof LockUnreadableError) {
    return "it goes stale 30 minutes after it was written; if no kept runs on it, `kept unlock --all`";
  }
  if (error instanceof NoRepositoryError) return "create one with `kept init DESTINATION`";
  if (error instanceof WrongPasswordError) {
    return "check the destination's password, password_file or password_command, or KEPT_PASSWORD";
  }
  return undefined;
}
