// The values a restore is made of: what it plans for each entry of the snapshot, and what it did.

import type { TreeNode } from "../repo/mod.ts";
import type { ErrorKind } from "../workers/mod.ts";

/**
 * What a restore does with one entry of the snapshot (docs/restore.md#actions):
 * - `create`: nothing is at its place; it is written.
 * - `replace`: something else is at its place and overwriting is on; that is removed, then it is written.
 * - `skip`: already there. A file, symlink, FIFO or device that matches the snapshot is left as it is (a
 *   resumed restore); a folder is entered, and its mode, owner and time are set again once its entries are.
 * - `refuse`: not written, and reported; `reason` says why.
 * - `omit`: not written, by design: sockets, which mean nothing without the process that listened on them.
 * - `fail`: could not be planned or written; `error` says why.
 */
export type RestoreAction = "create" | "replace" | "skip" | "refuse" | "omit" | "fail";

/**
 * Why an entry is refused:
 * - `differs`: a file, symlink, FIFO or device differs from the snapshot's, and overwriting is off;
 * - `not_a_folder`: the snapshot has a folder where something else is, and overwriting is off;
 * - `unsafe_name`: the name is not one safe path component (docs/format.md#restore-safety);
 * - `needs_root`: a device node, and the restore does not run as root;
 * - `needs_ffi`: its name or link target holds bytes that are not UTF-8, which only the C library can
 *   write (docs/platform.md): kept runs without it.
 */
export type RefusalReason = "differs" | "not_a_folder" | "unsafe_name" | "needs_root" | "needs_ffi";

/** Why an entry failed: what the file system refused (`io`), or damaged or missing data (`integrity`). */
export interface EntryError {
  kind: Exclude<ErrorKind, "bug">;
  message: string;
}

/** One entry of a restore plan, in the order a depth-first walk of the snapshot meets it. */
export interface RestoreEntry {
  /** Its path in the snapshot ("/etc/hosts"). */
  path: string;
  /** Where it goes: the target folder followed by `path`. Absent for an unsafe name, which has no place. */
  target?: string;
  /** The snapshot's entry: type, metadata, content. */
  node: TreeNode;
  action: RestoreAction;
  /** Set when `action` is `refuse`. */
  reason?: RefusalReason;
  /** Set when `action` is `fail`. */
  error?: EntryError;
  /** Files to write: the path written before the rename into place (see {@linkcode partialNames}). */
  partial?: string;
}

/** An entry a restore did not restore, and should have: refused, or failed while planned or written. */
export type RestoreProblem = RestoreEntry & { action: "refuse" | "fail" };

/**
 * What a restore could not give back of an entry it did restore: an extended attribute the target's file
 * system or the restoring user may not set.
 */
export interface RestoreWarning {
  /** The entry's path in the snapshot. */
  path: string;
  /** One line: what was not set, and why. */
  message: string;
}

/** How much a restore writes (or, planned, would write). */
export interface RestoreCounts {
  /** Files, symlinks, FIFOs and devices written (created or replaced); hard links included. */
  files: number;
  /** Folders created, replaced, or already there, whose metadata is set. */
  dirs: number;
  /** Bytes of file content, holes included; a hard-link group counts once. */
  bytes: number;
  /** Files, symlinks, FIFOs and devices already there and left as they are. */
  skipped: number;
  /** Entries (folders included) that replaced what was at their place. */
  replaced: number;
}

/** What a restore did. */
export interface RestoreResult extends RestoreCounts {
  /** The folder restored into: absolute, without symlinks. */
  target: string;
  /** What was refused or failed, in the order met. */
  problems: RestoreProblem[];
  /** What restored entries lack (extended attributes not set), in the order met. */
  warnings: RestoreWarning[];
}
