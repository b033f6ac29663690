// What the tests that run kept against the real S3 server as a child process share: a config with one S3
// destination ("cloud") and one plan ("files"), and the environment kept runs in.

import { join } from "node:path";
import type { S3Server } from "./_server.ts";

/** The password of the tests' repositories (KEPT_TEST_PASSWORD in the config). */
export const S3_TEST_PASSWORD = "s3 test password";

/** The destination URL of `bucket` on `server` (`s3+http://` for plain HTTP, `s3://` for HTTPS). */
export function s3Url(server: S3Server, bucket: string): string {
  return `${server.endpoint.replace(/^http:/, "s3+http:").replace(/^https:/, "s3:")}/${bucket}/repo`;
}

/** Writes `dir`/kept.yaml: destination "cloud" at `url`, plan "files" backing up `source`; returns its path. */
export function writeS3Config(
  dir: string,
  server: S3Server,
  options: { url: string; source: string; extra?: string },
): string {
  const path = join(dir, "kept.yaml");
  Deno.writeTextFileSync(
    path,
    [
      "version: 1",
      "destinations:",
      "  cloud:",
      `    url: ${options.url}`,
      "    password: ${KEPT_TEST_PASSWORD}",
      `    region: ${server.region}`,
      ...(options.extra ? [options.extra] : []),
      "plans:",
      "  files:",
      `    sources: [${JSON.stringify(options.source)}]`,
      "    destinations: [cloud]",
      "",
    ].join("\n"),
  );
  return path;
}

/** The environment of every run: credentials from AWS_*, a cheap KDF, the password, a private state dir. */
export function s3Environment(
  server: S3Server,
  dir: string,
  secret = server.secretKey,
): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: secret,
    KEPT_TEST_PASSWORD: S3_TEST_PASSWORD,
    KEPT_KDF_N: "1024",
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CACHE_HOME: join(dir, "cache"),
  };
}
