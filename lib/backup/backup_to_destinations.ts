/**
 * Backs up one plan to each of its destinations in turn: the loop `kept backup` and `kept apply` share.
 * A destination that cannot be reached or fails is reported and skipped; the others are backed up.
 *
 * @module
 */

import { type DestinationOutcome, eachDestination } from "../destinations/mod.ts";
import type { Repository } from "../repo/mod.ts";
import { backup, type BackupProgress, type BackupResult, type FileChange } from "./backup.ts";
import type { BackupSpec } from "./backup_spec.ts";
import { FolderScans } from "./folder_scan.ts";

/** Options of {@link backupToDestinations}. */
export interface BackupToDestinationsOptions {
  plan: BackupSpec;
  /** The destinations' names, in the order they are backed up to. */
  destinations: readonly string[];
  /**
   * Opens and unlocks a destination's repository, calling `onKeyDerivation` as the password's key starts
   * being derived (`RepositoryAccess.onKeyDerivation`): the backup reads folders meanwhile.
   */
  open: (destination: string, onKeyDerivation: () => void) => Promise<Repository>;
  host: string;
  username: string;
  /** The clock: each backup's start (its snapshot's time) is read once, before any file is looked at. */
  now: () => Date;
  /** Records every snapshot under this time instead (`kept backup --time`; see `BackupOptions.time`). */
  time?: Date | undefined;
  /** Scan and compare only: read no file content, write nothing. */
  dryRun?: boolean;
  /** Called for every file or folder skipped or changed while read. */
  onWarning?: (destination: string, message: string) => void;
  /** Called as each destination's backup ends. */
  onOutcome?: (outcome: DestinationOutcome<BackupResult>) => void;
  /** Hears each file read at a destination (see `BackupOptions.onFile`). */
  onFile?: (destination: string, path: string, change: FileChange) => void;
  /** Receives each destination's checkpoint (see `BackupOptions.onCheckpoint`). */
  onCheckpoint?: (checkpoint: () => Promise<void>) => void;
  /** Receives each destination's progress counts as its walk starts (see `BackupOptions.watchProgress`). */
  watchProgress?: (destination: string, progress: BackupProgress) => void;
}

/** Backs up `options.plan` to every destination; one outcome each, in order. */
export function backupToDestinations(
  options: BackupToDestinationsOptions,
): Promise<DestinationOutcome<BackupResult>[]> {
  return eachDestination(options.destinations, async (destination) => {
    const now = options.now();
    const deriving = Promise.withResolvers<void>();
    const opening = options.open(destination, deriving.resolve);
    // Read folders while the password's key is derived: the walk then only compares.
    using scans = FolderScans.start(options.plan, { from: deriving.promise, until: opening });
    const repository = await opening;
    return await backup(repository, {
      plan: options.plan,
      destination,
      host: options.host,
      username: options.username,
      now,
      ...(options.time ? { time: options.time } : {}),
      scans,
      dryRun: options.dryRun ?? false,
      onWarning: (message) => options.onWarning?.(destination, message),
      ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
      ...(options.onFile
        ? { onFile: (path: string, change: FileChange) => options.onFile!(destination, path, change) }
        : {}),
      ...(options.watchProgress
        ? { watchProgress: (progress: BackupProgress) => options.watchProgress!(destination, progress) }
        : {}),
    });
  }, options.onOutcome);
}
