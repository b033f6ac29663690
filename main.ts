/**
 * kept — declarative, deduplicated, encrypted backups. Entry point of the CLI and of `deno compile`.
 *
 * @module
 */

import { main } from "./lib/cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
