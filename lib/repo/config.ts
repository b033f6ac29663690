/**
 * The repository's `config` file (docs/format.md#config): plain JSON, readable without a password, and so
 * authenticated by nothing. Every value is checked against the bounds of docs/format.md#bounds before use:
 * a tampered chunker size could otherwise make a backup cut millions of tiny chunks.
 *
 * @module
 */

import type { Backend } from "../backends/mod.ts";
import { IntegrityError, NotFoundError, UserError } from "../errors.ts";
import { describeValue, type IntegerBound, integerProblem, isJsonObject, stringProblem } from "./_bounds.ts";
import { readBounded } from "./_read_bounded.ts";

/** The repository config file. */
export interface RepositoryConfig {
  format: "kept";
  version: 1;
  id: string;
  created: string;
  chunker: { minSize: number; avgSize: number; maxSize: number };
}

/** kept's chunker parameters for format v1: min 256 KiB, average 1 MiB, max 8 MiB (frozen: shared by every new repository). */
export const CHUNKER_V1 = Object.freeze({
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 8 * 1024 * 1024,
});

const KiB = 1024, MiB = 1024 * KiB;

/** The chunker sizes a config may give (docs/format.md#bounds); also `minSize <= avgSize <= maxSize`. */
export const CHUNKER_BOUNDS: Readonly<Record<keyof RepositoryConfig["chunker"], IntegerBound>> = Object
  .freeze({
    minSize: { min: 64 * KiB, max: 16 * MiB },
    avgSize: { min: 256 * KiB, max: 16 * MiB, powerOfTwo: true },
    maxSize: { min: 1 * MiB, max: 64 * MiB },
  });

/** The largest config file read (a real one is about 250 bytes). */
export const CONFIG_MAX_BYTES = 64 * KiB;

/** The storage holds no repository (no config file): a user can create one. */
export class NoRepositoryError extends UserError {
  /** Where a repository was looked for: a folder or an S3 location. */
  readonly location: string;

  constructor(location: string, why = "") {
    super(`No kept repository at ${location}${why}`);
    this.name = "NoRepositoryError";
    this.location = location;
  }
}

/**
 * Reads and checks the plain config file.
 *
 * @throws {NoRepositoryError} when there is none; {@linkcode IntegrityError} when it is damaged, too large,
 * or a value is out of bounds; `UserError` for another format or version.
 */
export async function readConfig(backend: Backend): Promise<RepositoryConfig> {
  const what = `The config file of ${backend.location}`;
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(backend, { kind: "config", name: "config" }, CONFIG_MAX_BYTES, what);
  } catch (error) {
    if (error instanceof NotFoundError) {
      const kind = await orphanedKind(backend);
      if (kind === undefined) throw new NoRepositoryError(backend.location);
      throw new UserError(
        `${backend.location} holds a repository's ${kind} files but no config file: it was lost (kept never ` +
          `removes it)`,
        { hint: "put the config file back from a copy; kept init will not make a new repository over these" },
      );
    }
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new IntegrityError(`${what} is damaged: it is not JSON`);
  }
  return parseConfig(value, backend.location);
}

/**
 * The kind of file (`snapshot`, `index`, `data`) a location holds whose config file is missing, or undefined
 * when it holds none of them: its repository lost its config, and a new one made there would hide it (an
 * `init` or an apply that found "no repository"), where writing the config back would bring it all back. Key
 * files alone are what an interrupted init leaves (it writes the config last): nothing is lost by making one
 * anew.
 */
export async function orphanedKind(backend: Backend): Promise<"snapshot" | "index" | "data" | undefined> {
  for (const [kind, name] of [["snapshots", "snapshot"], ["index", "index"], ["data", "data"]] as const) {
    for await (const _ of backend.list(kind)) return name;
  }
  return undefined;
}

/** Checks a parsed config: format and version first (a newer kept's repository), then every field. */
export function parseConfig(value: unknown, location: string): RepositoryConfig {
  const what = `The config file of ${location}`;
  if (!isJsonObject(value)) {
    throw new IntegrityError(`${what} is damaged: it is ${describeValue(value)}, not an object`);
  }
  if (value.format !== "kept") throw new UserError(`${location} is not a kept repository`);
  if (typeof value.version !== "number") {
    throw new IntegrityError(
      `${what} is damaged: "version" must be a number, found ${describeValue(value.version)}`,
    );
  }
  if (value.version !== 1) {
    throw new UserError(`Repository at ${location} has format version ${value.version}; this kept reads 1`);
  }
  const problem = fieldProblem(value);
  if (problem) throw new IntegrityError(`${what} is damaged: ${problem}`);
  return value as unknown as RepositoryConfig;
}

/** The first field of a v1 config that is missing or out of bounds, in words. */
function fieldProblem(config: Record<string, unknown>): string | undefined {
  const id = stringProblem(config.id, 32, /^[0-9a-f]{32}$/);
  if (id) return `"id" ${id}`;
  const created = stringProblem(config.created, 64);
  if (created) return `"created" ${created}`;
  const chunker = config.chunker;
  if (!isJsonObject(chunker)) return `"chunker" must be an object, found ${describeValue(chunker)}`;
  for (const [name, bound] of Object.entries(CHUNKER_BOUNDS)) {
    const problem = integerProblem(chunker[name], bound);
    if (problem) return `"chunker.${name}" ${problem}`;
  }
  const { minSize, avgSize, maxSize } = chunker as RepositoryConfig["chunker"];
  if (!(minSize <= avgSize && avgSize <= maxSize)) {
    return `chunker sizes must satisfy minSize <= avgSize <= maxSize, found ${minSize}, ${avgSize}, ${maxSize}`;
  }
  return undefined;
}
