import assert from "node:assert/strict";
import { AlreadyExistsError, BackendError } from "../../lib/errors.ts";
import { S3Client } from "../../lib/backends/_s3_request.ts";
import { abortUpload, pendingUploads } from "../../lib/backends/_s3_multipart.ts";
import { FaultyBackend, RetryBackend, S3Backend, s3Location } from "../../lib/backends/mod.ts";
import { seededBytes, seededName } from "./_content.ts";
import { backendConformance, equalBytes, listed } from "./conformance.ts";
import { backendOptions, emptyBackend, s3Server, uniqueBucket } from "../s3/_server.ts";

/** One bucket per run of this file, made on first use; each test gets its own prefix in it. */
let bucket: Promise<string> | undefined;
let prefixes = 0;

async function freshBackend(
  options: { listPageSize?: number; deleteBatchSize?: number } = {},
): Promise<S3Backend> {
  const server = await s3Server();
  bucket ??= (async () => {
    const name = uniqueBucket("kept-conformance");
    await (await S3Backend.open({ ...backendOptions(server, name), create: true })).close();
    return name;
  })();
  return await S3Backend.open({ ...backendOptions(server, await bucket, `run/${prefixes++}`), ...options });
}

const S3_CAPABILITIES = { localFiles: false, atomicCreate: false, writeThrough: false, flakyErrors: false };

backendConformance("S3Backend", async () => {
  // Small DeleteObjects batches: deleteMany's test then spans several requests.
  const backend = await freshBackend({ deleteBatchSize: 3 });
  return { backend, cleanup: () => emptyBackend(backend) };
}, { capabilities: { ...S3_CAPABILITIES, connections: 8 } });

backendConformance("RetryBackend(S3Backend)", async () => {
  const s3 = await freshBackend();
  return { backend: new RetryBackend(s3), cleanup: () => emptyBackend(s3) };
}, { capabilities: S3_CAPABILITIES });

Deno.test("`S3Backend.open()` with a wrong secret fails with one permanent line naming the key and the S3 code", async () => {
  const server = await s3Server();
  const options = backendOptions(server, uniqueBucket());
  await assert.rejects(
    S3Backend.open({ ...options, credentials: { accessKeyId: server.accessKey, secretAccessKey: "wrong" } }),
    (error) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.permanent, true);
      assert.equal(error.message.includes("\n"), false);
      assert.ok(!error.message.includes("wrong"), "the secret is never in a message");
      assert.match(error.message, /^Cannot open bucket "kept-test-[^"]+": HTTP 403 SignatureDoesNotMatch: /);
      assert.ok(error.message.includes(`access key "${server.accessKey}"`), error.message);
      return true;
    },
  );
});

Deno.test("`S3Backend.open()` of a missing bucket fails unless asked to create it", async () => {
  const server = await s3Server();
  const name = uniqueBucket();
  await assert.rejects(S3Backend.open(backendOptions(server, name)), (error) => {
    assert.ok(error instanceof BackendError && error.permanent);
    assert.equal(
      error.message,
      `Cannot open bucket "${name}" at "s3+http://${
        new URL(server.endpoint).host
      }/${name}": it does not exist`,
    );
    return true;
  });
  const created = await S3Backend.open({ ...backendOptions(server, name, "/a/b/"), create: true });
  assert.equal(created.location, `s3+http://${new URL(server.endpoint).host}/${name}/a/b`);
  // Known before the bucket is reached: the cache finds the key it remembers for this location by it.
  assert.equal(s3Location({ endpoint: server.endpoint, bucket: name, prefix: "/a/b/" }), created.location);
  await created.close();
  // Opening it again (create or not) finds it.
  await (await S3Backend.open({ ...backendOptions(server, name), create: true })).close();
  await (await S3Backend.open(backendOptions(server, name))).close();
});

Deno.test("`S3Backend.list()` follows continuation tokens from page to page", async () => {
  const backend = await freshBackend({ listPageSize: 7 });
  try {
    const names = Array.from({ length: 52 }, (_, i) => seededName(`page${i}`));
    const stored = new RetryBackend(backend);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map((name) => stored.put({ kind: "locks", name }, new Uint8Array(1))),
      );
    }
    const entries = await listed(backend, "locks");
    assert.equal(entries.length, 52);
    assert.deepEqual(entries.map((entry) => entry.name), [...names].sort());
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`S3Backend` with `connections: 2` reports it and completes 12 concurrent puts", async () => {
  const server = await s3Server();
  const name = uniqueBucket();
  const backend = await S3Backend.open({ ...backendOptions(server, name), create: true, connections: 2 });
  try {
    assert.equal(backend.capabilities.connections, 2);
    const handles = Array.from(
      { length: 12 },
      (_, i) => ({ kind: "data" as const, name: seededName(`c${i}`) }),
    );
    await Promise.all(handles.map((handle) => backend.put(handle, seededBytes(handle.name, 1000))));
    for (const handle of handles) assert.deepEqual(await backend.get(handle), seededBytes(handle.name, 1000));
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`RetryBackend(S3Backend)` retries injected transient faults and reads back what was stored", async () => {
  const backend = await freshBackend();
  try {
    const faulty = new FaultyBackend(backend, [
      { operation: "put", fault: "transient", times: 2 },
      { operation: "get", fault: "transient" },
      { operation: "list", fault: "transient" },
    ]);
    const retry = new RetryBackend(faulty, { sleep: () => Promise.resolve() });
    const handle = { kind: "snapshots" as const, name: seededName("retried") };
    await retry.put(handle, seededBytes("retried", 100));
    assert.deepEqual(await retry.get(handle), seededBytes("retried", 100));
    assert.deepEqual(await listed(retry, "snapshots"), [{ name: handle.name, size: 100 }]);
    assert.equal(retry.retries, 4);
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`S3Backend.put()` stores packs, index files, snapshots and locks with one PUT and checks keys with HEAD first", async () => {
  const server = await s3Server();
  const sent: string[] = [];
  const counting: typeof fetch = (input, init) => {
    const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
    sent.push(`${init?.method ?? "GET"} ${path.split("/").at(-2)}`);
    return fetch(input, init);
  };
  const options = { ...backendOptions(server, uniqueBucket("kept-put"), "repo"), create: true };
  const backend = await S3Backend.open({ ...options, fetch: counting });
  try {
    const pack = { kind: "data" as const, name: seededName("one-put") };
    const index = { kind: "index" as const, name: seededName("one-put-index") };
    const snapshot = { kind: "snapshots" as const, name: seededName("one-put-snapshot") };
    const lock = { kind: "locks" as const, name: seededName("one-put-lock") };
    const key = { kind: "keys" as const, name: seededName("checked") };
    sent.length = 0;
    await backend.put(pack, seededBytes("one-put", 10_000));
    await backend.put(index, seededBytes("one-put-index", 100));
    await backend.put(snapshot, seededBytes("one-put-snapshot", 100));
    await backend.put(lock, seededBytes("one-put-lock", 100));
    await backend.put(key, seededBytes("checked", 100));
    assert.deepEqual(sent, [
      `PUT ${pack.name.slice(0, 2)}`,
      "PUT index",
      "PUT snapshots",
      "PUT locks",
      "HEAD keys",
      "PUT keys",
    ]);
    // The same pack again: its name is the hash of its bytes, so it is stored again, not refused.
    await backend.put(pack, seededBytes("one-put", 10_000));
    assert.ok(equalBytes(await backend.get(pack), seededBytes("one-put", 10_000)));
    await assert.rejects(backend.put(key, seededBytes("checked", 100)), AlreadyExistsError);
    assert.deepEqual(await listed(backend, "data"), [{ name: pack.name, size: 10_000 }]);
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`S3Backend.put()` above the multipart threshold uploads in parts that read back as one object", async () => {
  const server = await s3Server();
  const bucketName = uniqueBucket("kept-multipart");
  const options = { ...backendOptions(server, bucketName, "big"), create: true };
  const backend = await S3Backend.open({ ...options, multipartThreshold: 6 << 20, partSize: 5 << 20 });
  try {
    const handle = { kind: "data" as const, name: seededName("multipart") };
    const data = seededBytes("multipart", (12 << 20) + 12345); // three parts, the last one short
    await backend.put(handle, data);
    assert.equal((await backend.stat(handle))?.size, data.length);
    assert.ok(equalBytes(await backend.get(handle), data));
    assert.ok(
      equalBytes(
        await backend.get(handle, { offset: (5 << 20) - 10, length: 20 }),
        data.slice((5 << 20) - 10, (5 << 20) + 10),
      ),
    );
    await backend.put(handle, data); // the same pack again goes up again, in parts
    assert.equal((await backend.stat(handle))?.size, data.length);
    assert.deepEqual(
      await backend.cleanTemporaryFiles(0),
      { removed: [], bytes: 0 },
      "nothing is left unfinished",
    );
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`S3Backend.cleanTemporaryFiles()` aborts unfinished multipart uploads older than the given age", async () => {
  const server = await s3Server();
  const bucketName = uniqueBucket("kept-multipart");
  const backend = await S3Backend.open({ ...backendOptions(server, bucketName, "repo"), create: true });
  const client = new S3Client({
    endpoint: server.endpoint,
    bucket: bucketName,
    region: server.region,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    pathStyle: true,
    connections: 2,
    timeoutMs: 30_000,
  });
  try {
    // As if a writer was killed after its first part: an upload that was started and never completed.
    const key = "repo/data/ab/ab0000killed";
    const created = await client.send({ method: "POST", key, query: { uploads: "" } }, {
      operation: "t",
      target: key,
    });
    assert.equal(created.status, 200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(new TextDecoder().decode(created.body))![1]!;
    const part = await client.send(
      { method: "PUT", key, query: { partNumber: "1", uploadId }, body: new Uint8Array(1000) },
      { operation: "t", target: key },
    );
    assert.equal(part.status, 200);
    const young = await backend.cleanTemporaryFiles(3600_000);
    assert.deepEqual(young, { removed: [], bytes: 0 }, "a fresh upload may still be in progress");
    const later = Date.now() + 2 * 3600_000;
    const expected = { removed: ["data/ab/ab0000killed"], bytes: 1000 };
    assert.deepEqual(await backend.cleanTemporaryFiles(3600_000, { now: later, dryRun: true }), expected);
    assert.deepEqual(await backend.cleanTemporaryFiles(3600_000, { now: later }), expected);
    assert.deepEqual(await backend.cleanTemporaryFiles(0), { removed: [], bytes: 0 });
    assert.deepEqual(await listed(backend, "data"), []);
  } finally {
    client.close();
    await backend.close();
  }
});

Deno.test("`S3Backend.cleanTemporaryFiles()` of a repository at the bucket root leaves other programs' and repositories' uploads alone", async () => {
  const server = await s3Server();
  const bucketName = uniqueBucket("kept-multipart");
  const backend = await S3Backend.open({ ...backendOptions(server, bucketName), create: true });
  const client = new S3Client({
    endpoint: server.endpoint,
    bucket: bucketName,
    region: server.region,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    pathStyle: true,
    connections: 2,
    timeoutMs: 30_000,
  });
  const fail = () => new BackendError("Cannot list the bucket's uploads", { permanent: true });
  const pending = async () => (await pendingUploads(client, "", fail)).map((upload) => upload.key).sort();
  try {
    const foreign = [
      "video-uploads/movie.mkv", // another program's upload
      "data/readme.txt", // beside the pack folders, but no pack
      "web/data/ab/ab0000other", // a repository under a prefix below this one
      "web/keys/k1",
    ];
    const own = ["data/ab/ab0000killed", "keys/k0"];
    for (const key of [...foreign, ...own]) {
      const created = await client.send({ method: "POST", key, query: { uploads: "" } }, {
        operation: "t",
        target: key,
      });
      assert.equal(created.status, 200);
    }
    const later = Date.now() + 2 * 24 * 3600_000;
    const expected = { removed: [...own].sort(), bytes: 0 };
    const found = await backend.cleanTemporaryFiles(0, { now: later, dryRun: true });
    assert.deepEqual({ ...found, removed: found.removed.sort() }, expected, "what `kept check` reports");
    const removed = await backend.cleanTemporaryFiles(24 * 3600_000, { now: later });
    assert.deepEqual({ ...removed, removed: removed.removed.sort() }, expected);
    assert.deepEqual(await pending(), [...foreign].sort(), "only kept's own uploads are aborted");
  } finally {
    for (const upload of await pendingUploads(client, "", fail)) {
      await abortUpload(client, upload.key, upload.uploadId);
    }
    client.close();
    await backend.close();
  }
});
