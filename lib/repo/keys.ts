/**
 * Key files: the repository's master keys, sealed with a key derived from a password by scrypt. Any
 * key file unlocks the repository; several can exist (docs/format.md#keys).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { DEFAULT_KDF, deriveKey, type KdfParams, open, randomBytes, seal, sha256Hex } from "../crypto/mod.ts";
import type { Backend } from "../backends/mod.ts";
import { IntegrityError, NotFoundError, UserError } from "../errors.ts";
import { describeValue, integerProblem, isJsonObject, stringProblem } from "./_bounds.ts";
import { readBounded } from "./_read_bounded.ts";
import { isStoredFileName } from "./types.ts";
import { compareText } from "../compare_text.ts";

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
  // Never write a key file that opening would refuse.
  const problem = kdfProblem({ ...kdf });
  if (problem) {
    throw new UserError(`Cannot add a key with scrypt N=${kdf.N} r=${kdf.r} p=${kdf.p}: ${problem}`);
  }
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
  /**
   * The id of the other repository this key belongs to, when known: a key left by an `init` killed before
   * its config (docs/format.md#keys). Only a password that opens the key file tells.
   */
  otherRepository?: string;
}

/** The scrypt costs a key file may ask for (docs/format.md#bounds): every command pays them. */
export const KDF_BOUNDS = Object.freeze({
  N: { min: 1024, max: 2 ** 18, powerOfTwo: true },
  r: { min: 1, max: 32 },
  p: { min: 1, max: 16 },
  /** N·r·p: four times the default's work; it also keeps scrypt's memory (128·N·r) at 256 MiB or less. */
  maxWork: 2 ** 21,
});

/** The largest key file read (a real one is about 600 bytes). */
export const KEY_FILE_MAX_BYTES = 64 * 1024;

/**
 * Called for each key file left out: its id and why; `otherRepository` when it opens but belongs to another
 * repository (that repository's id).
 */
export type OnSkippedKey = (id: string, reason: string, otherRepository?: string) => void;

/**
 * Reads every key file of the repository, oldest first. A file that is damaged, malformed or asks for a
 * scrypt cost beyond the bounds is left out and reported to `onSkipped`: one stray file must not lock
 * everyone out.
 *
 * @throws {BackendError} when storage fails.
 */
export async function listKeys(backend: Backend, onSkipped: OnSkippedKey = () => {}): Promise<ListedKey[]> {
  const keys: ListedKey[] = [];
  for await (const entry of backend.list("keys")) {
    if (!isStoredFileName(entry.name)) continue; // not a key file, whatever put it there
    try {
      const what = `Key file "${entry.name}"`;
      const bytes = await readBounded(
        backend,
        { kind: "keys", name: entry.name },
        KEY_FILE_MAX_BYTES,
        what,
        entry.size,
      );
      if (sha256Hex(bytes) !== entry.name) throw new IntegrityError(`${what} does not match its id`);
      keys.push({ id: entry.name, file: parseKeyFile(entry.name, bytes) });
    } catch (error) {
      if (error instanceof NotFoundError) continue; // removed while listed
      if (!(error instanceof IntegrityError)) throw error;
      onSkipped(entry.name, error.message);
    }
  }
  return keys.sort((a, b) => compareText(a.file.created, b.file.created) || compareText(a.id, b.id));
}

/** Parses a key file and checks every field against docs/format.md#bounds. */
function parseKeyFile(id: string, bytes: Uint8Array): KeyFile {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new IntegrityError(`Key file "${id}" is not a kept key file: it is not JSON`);
  }
  const problem = keyFileProblem(value);
  if (problem) throw new IntegrityError(`Key file "${id}" is not a kept key file: ${problem}`);
  return value as KeyFile;
}

/** The first field of a key file that is missing, malformed or out of bounds, in words. */
function keyFileProblem(file: unknown): string | undefined {
  if (!isJsonObject(file)) return `it is ${describeValue(file)}, not an object`;
  if (file.version !== 1) return `"version" must be 1, found ${describeValue(file.version)}`;
  for (const field of ["created", "host", "username"]) {
    const problem = stringProblem(file[field], 1024);
    if (problem) return `"${field}" ${problem}`;
  }
  const data = stringProblem(file.data, 4096, BASE64);
  if (data) return `"data" ${data}`;
  const kdf = file.kdf;
  if (!isJsonObject(kdf)) return `"kdf" must be an object, found ${describeValue(kdf)}`;
  if (kdf.name !== "scrypt") return `"kdf.name" must be "scrypt", found ${describeValue(kdf.name)}`;
  const salt = stringProblem(kdf.salt, 88, BASE64);
  if (salt) return `"kdf.salt" ${salt}`;
  if (unb64(kdf.salt as string).length < 16) return `"kdf.salt" must hold at least 16 bytes`;
  return kdfProblem(kdf);
}

/** Why scrypt parameters are out of {@linkcode KDF_BOUNDS}, or undefined. */
function kdfProblem(kdf: Record<string, unknown>): string | undefined {
  for (const name of ["N", "r", "p"] as const) {
    const problem = integerProblem(kdf[name], KDF_BOUNDS[name]);
    if (problem) return `"kdf.${name}" ${problem}`;
  }
  const work = (kdf.N as number) * (kdf.r as number) * (kdf.p as number);
  if (work > KDF_BOUNDS.maxWork) {
    return `scrypt cost N·r·p must be at most ${KDF_BOUNDS.maxWork}, found ${work}`;
  }
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Finds the key file that `password` opens and returns the master keys. Tries the cheapest key files first,
 * so that one with a needlessly high cost delays only a password that no other key file takes.
 *
 * A key file that opens but belongs to another repository is left out (`onSkipped`) and the others are
 * tried: an `init` killed between its key and its config leaves such a file, and the next `init` another.
 *
 * @throws {WrongPasswordError} when no key file opens; {@linkcode IntegrityError} when there is no usable
 * key file, the one that opens is malformed, or the only ones that open belong to another repository.
 */
export async function unlock(
  backend: Backend,
  repositoryId: string,
  password: string,
  onSkipped: OnSkippedKey = () => {},
  onKeyDerivation?: () => void,
): Promise<{ keyId: string; keys: MasterKeys }> {
  const skipped: string[] = [];
  const listed = await listKeys(backend, (id, reason, repository) => {
    skipped.push(reason);
    onSkipped(id, reason, repository);
  });
  if (listed.length === 0) {
    // Said here too: a command that keeps damage warnings for its own report (check) never gets to it.
    const why = skipped.length === 0
      ? ""
      : `: ${skipped[0]}${skipped.length > 1 ? ` (and ${skipped.length - 1} more left out)` : ""}`;
    throw new IntegrityError(`Repository at ${backend.location} has no usable key files${why}`);
  }
  const cost = ({ file }: ListedKey) => file.kdf.N * file.kdf.r * file.kdf.p;
  let foreign: IntegrityError | undefined;
  for (const { id, file } of [...listed].sort((a, b) => cost(a) - cost(b))) {
    const secret = await openSecret(id, file, password, onKeyDerivation);
    if (!secret) continue;
    if (secret.repository !== repositoryId) {
      foreign = new IntegrityError(`Key file "${id}" belongs to another repository (${secret.repository})`);
      onSkipped(id, foreign.message, secret.repository);
      continue;
    }
    return { keyId: id, keys: { encrypt: secret.encrypt, id: secret.id, chunker: secret.chunker } };
  }
  if (foreign) throw foreign;
  throw new WrongPasswordError(`Cannot open repository at ${backend.location}: wrong password`);
}

/**
 * The master keys in key file `id` (its stored bytes) when `password` opens it and it belongs to
 * `repositoryId`; else undefined, never an error. For a key file remembered from an earlier run, tried
 * while storage is still being reached: the caller checks that storage still lists it before using them.
 */
export async function openKeyFile(
  id: string,
  bytes: Uint8Array,
  repositoryId: string,
  password: string,
  onKeyDerivation?: () => void,
): Promise<MasterKeys | undefined> {
  try {
    if (sha256Hex(bytes) !== id) return undefined;
    const secret = await openSecret(id, parseKeyFile(id, bytes), password, onKeyDerivation);
    if (secret?.repository !== repositoryId) return undefined;
    return { encrypt: secret.encrypt, id: secret.id, chunker: secret.chunker };
  } catch {
    return undefined;
  }
}

/**
 * True when `storage` still holds key file `id` as it was written (its bytes match its name): a key removed
 * or damaged since it was remembered must open nothing, as it would open nothing without the memory. Pass
 * the storage behind a local cache: a GET of a key file costs a remote store the round trip a HEAD does.
 */
export async function holdsKeyFile(storage: Backend, id: string): Promise<boolean> {
  try {
    const what = `Key file "${id}"`;
    return sha256Hex(await readBounded(storage, { kind: "keys", name: id }, KEY_FILE_MAX_BYTES, what)) === id;
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof IntegrityError) return false;
    throw error;
  }
}

/**
 * The sealed part of key file `id` opened with `password`, or undefined when the password does not open it.
 * `onKeyDerivation` hears that the key derivation starts.
 */
async function openSecret(
  id: string,
  file: KeyFile,
  password: string,
  onKeyDerivation: (() => void) | undefined,
): Promise<(MasterKeys & { repository: string }) | undefined> {
  const deriving = deriveKey(password, unb64(file.kdf.salt), file.kdf);
  onKeyDerivation?.();
  const kek = await deriving;
  const opened = open(kek, unb64(file.data));
  return opened ? parseSecret(id, opened) : undefined;
}

/** The sealed part of a key file, checked: the repository id and three 32-byte keys. */
function parseSecret(id: string, plain: Uint8Array): MasterKeys & { repository: string } {
  const malformed = () => new IntegrityError(`Key file "${id}" opens but holds no valid master keys`);
  let secret: unknown;
  try {
    secret = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    throw malformed();
  }
  if (!isJsonObject(secret) || typeof secret.repository !== "string") throw malformed();
  const keys: Uint8Array[] = [];
  for (const name of ["encrypt", "id", "chunker"]) {
    const value = secret[name];
    if (typeof value !== "string" || !BASE64.test(value)) throw malformed();
    const key = unb64(value);
    if (key.length !== 32) throw malformed();
    keys.push(key);
  }
  return { repository: secret.repository, encrypt: keys[0]!, id: keys[1]!, chunker: keys[2]! };
}

/** No key file of the repository opens with the password given. */
export class WrongPasswordError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "WrongPasswordError";
  }
}
