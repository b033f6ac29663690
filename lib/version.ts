/** The version of kept; a test keeps it equal to deno.json's. */
export const VERSION = "0.1.0";

/**
 * The repository format this kept writes (docs/format.md; the `version` of a repository's config file); a
 * test keeps it equal to what `kept init` writes.
 */
export const REPOSITORY_FORMAT_VERSION = 1;
