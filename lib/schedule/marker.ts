/**
 * The mark of the files kept writes, so that it replaces or removes its own files and nobody else's, and
 * the config each was installed for, so that installing for one config leaves another's alone.
 *
 * @module
 */

/** How every file kept writes starts: only files that start so are ever replaced or removed. */
export const MARKER_PREFIX = "# Written by `kept schedule install`";
/** The first line of every file kept writes. */
export const MARKER = `${MARKER_PREFIX}: it rewrites or removes this file; change the plan instead.`;
/** How the second line starts: the config (an absolute path) the file's jobs run. */
export const CONFIG_PREFIX = "# Config: ";

/** The first lines of a file (or crontab block) kept writes for `config`. */
export function markerLines(config: string): string[] {
  return [MARKER, `${CONFIG_PREFIX}${config}`];
}

/** Whether `text` starts with kept's marker. */
export function isMarked(text: string | undefined): boolean {
  return text !== undefined && text.startsWith(MARKER_PREFIX);
}

/**
 * The config a text kept wrote was installed for (its second line); undefined when it does not say (an
 * older kept wrote it, for whichever config installs next).
 */
export function installedFor(text: string): string | undefined {
  const second = text.split("\n", 2)[1];
  return second?.startsWith(CONFIG_PREFIX) ? second.slice(CONFIG_PREFIX.length) : undefined;
}
