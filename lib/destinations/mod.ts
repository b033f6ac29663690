/**
 * Destinations: from a configured destination to its backend and its unlocked repository.
 *
 * @module
 */

export {
  createRepository,
  destinationByName,
  kdfFromEnv,
  openBackend,
  openRepository,
  type RepositoryAccess,
} from "./destination.ts";
export { type DestinationOutcome, eachDestination } from "./each_destination.ts";
export { countWarmUnlocks, forgetWarmUnlocks } from "./warm_unlock.ts";
export {
  describeStaleLock,
  type LockedRepository,
  type LockRequest,
  openLockedRepository,
  processAlive,
  processLockOwner,
} from "./locked_repository.ts";
export { type CachedRepository, cleanCache, defaultCacheRoot, listCache } from "../backends/mod.ts";
