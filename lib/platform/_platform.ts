/**
 * Which implementation of the platform layer this process uses, chosen once, on first use: the C
 * library through FFI where the OS is Linux or macOS, `--allow-ffi` is granted and the library loads;
 * Deno's file API otherwise.
 *
 * @module
 */

import { FallbackPlatform } from "./_fallback_platform.ts";
import { FfiPlatform } from "./_ffi_platform.ts";
import { openLibc } from "./_libc.ts";
import type { Platform } from "./_types.ts";

let chosen: Platform | undefined;

/**
 * The platform layer of this process (one per worker): the C library through FFI when it can be
 * reached, else Deno's file API. The first call loads the library; `warning` is set on the fallback.
 * Never throws: why FFI is not used is part of the fallback's `warning`.
 */
export function platform(): Platform {
  chosen ??= choose();
  return chosen;
}

/**
 * The fallback implementation over Deno's file API, whatever is available: for tests and for users who
 * want to rule the C library out. `reason` goes into its description and warning.
 */
export function fallbackPlatform(reason = "FFI turned off"): Platform {
  return new FallbackPlatform(reason);
}

function choose(): Platform {
  const { os } = Deno.build;
  if (os !== "linux" && os !== "darwin") return new FallbackPlatform(`no C library binding for ${os}`);
  let state: Deno.PermissionState;
  try {
    state = Deno.permissions.querySync({ name: "ffi" }).state;
  } catch {
    state = "denied";
  }
  if (state !== "granted") return new FallbackPlatform("--allow-ffi not granted");
  try {
    return new FfiPlatform(openLibc(), new FallbackPlatform("no mknod in the C library"));
  } catch (error) {
    return new FallbackPlatform(error instanceof Error ? error.message : String(error));
  }
}
