/**
 * Gathering what reconcile decides on: each destination's snapshot list, read now, or the state file's
 * cached copy when the destination cannot be reached (or `offline` asks for no contact at all).
 *
 * @module
 */

import { describeError, UserError } from "../errors.ts";
import { NoRepositoryError, type Repository, type SnapshotEntry } from "../repo/mod.ts";
import type { CachedSnapshot, StateFile } from "../state/mod.ts";
import type { DestinationView } from "./reconcile.ts";

/** Options of {@link surveyDestinations}. */
export interface SurveyOptions {
  /** Opens a destination's repository (read-only use: only its snapshot list is read). */
  readonly open: (destination: string) => Promise<Repository>;
  /** Where a destination stores its repository, for an `init` reason; undefined when it cannot be missing. */
  readonly missingLocation: (destination: string) => Promise<string | undefined>;
  /** The state file: its cache is read, and refreshed with what is listed unless `readOnly`. */
  readonly state: StateFile;
  /** Contact no destination: plan from the cache alone. */
  readonly offline: boolean;
  /** Do not refresh the cache. */
  readonly readOnly: boolean;
  readonly now: Date;
}

/**
 * Lists the snapshots of each destination, one after the other; a destination that fails is described,
 * with its cached list when the state file has one. Never writes to a repository.
 *
 * @throws a `StateFileError` when the state file cannot take the listing, and bugs: a `UserError` of a
 * destination becomes its view.
 */
export async function surveyDestinations(
  destinations: readonly string[],
  options: SurveyOptions,
): Promise<Map<string, DestinationView>> {
  const views = new Map<string, DestinationView>();
  for (const destination of destinations) {
    if (options.offline) {
      views.set(destination, fromCache(options.state, destination, undefined));
      continue;
    }
    let snapshots: CachedSnapshot[];
    try {
      // Inside the destination's try: one that cannot even be named (an unset variable in it) is its view.
      const missing = await options.missingLocation(destination);
      if (missing !== undefined) {
        views.set(destination, { kind: "no-repository", location: missing });
        continue;
      }
      const repository = await options.open(destination);
      snapshots = (await repository.listSnapshots()).map(cachedSnapshot);
    } catch (error) {
      if (error instanceof NoRepositoryError) {
        views.set(destination, { kind: "no-repository", location: error.location });
      } else if (error instanceof UserError) {
        views.set(destination, fromCache(options.state, destination, describeError(error)));
      } else {
        throw error;
      }
      continue;
    }
    // Outside the destination's try: a state file that cannot be written (a full disk) is its own error,
    // not the destination's.
    if (!options.readOnly) options.state.cacheSnapshots(destination, snapshots, options.now);
    views.set(destination, { kind: "listed", snapshots });
  }
  return views;
}

function fromCache(state: StateFile, destination: string, error: string | undefined): DestinationView {
  const cache = state.cachedSnapshots(destination);
  if (!cache) {
    return { kind: "unreachable", error: error ?? "not listed (offline) and not in the state file" };
  }
  return { kind: "cached", snapshots: cache.snapshots, listed: cache.listed, error };
}

/** A repository's snapshot entry as the cache keeps it. */
function cachedSnapshot({ id, snapshot }: SnapshotEntry): CachedSnapshot {
  return {
    id,
    time: snapshot.time,
    plan: snapshot.plan,
    host: snapshot.host,
    tags: snapshot.tags,
    paths: snapshot.paths,
  };
}
