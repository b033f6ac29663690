// S3 over HTTPS with a private CA (start-s3.sh with S3REAL_TLS=1): trusted through `ca_file`, refused
// without it.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { S3Backend } from "../../lib/backends/mod.ts";
import { BackendError } from "../../lib/errors.ts";
import { runKept } from "../_support/run_cli.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { seededBytes, seededName } from "../backends/_content.ts";
import { backendOptions, emptyBackend, s3Server, uniqueBucket } from "./_server.ts";

Deno.test("`S3Backend` over HTTPS trusts a private CA from `caFile` and stores, reads and lists", async () => {
  const server = await s3Server(true);
  assert.match(server.endpoint, /^https:\/\/127\.0\.0\.1:/);
  assert.notEqual(server.caFile, "");
  const backend = await S3Backend.open({ ...backendOptions(server, uniqueBucket("kept-tls")), create: true });
  try {
    assert.match(backend.location, /^s3:\/\/127\.0\.0\.1:\d+\/kept-tls-/);
    const handle = { kind: "data" as const, name: seededName("tls") };
    await backend.put(handle, seededBytes("tls", 100_000));
    assert.deepEqual(
      await backend.get(handle, { offset: 10, length: 20 }),
      seededBytes("tls", 100_000).slice(10, 30),
    );
    assert.equal((await backend.stat(handle))?.size, 100_000);
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`S3Backend` over HTTPS without the private CA fails with a permanent TLS error", async () => {
  const server = await s3Server(true);
  const { caFile: _, ...options } = backendOptions(server, uniqueBucket("kept-tls"));
  await assert.rejects(S3Backend.open(options), (error) => {
    assert.ok(error instanceof BackendError, String(error));
    assert.equal(error.permanent, true);
    assert.match(error.message, /^Cannot open bucket "kept-tls-[^"]+": TLS failure: /);
    assert.equal(error.message.includes("\n"), false);
    return true;
  });
});

Deno.test("kept init, backup and check --read-data over HTTPS with the destination key `ca_file`", async () => {
  const server = await s3Server(true);
  using dir = tempDir("kept-s3-tls-");
  const source = join(dir.path, "source");
  Deno.mkdirSync(source);
  Deno.writeFileSync(join(source, "data.bin"), seededBytes("tls-cli", 200_000));
  const config = join(dir.path, "kept.yaml");
  Deno.writeTextFileSync(
    config,
    [
      "version: 1",
      "destinations:",
      "  cloud:",
      `    url: ${server.endpoint.replace(/^https:/, "s3:")}/${uniqueBucket("kept-tls")}/repo`,
      "    password: tls test password",
      `    ca_file: ${server.caFile}`,
      "    path_style: true",
      "    connections: 4",
      "plans:",
      "  files:",
      `    sources: [${JSON.stringify(source)}]`,
      "    destinations: [cloud]",
      "",
    ].join("\n"),
  );
  const env = {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    KEPT_KDF_N: "1024",
    XDG_STATE_HOME: join(dir.path, "state"),
    XDG_CACHE_HOME: join(dir.path, "cache"),
  };
  assert.equal((await runKept(["validate", config], { env })).code, 0);
  for (const args of [["init", "cloud"], ["backup", "files"], ["check", "--read-data"]]) {
    const result = await runKept(["--config", config, ...args], { env });
    assert.equal(result.code, 0, `kept ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
  }
});

Deno.test("`S3Backend` sends UNSIGNED-PAYLOAD over HTTPS (Content-MD5 guards the body) and the body's SHA-256 over HTTP", async () => {
  for (const tls of [true, false]) {
    const server = await s3Server(tls);
    const signed: (string | null)[] = [];
    const recording: typeof fetch = (input, init) => {
      if (init?.method === "PUT" && init.body) {
        signed.push(new Headers(init.headers).get("x-amz-content-sha256"));
      }
      return fetch(input, init);
    };
    const options = { ...backendOptions(server, uniqueBucket("kept-payload")), create: true };
    const backend = await S3Backend.open({ ...options, fetch: recording });
    try {
      const handle = { kind: "data" as const, name: seededName("payload") };
      await backend.put(handle, seededBytes("payload", 70_000));
      assert.deepEqual(await backend.get(handle), seededBytes("payload", 70_000));
      const sha256 = createHash("sha256").update(seededBytes("payload", 70_000)).digest("hex");
      assert.deepEqual(signed, [tls ? "UNSIGNED-PAYLOAD" : sha256], tls ? "https" : "http");
    } finally {
      await emptyBackend(backend);
      await backend.close();
    }
  }
});
