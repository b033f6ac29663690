/**
 * Opens the repository of a configured destination: its backend, then its keys.
 *
 * @module
 */

import {
  type Backend,
  CachingBackend,
  defaultCacheRoot,
  LocalBackend,
  rememberedKeyAt,
  resolveS3Credentials,
  RetryBackend,
  S3Backend,
  s3Location,
} from "../backends/mod.ts";
import { MissingStorageError, UserError } from "../errors.ts";
import {
  type Config,
  type Destination,
  type DestinationLocation,
  destinationNames,
  unresolvedError,
} from "../plan/mod.ts";
import type { KdfParams } from "../crypto/mod.ts";
import { type InitOptions, NoRepositoryError, Repository, unlockEarly } from "../repo/mod.ts";
import { type PasswordContext, resolvePassword } from "../secrets.ts";
import { forgetWarmUnlocks, rememberWarmUnlock, takeWarmUnlock } from "./warm_unlock.ts";

/**
 * Finds a destination by name, to be opened.
 *
 * @throws {UserError} for a name the config does not define, and for a destination that uses a variable
 * that is not set (`Config.unresolved`): its file:line:col and key, so that only the commands (and, in a
 * run over several destinations, only the destination) that need the variable fail.
 */
export function destinationByName(config: Config, name: string): Destination {
  const unresolved = config.unresolved.destinations.get(name);
  if (unresolved !== undefined) throw unresolvedError(unresolved);
  const destination = config.destinations.get(name);
  if (!destination) {
    const known = destinationNames(config).join(", ") || "none";
    throw new UserError(`Unknown destination "${name}" (defined: ${known})`);
  }
  return destination;
}

/** The backend of a destination; `create` makes a local folder or a bucket if missing. S3 is retried. */
export async function openBackend(destination: Destination, create: boolean): Promise<Backend> {
  const location = destination.location;
  if (location.kind === "s3") {
    const { s3 } = destination;
    const backend = await S3Backend.open({
      endpoint: location.endpoint,
      bucket: location.bucket,
      prefix: location.prefix,
      region: s3.region,
      credentials: resolveS3Credentials(s3),
      pathStyle: s3.pathStyle,
      caFile: s3.caFile,
      connections: s3.connections,
      create,
    });
    return new RetryBackend(backend);
  }
  return create ? await LocalBackend.create(location.path) : await LocalBackend.open(location.path);
}

/**
 * Creates the repository of a destination (`kept init`, `kept apply`). The records of earlier runs that
 * name its location are dropped: the repository they name is gone.
 *
 * @throws {AlreadyExistsError} when the location holds a repository already.
 */
export async function createRepository(
  destination: Destination,
  password: string,
  options: InitOptions,
  env: (name: string) => string | undefined,
): Promise<Repository> {
  const repository = await Repository.init(await openBackend(destination, true), password, options);
  forgetWarmUnlocks({ location: locationText(destination.location) }, env);
  return repository;
}

/** How to open a repository: where its password comes from, and whether to use the local cache. */
export interface RepositoryAccess extends PasswordContext {
  /**
   * Keep remote metadata in the local cache (docs/destinations.md#cache), and the record the next run of
   * this command line starts unlocking with (lib/destinations/warm_unlock.ts); default true.
   */
  cache?: boolean;
  /**
   * Warn (through `warn`) about damaged key, index and snapshot files as they are left out; default true.
   * False for a caller that reports them itself (`kept check` lists each as a problem).
   */
  damageWarnings?: boolean;
  /** Hears that the password's key derivation starts (see `OpenOptions.onKeyDerivation`). */
  onKeyDerivation?: () => void;
}

/** Opens and unlocks a destination's repository; a remote one reads its metadata through the local cache. */
export async function openRepository(
  destination: Destination,
  access: RepositoryAccess,
): Promise<Repository> {
  // Reaching remote storage takes a TLS handshake and a round trip or more: the password's key is derived
  // meanwhile, from the key file that opened this repository last time (docs/destinations.md#the-cache).
  const opening = openBackend(destination, false);
  opening.catch(() => {}); // awaited below, once the password is known
  let password: string;
  try {
    password = await resolvePassword(destination.password, destination.name, access);
  } catch (error) {
    opening.then((backend) => backend.close(), () => {}); // its connection is not left open
    throw error;
  }
  const cache = cacheOf(destination, access);
  const location = locationText(destination.location);
  // Started before the plan was read, when the last run of this command line opened this repository.
  const warm = access.cache === false ? undefined : await takeWarmUnlock(location, password);
  if (warm) access.onKeyDerivation?.();
  // Looked up once, here: `null` tells Repository.open that nothing is remembered, so it does not look again.
  const early = warm ?? (cache &&
    (unlockEarly(await rememberedKeyAt(cache.root, cache.location), password, access.onKeyDerivation) ??
      null));
  const backend = await opening.catch((error) => {
    // A bucket or folder that is not there holds no repository: `kept init` (and `kept apply`) creates it,
    // where storage that cannot be reached is left alone. A missing folder is said so: it may be on a disk
    // that is not mounted.
    if (error instanceof MissingStorageError) {
      const why = destination.location.kind === "s3" ? "" : ": the folder does not exist";
      throw new NoRepositoryError(error.location, why);
    }
    throw error;
  });
  const onWarning = access.damageWarnings === false ? () => {} : access.warn;
  const repository = await Repository.open(
    cache ? new CachingBackend(backend, cache.root) : backend,
    password,
    {
      onWarning,
      early,
      onKeyDerivation: access.onKeyDerivation,
    },
  );
  const opened = {
    location,
    repository: repository.config.id,
    keyId: repository.keyId,
    keyFile: () => repository.keyFileBytes(),
  };
  if (access.cache !== false) await rememberWarmUnlock(opened, destination.password, password, access.env);
  return repository;
}

/** A destination's storage as one line: the same text names the same storage. */
function locationText(location: DestinationLocation): string {
  return location.kind === "local" ? `local:${location.path}` : s3Location(location);
}

/**
 * Where a destination's remote metadata is cached, and the storage's location it is cached by (known before
 * the storage is reached); undefined for a local one, or when turned off.
 */
function cacheOf(
  destination: Destination,
  access: RepositoryAccess,
): { root: string; location: string } | undefined {
  if (destination.location.kind !== "s3" || access.cache === false) return undefined;
  const root = defaultCacheRoot(access.env);
  return root === undefined ? undefined : { root, location: s3Location(destination.location) };
}

/** KDF cost from `KEPT_KDF_N` (tests use a cheap one); the default otherwise. */
export function kdfFromEnv(env: (name: string) => string | undefined): KdfParams | undefined {
  const n = env("KEPT_KDF_N");
  if (!n) return undefined;
  const value = Number(n);
  if (!Number.isInteger(value) || value < 1024 || (value & (value - 1)) !== 0) {
    throw new UserError(`KEPT_KDF_N must be a power of two of at least 1024, found "${n}"`);
  }
  return { N: value, r: 8, p: 1 };
}
