/**
 * Plan files: loading, validation with positions, typed config, and the JSON Schema.
 *
 * @module
 */

export {
  type Config,
  type Destination,
  destinationNames,
  loadConfig,
  type LoadOptions,
  type LoadResult,
  missingSources,
  type PasswordSource,
  type Plan,
  type RequireEnv,
  requireSources,
  type RetentionPolicy,
  unresolvedError,
} from "./load.ts";
export { compareProblems, formatKeyPath, formatProblem, type Problem, type Severity } from "./problem.ts";
export { PLAN_FORMAT_VERSION, planJsonSchema } from "./schema.ts";
export { type DestinationLocation, parseDestinationUrl } from "./destination_url.ts";
export { type Age, formatBytes, parseAge, parseSize, parseTimeout } from "./units.ts";
export { resolveConfigPath } from "./config_path.ts";
