/**
 * Key files: the repository's master keys, sealed with a key derived from a password by scrypt. Any
 * key file unlocks the repository; several can exist (docs/format.md#keys).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { DEFAULT_KDF, deriveKey, type KdfParams, open, randomBytes, seal, sha256Hex } from "../crypto/mod.ts";
import type { Backend } from "../backends/mod.ts";
import { IntegrityError, UserError } from "../errors.ts";

/** The secret keys of a repository. */
export interface MasterKeys {
  /** ChaCha20-Poly1305 key for every blob and metadata file. */
  encrypt: Uint8Array;
  /** HMAC-SHA256 key for blob ids. */
  id: Uint8Array;
  /** Seed of the chunker's gear table. */
  chunker: Uint8Array;
}

/** A key file as stored (plain JSON; the secret part is sealed). */
export interface KeyFile {
  version: 1;
  created: string;
  host: string;
  username: string;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  data: string;
}

/** Who creates a key and when: recorded in the key file, shown by `kept key list`. */
export interface KeyMeta {
  host: string;
  username: string;
  now: Date;
  kdf?: KdfParams;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

/** Fresh random master keys for a new repository. */
export function newMasterKeys(random: (length: number) => Uint8Array = randomBytes): MasterKeys {
  return { encrypt: random(32), id: random(32), chunker: random(32) };
}

/** Seals `keys` under `password` and stores a new key file; returns its id. */
export async function addKey(
  backend: Backend,
  repositoryId: string,
  keys: MasterKeys,
  password: string,
  meta: KeyMeta,
): Promise<string> {
  const kdf = meta.kdf ?? DEFAULT_KDF;
  const salt = randomBytes(32);
  const kek = await deriveKey(password, salt, kdf);
  const secret = JSON.stringify({
    repository: repositoryId,
    encrypt: b64(keys.encrypt),
    id: b64(keys.id),
    chunker: b64(keys.chunker),
  });
  const file: KeyFile = {
    version: 1,
    created: meta.now.toISOString(),
    host: meta.host,
    username: meta.username,
    kdf: { name: "scrypt", N: kdf.N, r: kdf.r, p: kdf.p, salt: b64(salt) },
    data: b64(seal(kek, new TextEncoder().encode(secret))),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(file, null, 2) + "\n");
  const id = sha256Hex(bytes);
  await backend.put({ kind: "keys", name: id }, bytes);
  return id;
}

/** A key file with its id. */
export interface ListedKey {
  id: string;
  file: KeyFile;
}

/** Reads every key file of the repository. */
export async function listKeys(backend: Backend): Promise<ListedKey[]> {
  const keys: ListedKey[] = [];
  for await (const entry of backend.list("keys")) {
    const bytes = await backend.get({ kind: "keys", name: entry.name });
    if (sha256Hex(bytes) !== entry.name) {
      throw new IntegrityError(`Key file "${entry.name}" does not match its id`);
    }
    keys.push({ id: entry.name, file: parseKeyFile(entry.name, bytes) });
  }
  return keys.sort((a, b) => a.file.created.localeCompare(b.file.created) || a.id.localeCompare(b.id));
}

function parseKeyFile(id: string, bytes: Uint8Array): KeyFile {
  try {
    const file = JSON.parse(new TextDecoder().decode(bytes)) as KeyFile;
    if (file.version !== 1 || file.kdf?.name !== "scrypt" || typeof file.data !== "string") {
      throw new Error("format");
    }
    return file;
  } catch {
    throw new IntegrityError(`Key file "${id}" is not a kept key file`);
  }
}

/**
 * Finds the key file that `password` opens and returns the master keys. Tries every key file; throws
 * a one-line `UserError` when none matches.
 */
export async function unlock(
  backend: Backend,
  repositoryId: string,
  password: string,
): Promise<{ keyId: string; keys: MasterKeys }> {
  const listed = await listKeys(backend);
  if (listed.length === 0) throw new IntegrityError(`Repository at ${backend.location} has no key files`);
  for (const { id, file } of listed) {
    const kek = await deriveKey(password, unb64(file.kdf.salt), file.kdf);
    const opened = open(kek, unb64(file.data));
    if (!opened) continue;
    const secret = JSON.parse(new TextDecoder().decode(opened)) as Record<string, string>;
    if (secret.repository !== repositoryId) {
      throw new IntegrityError(`Key file "${id}" belongs to another repository (${secret.repository})`);
    }
    return {
      keyId: id,
      keys: { encrypt: unb64(secret.encrypt!), id: unb64(secret.id!), chunker: unb64(secret.chunker!) },
    };
  }
  throw new WrongPasswordError(`Cannot open repository at ${backend.location}: wrong password`);
}

/** No key file of the repository opens with the password given. */
export class WrongPasswordError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "WrongPasswordError";
  }
}
