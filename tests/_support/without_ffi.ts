// Running kept from this checkout without the C library: the permissions of `deno run -A` less
// --allow-ffi, so the platform layer falls back to Deno's file API (docs/platform.md).

import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const DENO_JSON = fileURLToPath(new URL("../../deno.json", import.meta.url));

/** Every permission kept uses but FFI. */
export const WITHOUT_FFI: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-sys",
];

/**
 * Runs `kept --config CONFIG ARGS...` from this checkout with `permissions` (default: all but FFI), a cheap
 * key derivation and no colours.
 */
export function runKeptWith(
  config: string,
  args: readonly string[],
  permissions: readonly string[] = WITHOUT_FFI,
): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, "--config", DENO_JSON, MAIN, "--config", config, ...args],
    env: { KEPT_KDF_N: "1024", NO_COLOR: "1" },
    stdin: "null",
  }).output();
}
