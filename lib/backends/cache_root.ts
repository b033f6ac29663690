/**
 * Where kept keeps its local cache. A module of its own so that a run can find it before the rest of kept is
 * loaded (lib/destinations/warm_unlock.ts).
 *
 * @module
 */

import { join } from "node:path";

/**
 * The folder kept caches repositories in: `$KEPT_CACHE_DIR`, else `$XDG_CACHE_HOME/kept`, else
 * `~/.cache/kept`; undefined when none can be found (no home).
 */
export function defaultCacheRoot(env: (name: string) => string | undefined): string | undefined {
  const explicit = env("KEPT_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "kept");
  const home = env("HOME");
  return home ? join(home, ".cache", "kept") : undefined;
}

/** The folder under the cache root that holds lib/destinations/warm_unlock.ts's records. */
export const WARM_UNLOCK_FOLDER = "warm";
