// Reads a whole file no larger than a limit, asking storage for its size first: a file that should be a few
// kilobytes and is gigabytes is refused before a byte of it is read (docs/format.md#bounds).

import type { Backend, Handle } from "../backends/mod.ts";
import { IntegrityError } from "../errors.ts";

/**
 * The bytes of `handle`, at most `maxBytes` of them. `knownSize` (from a listing) saves asking storage.
 * `what` names the file in messages ("Index file \"ab12…\"").
 *
 * @throws {IntegrityError} when the file is larger; what `get` throws (`NotFoundError`, `BackendError`).
 */
export async function readBounded(
  backend: Backend,
  handle: Handle,
  maxBytes: number,
  what: string,
  knownSize?: number,
): Promise<Uint8Array> {
  const size = knownSize ?? (await backend.stat(handle))?.size;
  // No size: not there, or not a regular file; `get` then says which.
  if (size !== undefined && size > maxBytes) throw tooLarge(what, size, maxBytes);
  const bytes = await backend.get(handle);
  if (bytes.length > maxBytes) throw tooLarge(what, bytes.length, maxBytes);
  return bytes;
}

function tooLarge(what: string, size: number, maxBytes: number): IntegrityError {
  return new IntegrityError(`${what} is damaged: ${size} bytes, above the limit of ${maxBytes}`);
}
