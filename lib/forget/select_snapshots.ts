/**
 * `kept forget --snapshot ID...`: the snapshots named by id or unique prefix, all or none.
 *
 * @module
 */

import { UsageError, UserError } from "../errors.ts";

/**
 * Resolves each reference (an id or a unique prefix) among `snapshots`. Every reference must match exactly
 * one snapshot; otherwise nothing is selected.
 *
 * @throws {UserError} naming the first reference that is malformed, matches nothing or matches several.
 */
export function selectSnapshots<T extends { readonly id: string }>(
  snapshots: readonly T[],
  refs: readonly string[],
  location: string,
): T[] {
  const chosen = new Map<string, T>();
  for (const ref of refs) {
    if (!/^[0-9a-f]{1,64}$/.test(ref)) {
      throw new UsageError(`Invalid snapshot "${ref}": give an id or a unique id prefix`);
    }
    const matches = snapshots.filter((snapshot) => snapshot.id.startsWith(ref));
    if (matches.length === 0) throw new UserError(`No snapshot "${ref}" in ${location}`);
    if (matches.length > 1) {
      throw new UserError(
        `Snapshot prefix "${ref}" is ambiguous: it matches ${matches.length} snapshots (nothing was removed)`,
      );
    }
    chosen.set(matches[0]!.id, matches[0]!);
  }
  return [...chosen.values()];
}
