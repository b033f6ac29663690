// Faults between S3Backend and the real S3 server, put in by a fetch of the test's own: what each becomes
// (a transient or permanent BackendError) and that RetryBackend gets through the transient ones.

import assert from "node:assert/strict";
import { RetryBackend, S3Backend } from "../../lib/backends/mod.ts";
import { BackendError } from "../../lib/errors.ts";
import { seededBytes, seededName } from "../backends/_content.ts";
import { equalBytes } from "../backends/conformance.ts";
import { backendOptions, emptyBackend, s3Server, uniqueBucket } from "./_server.ts";

/** What the next matching requests get instead of the server's answer. */
type Fault =
  | "slowDown"
  | "internalError"
  | "truncated"
  | "overlong"
  | "reset"
  | "hang"
  | "accessDenied"
  | "notImplemented";

/** A fetch that passes requests to the real server, but answers the next ones by `faults`. */
class FaultyFetch {
  /** `byteStream`: a cut or overlong body comes as a byte stream, as a real answer's does. */
  faults: { method: string; fault: Fault; byteStream?: boolean }[] = [];
  requests = 0;
  injected = 0;
  /** Each request's method, and `?delete` for DeleteObjects. */
  sent: string[] = [];

  fetch: typeof fetch = async (input, init) => {
    this.requests++;
    const url = new URL(input instanceof Request ? input.url : String(input));
    this.sent.push(`${init?.method ?? "GET"}${url.searchParams.has("delete") ? " ?delete" : ""}`);
    const index = this.faults.findIndex((rule) => rule.method === (init?.method ?? "GET"));
    if (index < 0) return await fetch(input, init);
    const { fault, byteStream = false } = this.faults.splice(index, 1)[0]!;
    this.injected++;
    return await answer(fault, input, init, byteStream);
  };
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

async function answer(
  fault: Fault,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  byteStream: boolean,
): Promise<Response> {
  const body = (bytes: Uint8Array<ArrayBuffer>): BodyInit => byteStream ? byteStreamOf(bytes) : bytes;
  switch (fault) {
    case "slowDown":
      return new Response(errorXml("SlowDown", "Please reduce your request rate."), { status: 503 });
    case "internalError":
      return new Response(errorXml("InternalError", "We encountered an internal error."), { status: 500 });
    case "notImplemented":
      return new Response(
        errorXml("NotImplemented", "A header you provided implies functionality that is not implemented."),
        {
          status: 501,
        },
      );
    case "accessDenied":
      return new Response(errorXml("AccessDenied", "Access Denied"), { status: 403 });
    case "reset":
      throw new TypeError("error sending request: connection reset by peer");
    case "hang":
      return await new Promise((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
      });
    case "truncated": {
      const real = await fetch(input, init);
      const bytes = new Uint8Array(await real.arrayBuffer());
      const headers = new Headers(real.headers);
      headers.set("content-length", String(bytes.length)); // as sent; the body below stops short of it
      return new Response(body(bytes.slice(0, bytes.length >> 1)), { status: real.status, headers });
    }
    case "overlong": {
      const real = await fetch(input, init);
      const bytes = new Uint8Array(await real.arrayBuffer());
      const headers = new Headers(real.headers);
      headers.set("content-length", String(bytes.length)); // as sent; the body below runs past it
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      return new Response(body(longer), { status: real.status, headers });
    }
  }
}

/** `bytes` as a byte stream in chunks of 16 KiB (TLS records), which BYOB readers can read into. */
function byteStreamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return controller.byobRequest?.respond(0); // a pending BYOB read learns that the stream ended
      }
      controller.enqueue(bytes.slice(at, at + (16 << 10)));
      at += 16 << 10;
    },
  });
}

async function faultyBackend(tuning: { timeoutMs?: number; deleteBatchSize?: number } = {}) {
  const server = await s3Server();
  const faulty = new FaultyFetch();
  const options = { ...backendOptions(server, uniqueBucket("kept-faults")), create: true };
  const backend = await S3Backend.open({ ...options, fetch: faulty.fetch, timeoutMs: 300, ...tuning });
  return { backend, faulty };
}

Deno.test("S3 faults become transient BackendErrors (5xx, SlowDown, short bodies, resets, timeouts) or permanent ones (403)", async () => {
  const { backend, faulty } = await faultyBackend();
  try {
    const handle = { kind: "data" as const, name: seededName("faults") };
    await backend.put(handle, seededBytes("faults", 10_000));
    const expectations: [Fault, boolean, RegExp][] = [
      ["slowDown", false, /: HTTP 503 SlowDown: Please reduce your request rate\.$/],
      ["internalError", false, /: HTTP 500 InternalError: /],
      ["truncated", false, /: truncated body, 5000 of 10000 bytes arrived$/],
      ["reset", false, /: connection failed: error sending request: connection reset by peer$/],
      ["hang", false, /: no answer within 300 ms$/],
      [
        "accessDenied",
        true,
        /: HTTP 403 AccessDenied: Access Denied \(access key "[^"]+", bucket "kept-faults-/,
      ],
    ];
    for (const [fault, permanent, message] of expectations) {
      faulty.faults.push({ method: "GET", fault });
      await assert.rejects(backend.get(handle), (error) => {
        assert.ok(error instanceof BackendError, `${fault}: ${error}`);
        assert.equal(error.permanent, permanent, fault);
        assert.ok(error.message.startsWith(`Cannot read "data/`), error.message);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.deepEqual(await backend.get(handle), seededBytes("faults", 10_000), "no fault is left");
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("A pack whose body stops short of or runs past its Content-Length is a transient error, never used", async () => {
  const { backend, faulty } = await faultyBackend({ timeoutMs: 30_000 });
  try {
    // Above 1 MiB a body is read into a buffer of its declared size as it arrives (with a BYOB reader from a
    // byte stream, as real answers are); below, all at once.
    for (const [size, byteStream] of [[3 << 20, true], [3 << 20, false], [10_000, false]] as const) {
      const handle = { kind: "data" as const, name: seededName(`length${size}`) };
      await backend.put(handle, seededBytes("length", size)); // the same bytes again for the second 3 MiB
      for (
        const [fault, message] of [
          ["truncated", `truncated body, ${size >> 1} of ${size} bytes arrived`],
          ["overlong", `overlong body, more than ${size} bytes arrived`],
        ] as const
      ) {
        faulty.faults.push({ method: "GET", fault, byteStream });
        await assert.rejects(backend.get(handle), (error) => {
          assert.ok(
            error instanceof BackendError && !error.permanent,
            `${size} ${byteStream} ${fault}: ${error}`,
          );
          assert.ok(error.message.endsWith(`: ${message}`), error.message);
          return true;
        });
      }
      assert.ok(equalBytes(await backend.get(handle), seededBytes("length", size)), `${size}: no fault left`);
    }
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`RetryBackend(S3Backend)` gets through transient S3 faults and counts its retries", async () => {
  const { backend, faulty } = await faultyBackend();
  const retries: string[] = [];
  const retry = new RetryBackend(backend, {
    sleep: () => Promise.resolve(),
    onRetry: (event) =>
      retries.push(`${event.operation}: ${event.error.message.replace(/^Cannot \w+ "[^"]+": /, "")}`),
  });
  try {
    const handle = { kind: "index" as const, name: seededName("retried") };
    faulty.faults.push({ method: "PUT", fault: "slowDown" }, { method: "PUT", fault: "reset" });
    await retry.put(handle, seededBytes("retried", 3000));
    faulty.faults.push({ method: "GET", fault: "truncated" }, { method: "GET", fault: "internalError" });
    assert.deepEqual(await retry.get(handle), seededBytes("retried", 3000));
    faulty.faults.push({ method: "HEAD", fault: "hang" });
    assert.equal((await retry.stat(handle))?.size, 3000);
    assert.equal(faulty.injected, 5);
    assert.deepEqual(retries, [
      "put: HTTP 503 SlowDown: Please reduce your request rate.",
      "put: connection failed: error sending request: connection reset by peer",
      "get: truncated body, 1500 of 3000 bytes arrived",
      "get: HTTP 500 InternalError: We encountered an internal error.",
      "stat: no answer within 300 ms",
    ]);
    faulty.faults.push({ method: "GET", fault: "accessDenied" });
    await assert.rejects(retry.get(handle), (error) => error instanceof BackendError && error.permanent);
    assert.equal(retries.length, 5, "a permanent error is not retried");
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("`S3Backend.open()` retries a server that is busy or cut off at first, and gives up on a permanent refusal", async () => {
  const server = await s3Server();
  const faulty = new FaultyFetch();
  const waits: number[] = [];
  const options = {
    ...backendOptions(server, uniqueBucket("kept-open")),
    create: true,
    fetch: faulty.fetch,
    sleep: (ms: number) => (waits.push(ms), Promise.resolve()),
  };
  faulty.faults.push({ method: "GET", fault: "slowDown" }, { method: "GET", fault: "reset" });
  const backend = await S3Backend.open(options);
  await backend.close();
  assert.equal(faulty.injected, 2);
  assert.equal(waits.length, 2, "one wait before each new attempt");

  faulty.faults.push({ method: "GET", fault: "accessDenied" });
  await assert.rejects(S3Backend.open(options), (error) => error instanceof BackendError && error.permanent);
  assert.equal(waits.length, 2, "a permanent refusal is not retried");

  faulty.faults.push(
    ...Array.from({ length: 4 }, () => ({ method: "GET", fault: "internalError" as const })),
  );
  await assert.rejects(S3Backend.open(options), /HTTP 500 InternalError/);
  assert.equal(waits.length, 5, "four attempts in all, then the last error");
});

Deno.test("`S3Backend.open()` follows the region the server names for the bucket", async () => {
  const server = await s3Server();
  const faulty = new FaultyFetch();
  const options = {
    ...backendOptions(server, uniqueBucket("kept-region")),
    create: true,
    fetch: faulty.fetch,
  };
  const backend = await S3Backend.open({ ...options, region: "eu-west-1" });
  try {
    const handle = { kind: "index" as const, name: seededName("region") };
    await backend.put(handle, seededBytes("region", 100));
    assert.deepEqual(await backend.get(handle), seededBytes("region", 100));
    assert.equal(
      faulty.requests,
      5,
      "a refused probe, a probe, a bucket made, a put (no HEAD: an index file), a get",
    );
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});

Deno.test("S3 deleteMany removes 25 objects in 3 DeleteObjects requests of 10, and one by one where the server has none", async () => {
  const { backend, faulty } = await faultyBackend({ timeoutMs: 30_000, deleteBatchSize: 10 });
  try {
    const names = Array.from({ length: 28 }, (_, i) => seededName(`batch${i}`));
    const stored = new RetryBackend(backend);
    for (let i = 0; i < names.length; i += 100) {
      await Promise.all(
        names.slice(i, i + 100).map((name) => stored.put({ kind: "data", name }, new Uint8Array(1))),
      );
    }
    faulty.sent = [];
    await backend.deleteMany("data", names.slice(0, 25));
    assert.deepEqual(faulty.sent, ["POST ?delete", "POST ?delete", "POST ?delete"]);
    const left = [];
    for await (const entry of backend.list("data")) left.push(entry.name);
    assert.deepEqual(left.sort(), names.slice(25).sort());

    faulty.faults.push({ method: "POST", fault: "notImplemented" });
    faulty.sent = [];
    await backend.deleteMany("data", names.slice(25));
    assert.deepEqual(faulty.sent, ["POST ?delete", ...names.slice(25).map(() => "DELETE")]);
    faulty.sent = [];
    await backend.deleteMany("data", [names[0]!]);
    assert.deepEqual(faulty.sent, ["DELETE"], "it remembers: no second DeleteObjects");
    for await (const entry of backend.list("data")) assert.fail(`${entry.name} was not deleted`);
  } finally {
    await emptyBackend(backend);
    await backend.close();
  }
});
