/**
 * kept — declarative, deduplicated, encrypted backups. Entry point of the CLI and of `deno compile`.
 *
 * @module
 */

import { startWarmUnlock } from "./lib/destinations/warm_unlock.ts";

/** Buffers of a megabyte or more go back to the system when freed (docs/performance.md#the-c-allocator). */
const LARGE_ALLOCATION = 1024 * 1024;

if (import.meta.main) {
  // The repository this command line opened last time starts unlocking on another core now, while the rest
  // of kept loads (a fifth of a second of each).
  startWarmUnlock(Deno.args);
  const [{ main }, { mapLargeAllocations }] = await Promise.all([
    import("./lib/cli/mod.ts"),
    import("./lib/platform/mod.ts"),
  ]);
  mapLargeAllocations(LARGE_ALLOCATION);
  Deno.exit(await main(Deno.args));
}
