/**
 * Storage backends: the {@linkcode Backend} interface every destination implements, a
 * {@linkcode LocalBackend} for folders and a {@linkcode MemoryBackend} for unit tests; the
 * {@linkcode BackendWrapper} every wrapper starts from and a {@linkcode FaultyBackend} for tests.
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
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type FileWriter,
  gatheringWriter,
  type Handle,
  handlePath,
  nothingToClean,
} from "./backend.ts";
export { type Fault, type FaultRule, FaultyBackend, type FaultyOperation } from "./faulty.ts";
export { LocalBackend, type LocalBackendOptions } from "./local.ts";
export { MemoryBackend, type MemoryBackendOptions } from "./memory.ts";
export { BackendWrapper } from "./wrapper.ts";
