/**
 * Restore: a snapshot, or a path in it, written below a target folder with its metadata, every blob
 * verified as it is written.
 *
 * @module
 */

export { partialNames, restore, type RestoreOptions, type RestoreResult } from "./restore.ts";
export { createSpecialFile, splitDeviceNumber } from "./special_files.ts";
