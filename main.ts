/**
 * kept — declarative, deduplicated, encrypted backups. Entry point of the CLI and of `deno compile`.
 *
 * @module
 */

import { main } from "./lib/cli/mod.ts";
import { mapLargeAllocations } from "./lib/platform/mod.ts";

/** Buffers of a megabyte or more go back to the system when freed (docs/performance.md#the-c-allocator). */
const LARGE_ALLOCATION = 1024 * 1024;

if (import.meta.main) {
  mapLargeAllocations(LARGE_ALLOCATION);
  Deno.exit(await main(Deno.args));
}
