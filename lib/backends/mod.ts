/**
 * Storage backends: the {@linkcode Backend} interface every destination implements, a
 * {@linkcode LocalBackend} for folders and a {@linkcode MemoryBackend} for unit tests.
 *
 * @module
 */

export {
  type Backend,
  type ByteRange,
  type CleanResult,
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type FileWriter,
  type Handle,
  handlePath,
} from "./backend.ts";
export { LocalBackend, type LocalBackendOptions } from "./local.ts";
export { MemoryBackend } from "./memory.ts";
