/**
 * Carrying out a forget: removes the snapshot files a {@link ForgetPlan} (or a list of named snapshots)
 * says to remove. Only snapshot files: the data they name stays until prune (docs/format.md#write-order).
 *
 * @module
 */

import type { ForgetPlan } from "./plan_forget.ts";

/** What forget needs of a repository: removing one snapshot file. */
export interface SnapshotRemover {
  removeSnapshot(id: string): Promise<void>;
}

/** The ids of the snapshots a plan forgets, in group order (newest first within a group). */
export function forgottenIds(plan: ForgetPlan): string[] {
  return plan.groups.flatMap((group) => group.forget.map((snapshot) => snapshot.id));
}

/**
 * Removes the snapshots `ids` names, one by one, and returns how many were removed. Stops at the first
 * storage error (the files removed until then stay removed; running forget again finishes the work).
 */
export async function applyForget(repository: SnapshotRemover, ids: readonly string[]): Promise<number> {
  let removed = 0;
  for (const id of ids) {
    await repository.removeSnapshot(id);
    removed++;
  }
  return removed;
}
