// An endpoint that answers every request with 200 and a web page (a web server, MinIO's console port, a
// captive portal) is no S3 server: kept says so instead of taking the page for a bucket and its config.

import assert from "node:assert/strict";
import { join } from "node:path";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { S3Backend } from "../../lib/backends/mod.ts";
import { BackendError } from "../../lib/errors.ts";

/** A web server on 127.0.0.1 answering every request with a page; stopped when disposed. */
function webServer(): { endpoint: string } & AsyncDisposable {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response("<!doctype html><html><body>Welcome</body></html>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      }),
  );
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("`S3Backend.open()` of an endpoint answering 200 with HTML fails, naming the endpoint and what it sent", async () => {
  await using web = webServer();
  const options = {
    endpoint: web.endpoint,
    bucket: "backups",
    prefix: "kept",
    region: "us-east-1",
    credentials: { accessKeyId: "key", secretAccessKey: "secret" },
  };
  for (const create of [false, true]) {
    await assert.rejects(S3Backend.open({ ...options, create }), (error) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.permanent, true);
      assert.equal(
        error.message,
        `Cannot open bucket "backups": "${web.endpoint}" does not answer as an S3 server ` +
          `(HTTP 200 with Content-Type "text/html; charset=utf-8"): check the URL and port`,
      );
      return true;
    });
  }
});

Deno.test("`kept init` and `kept snapshots` against a web server fail with one line saying it is no S3 server", async () => {
  await using web = webServer();
  using dir = tempDir("kept-not-s3-");
  const config = join(dir.path, "kept.yaml");
  const url = `${web.endpoint.replace(/^http:/, "s3+http:")}/backups/kept`;
  Deno.writeTextFileSync(
    config,
    `version: 1\ndestinations:\n  cloud:\n    url: ${url}\n    password: pw\nplans: {}\n`,
  );
  const env = {
    AWS_ACCESS_KEY_ID: "key",
    AWS_SECRET_ACCESS_KEY: "secret",
    KEPT_KDF_N: "1024",
    XDG_STATE_HOME: join(dir.path, "state"),
    XDG_CACHE_HOME: join(dir.path, "cache"),
  };
  for (const command of [["init", "cloud"], ["snapshots"]]) {
    const result = await runKept(["--config", config, ...command], { env });
    assert.notEqual(result.code, 0, `${command[0]} succeeded:\n${result.stdout}`);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /does not answer as an S3 server \(HTTP 200 with Content-Type "text\/html/);
    assert.match(lines[0]!, /check the URL and port$/);
  }
});
