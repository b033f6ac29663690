/**
 * Check: a repository's structure (index, snapshots, trees) and, on request, every blob of its packs.
 *
 * @module
 */

export { check, type CheckOptions, type CheckResult } from "./check.ts";
