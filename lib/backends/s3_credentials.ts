/**
 * Where S3 credentials come from, in order: the destination's own keys, the environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then a profile of the shared
 * credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`; profile from the destination,
 * else `AWS_PROFILE`, else "default").
 *
 * @module
 */

import { join } from "node:path";
import { BackendError } from "../errors.ts";
import type { S3Credentials } from "./_s3_request.ts";

/** What a destination says about its credentials (all optional). */
export interface S3CredentialSettings {
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
  profile?: string | undefined;
}

/** Where {@linkcode resolveS3Credentials} looks besides the settings. */
export interface S3CredentialSources {
  /** Reads an environment variable (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Reads a text file, or returns undefined when it does not exist (default: the file system). */
  readFile?: (path: string) => string | undefined;
}

/**
 * The credentials to sign with. A destination that gives one of its two keys must give both.
 *
 * @throws {BackendError} (permanent) naming what is missing: half a key pair, a named profile that the
 * credentials file does not have, or no credentials anywhere.
 */
export function resolveS3Credentials(
  settings: S3CredentialSettings,
  sources: S3CredentialSources = {},
): S3Credentials {
  const env = sources.env ?? ((name: string) => Deno.env.get(name));
  const readFile = sources.readFile ?? readIfExists;
  const fromSettings = pair(
    settings.accessKeyId,
    settings.secretAccessKey,
    settings.sessionToken,
    "the destination",
  );
  if (fromSettings) return fromSettings;
  if (settings.profile === undefined) {
    const fromEnv = pair(
      env("AWS_ACCESS_KEY_ID") || undefined,
      env("AWS_SECRET_ACCESS_KEY") || undefined,
      env("AWS_SESSION_TOKEN") || undefined,
      "the environment",
    );
    if (fromEnv) return fromEnv;
  }
  const home = env("HOME");
  const file = env("AWS_SHARED_CREDENTIALS_FILE") ||
    (home ? join(home, ".aws", "credentials") : undefined);
  const profile = settings.profile ?? (env("AWS_PROFILE") || "default");
  const text = file === undefined ? undefined : readFile(file);
  const section = text === undefined ? undefined : parseIni(text).get(profile);
  if (section !== undefined) {
    const fromFile = pair(
      section.get("aws_access_key_id"),
      section.get("aws_secret_access_key"),
      section.get("aws_session_token"),
      `profile "${profile}" of "${file}"`,
    );
    if (fromFile) return fromFile;
  }
  if (settings.profile !== undefined || env("AWS_PROFILE")) {
    throw new BackendError(
      `Cannot find S3 credentials of profile "${profile}": ${
        text === undefined ? `no credentials file "${file}"` : `"${file}" has no such profile with both keys`
      }`,
      { permanent: true },
    );
  }
  throw new BackendError(
    "Cannot find S3 credentials: set access_key_id and secret_access_key, AWS_ACCESS_KEY_ID and " +
      "AWS_SECRET_ACCESS_KEY, or a profile in the shared credentials file",
    { permanent: true },
  );
}

/** Both keys, or undefined when neither is given; half a pair is an error naming where it came from. */
function pair(
  accessKeyId: string | undefined,
  secretAccessKey: string | undefined,
  sessionToken: string | undefined,
  where: string,
): S3Credentials | undefined {
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new BackendError(
      `Incomplete S3 credentials in ${where}: ${
        accessKeyId === undefined ? "a secret key but no access key id" : "an access key id but no secret key"
      }`,
      { permanent: true },
    );
  }
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** Sections of an INI file: `[name]` then `key = value` lines; `#` and `;` start comments. */
function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const equals = line.indexOf("=");
    if (current && equals > 0) {
      current.set(line.slice(0, equals).trim().toLowerCase(), line.slice(equals + 1).trim());
    }
  }
  return sections;
}

function readIfExists(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new BackendError(`Cannot read the S3 credentials file "${path}": ${(error as Error).message}`, {
      permanent: true,
      cause: error,
    });
  }
}
