/**
 * The snapshots of several destinations, each listed on its own: a destination that cannot be read is one
 * failed outcome, and the others are still listed.
 *
 * @module
 */

import { type DestinationOutcome, eachDestination } from "../destinations/mod.ts";
import { matchesFilter, type Repository, type SnapshotEntry, type SnapshotFilter } from "../repo/mod.ts";

/** The snapshots of each destination that match `filter`, oldest first; one outcome per destination. */
export function listSnapshotsAt(
  destinations: readonly string[],
  open: (destination: string) => Promise<Repository>,
  filter: SnapshotFilter = {},
): Promise<DestinationOutcome<SnapshotEntry[]>[]> {
  return eachDestination(destinations, async (destination) => {
    const repository = await open(destination);
    return (await repository.listSnapshots()).filter((entry) => matchesFilter(entry, filter));
  });
}
