/**
 * The real S3 server of the tests (OpenStack Swift's s3api from ../shared/s3/start-s3.sh) on 127.0.0.1:
 * started when it is not running, shared by every test file of a run (start-s3.sh is idempotent and
 * locked), left running for the next run and stopped by .ci/run (`stop-s3.sh`). Never skipped: when it
 * cannot start, the test fails with the script's reason.
 */

import { join } from "node:path";
import type { S3Backend, S3BackendOptions } from "../../lib/backends/mod.ts";

/** The plain-HTTP server's port (it also takes the next three). */
export const S3_PORT = 18480;
/** The HTTPS server's port (it also takes the next three). */
export const S3_TLS_PORT = 18490;

/** What start-s3.sh printed. */
export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** The CA that signed an HTTPS server's certificate; "" over HTTP. */
  caFile: string;
}

/**
 * start-s3.sh, found from this file: ../shared/s3 beside the checkout (as CI lays it out), else beside the
 * checkout this one was cloned from (a clone in a private temp folder), or $KEPT_S3_SCRIPTS.
 */
function scriptsDir(): string {
  const fromEnv = Deno.env.get("KEPT_S3_SCRIPTS");
  if (fromEnv) return fromEnv;
  const root = new URL("../../", import.meta.url).pathname;
  const beside = join(root, "..", "shared", "s3");
  if (isFolder(beside)) return beside;
  const origin = new Deno.Command("git", { args: ["-C", root, "config", "--get", "remote.origin.url"] })
    .outputSync();
  const url = new TextDecoder().decode(origin.stdout).trim();
  const fromOrigin = url.startsWith("/") ? join(url, "..", "shared", "s3") : undefined;
  return fromOrigin !== undefined && isFolder(fromOrigin) ? fromOrigin : beside;
}

function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The server's folder: fixed per port, so that .ci/run can stop what the tests started. */
export function serverDir(tls: boolean): string {
  const base = Deno.env.get("KEPT_S3_DIR") ?? join(Deno.env.get("TMPDIR") ?? "/tmp", "kept-s3-test");
  return join(base, tls ? "tls" : "http");
}

const started = new Map<boolean, Promise<S3Server>>();

/** Starts the server (or finds it running) and returns its endpoint and keys. */
export function s3Server(tls = false): Promise<S3Server> {
  let server = started.get(tls);
  if (server === undefined) {
    server = start(tls);
    started.set(tls, server);
  }
  return server;
}

async function start(tls: boolean): Promise<S3Server> {
  const dir = serverDir(tls);
  await Deno.mkdir(dir, { recursive: true });
  const script = join(scriptsDir(), "start-s3.sh");
  const output = await new Deno.Command("bash", {
    args: [script, dir, String(tls ? S3_TLS_PORT : S3_PORT)],
    env: tls ? { S3REAL_TLS: "1" } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(`Cannot start the S3 server with "${script}" in "${dir}":\n${stderr}`);
  }
  const values = new Map(
    stdout.split("\n").filter((line) => line.includes("=")).map((line) => {
      const at = line.indexOf("=");
      return [line.slice(0, at), line.slice(at + 1)] as const;
    }),
  );
  const value = (name: string) => {
    const found = values.get(name);
    if (found === undefined) throw new Error(`start-s3.sh printed no ${name}: ${stdout}`);
    return found;
  };
  const server = {
    endpoint: value("S3_ENDPOINT"),
    accessKey: value("S3_ACCESS_KEY"),
    secretKey: value("S3_SECRET_KEY"),
    region: value("S3_REGION"),
    caFile: value("S3_CA_FILE"),
  };
  if (!/^https?:\/\/127\.0\.0\.1:\d+$/.test(server.endpoint)) {
    throw new Error(`The S3 server is not on 127.0.0.1: "${server.endpoint}"`);
  }
  return server;
}

let counter = 0;

/** A bucket name unique to this process and call: `kept-test-<pid>-<time>-<n>`. */
export function uniqueBucket(label = "kept-test"): string {
  return `${label}-${Deno.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Options of an S3Backend on `server`, in `bucket` under `prefix`. */
export function backendOptions(server: S3Server, bucket: string, prefix = ""): S3BackendOptions {
  return {
    endpoint: server.endpoint,
    bucket,
    prefix,
    region: server.region,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    ...(server.caFile ? { caFile: server.caFile } : {}),
  };
}

/** Deletes every object under the backend's prefix (what a test stored), so the server's disk stays small. */
export async function emptyBackend(backend: S3Backend): Promise<void> {
  for (const kind of ["config", "keys", "data", "index", "snapshots", "locks"] as const) {
    const names: string[] = [];
    for await (const entry of backend.list(kind)) names.push(entry.name);
    await Promise.all(names.map((name) => backend.delete({ kind, name })));
  }
}
