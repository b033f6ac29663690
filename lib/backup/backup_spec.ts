/**
 * What one backup takes from a plan: its name, its sources and how to walk them. A loaded `Plan` is one;
 * backup asks for nothing more (not its schedule, destinations or retention).
 *
 * @module
 */

import type { ExcludeRules } from "./excludes.ts";

/** The part of a plan that decides what a backup reads and how its snapshot is labelled. */
export interface BackupSpec extends ExcludeRules {
  /**
   * The plan's name: recorded in the snapshot, and the parent is the newest snapshot of the same name (and
   * host) not newer than the new one.
   */
  name: string;
  /** Absolute paths; each keeps its path inside the snapshot. */
  sources: readonly string[];
  /**
   * Stay on the file system of each source: mount points are recorded as empty folders, but for the
   * sources on or below them, each walked on its own file system.
   */
  oneFileSystem: boolean;
  /** Recorded in the snapshot. */
  tags: readonly string[];
}
