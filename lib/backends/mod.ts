/**
 * Storage backends: the {@linkcode Backend} interface every destination implements, a
 * {@linkcode LocalBackend} for folders, an {@linkcode S3Backend} for S3-compatible buckets and a
 * {@linkcode MemoryBackend} for unit tests; the {@linkcode BackendWrapper} every wrapper starts from, the
 * {@linkcode RetryBackend} and a {@linkcode FaultyBackend} for tests.
 *
 * @module
 */

export {
  asBackend,
  type Backend,
  type BackendCapabilities,
  type BackendClass,
  type ByteRange,
  type CleanOptions,
  type CleanResult,
  eachLimited,
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type FileWriter,
  gatheringWriter,
  type Handle,
  handlePath,
  nothingToClean,
} from "./backend.ts";
export {
  type CachedRepository,
  type CacheStats,
  CachingBackend,
  cleanCache,
  listCache,
  type RememberedKey,
  rememberedKeyAt,
} from "./cache.ts";
export { defaultCacheRoot } from "./cache_root.ts";
export { type Fault, type FaultRule, FaultyBackend, type FaultyOperation } from "./faulty.ts";
export { LocalBackend, type LocalBackendOptions } from "./local.ts";
export { MemoryBackend, type MemoryBackendOptions } from "./memory.ts";
export { BackendWrapper } from "./wrapper.ts";
export { RetryBackend, type RetryEvent, type RetryOptions } from "./retry.ts";
export {
  DEFAULT_S3_CONNECTIONS,
  DEFAULT_S3_MULTIPART_THRESHOLD,
  DEFAULT_S3_PART_SIZE,
  DEFAULT_S3_TIMEOUT_MS,
  defaultPathStyle,
  S3Backend,
  type S3BackendOptions,
  type S3Credentials,
  s3Location,
} from "./s3.ts";
export {
  resolveS3Credentials,
  type S3CredentialSettings,
  type S3CredentialSources,
} from "./s3_credentials.ts";
