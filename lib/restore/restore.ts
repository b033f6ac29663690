// A whole restore: plan, then carry the plan out.

import { platform } from "../platform/mod.ts";
import type { Repository } from "../repo/mod.ts";
import { type ApplyOptions, applyRestore } from "./apply_restore.ts";
import { type PlanOptions, planRestore } from "./plan_restore.ts";
import type { RestoreResult } from "./types.ts";

/** Options of {@linkcode restore}. */
export interface RestoreOptions extends PlanOptions, ApplyOptions {}

/**
 * Restores into `options.target`: {@linkcode planRestore}, then {@linkcode applyRestore}. Refused entries,
 * damaged data and unsafe names are reported in the result; the rest is restored. Throws what those throw.
 */
export async function restore(repository: Repository, options: RestoreOptions): Promise<RestoreResult> {
  await repository.loadIndex();
  // Trees only: file contents are read by the workers (or for them, where packs are not local files).
  repository.cachePacks(0);
  const plan = await planRestore(repository, options);
  return await applyRestore(plan, repository, options);
}

/**
 * One line to say before a restore without the C library (no `--allow-ffi`, or an OS without a binding):
 * what of the snapshot it cannot give back (docs/platform.md#what-the-fallback-does).
 */
export function fallbackMetadataWarning(): string | undefined {
  if (platform().kind !== "fallback") return undefined;
  return "restoring without the C library: times are set to the millisecond, extended attributes are not " +
    "restored, and names that are not valid UTF-8 are refused (docs/platform.md)";
}

/**
 * One line to say before a restore as root without the C library (no `--allow-ffi`): folders are then
 * re-checked by path before each step, and a swap between check and step is still followed.
 */
export function fallbackRestoreWarning(asRoot: boolean): string | undefined {
  if (!asRoot || platform().kind !== "fallback") return undefined;
  return "restoring as root without the C library (--allow-ffi not granted): a local user who can write " +
    "in the target could still redirect it between a check and a step (docs/restore.md#restore-safety)";
}
