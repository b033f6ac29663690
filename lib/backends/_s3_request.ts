/**
 * Signed S3 requests over `fetch`: SigV4 by `@smithy/signature-v4` with SHA-256 and HMAC from node:crypto,
 * a bound on requests in flight, per-request timeouts, and failures turned into `BackendError`s that say
 * whether a retry can help.
 *
 * @module
 */

import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { SignatureV4 } from "@smithy/signature-v4";
import { BackendError } from "../errors.ts";

/** Credentials that sign requests. */
export interface S3Credentials {
  /** The access key id (safe to show in messages). */
  accessKeyId: string;
  /** The secret key: never logged, never in a message. */
  secretAccessKey: string;
  /** A temporary session token, sent as `x-amz-security-token`. */
  sessionToken?: string | undefined;
}

/** What a request is about, for messages: "read", "data/ab/ab12…". */
export interface RequestContext {
  /** The operation, as a verb: "read", "store", "list", "stat", "delete". */
  operation: string;
  /** The object key or bucket the request is about. */
  target: string;
}

/** One request to send. */
export interface S3Request {
  method: "GET" | "PUT" | "HEAD" | "DELETE" | "POST";
  /** The object key, unencoded ("" for the bucket itself). */
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

/** An answer whose body was read in full (and checked against its Content-Length). */
export interface S3Response {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** The hex SHA-256 of no bytes. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * The `x-amz-content-sha256` of a body. Over HTTPS, `UNSIGNED-PAYLOAD` (as AWS's own SDKs send): TLS keeps
 * the body intact on the way and Content-MD5 has the server check what it stores, so hashing every pack
 * once more for the signature would buy nothing. Over plain HTTP the signature covers the body.
 */
function payloadHash(body: Uint8Array | undefined, https: boolean): string {
  if (body === undefined || body.length === 0) return EMPTY_SHA256;
  return https ? "UNSIGNED-PAYLOAD" : createHash("sha256").update(body).digest("hex");
}

/** `@smithy/signature-v4`'s hash contract over node:crypto: SHA-256, or HMAC-SHA256 when given a key. */
class NodeSha256 {
  #secret: Uint8Array | string | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret = secret === undefined || typeof secret === "string" ? secret : toBytes(secret);
    this.#hash = this.#fresh();
  }

  update(chunk: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof chunk === "string" ? chunk : toBytes(chunk));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }

  reset(): void {
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash("sha256") : createHmac("sha256", this.#secret);
  }
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Settings of an {@linkcode S3Client}. */
export interface S3ClientOptions {
  /** `https://host[:port]` or `http://host[:port]`. */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: S3Credentials;
  /** Bucket in the path (`host/bucket/key`) rather than the host name (`bucket.host/key`). */
  pathStyle: boolean;
  /** Requests in flight at once. */
  connections: number;
  /** Time limit of one request, body included, in ms. */
  timeoutMs: number;
  /** PEM certificates to trust besides the system's. */
  caCerts?: string[] | undefined;
  /** The clock that dates signatures (tests). */
  now?: (() => Date) | undefined;
  /** Sends a request (default: the global `fetch`); tests put faults between the client and the server. */
  fetch?: typeof fetch | undefined;
}

/** Sends signed requests to one bucket, at most `connections` at once. */
export class S3Client {
  readonly #options: S3ClientOptions;
  /** Loaded on first use: the package costs ~35 ms of start-up that commands on a local disk never need. */
  readonly #signer: Promise<SignatureV4>;
  readonly #base: URL;
  readonly #httpClient: Deno.HttpClient | undefined;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  /** @throws {TypeError} for an endpoint that is not an http(s) URL. */
  constructor(options: S3ClientOptions) {
    this.#options = options;
    const endpoint = new URL(options.endpoint);
    this.#base = options.pathStyle
      ? new URL(`${endpoint.protocol}//${endpoint.host}/${encodeSegment(options.bucket)}/`)
      : new URL(`${endpoint.protocol}//${options.bucket}.${endpoint.host}/`);
    this.#signer = import("@smithy/signature-v4").then(({ SignatureV4 }) =>
      new SignatureV4({
        service: "s3",
        region: options.region,
        credentials: {
          accessKeyId: options.credentials.accessKeyId,
          secretAccessKey: options.credentials.secretAccessKey,
          ...(options.credentials.sessionToken ? { sessionToken: options.credentials.sessionToken } : {}),
        },
        sha256: NodeSha256,
        uriEscapePath: false, // S3 signs the path as sent, already encoded once
      })
    );
    this.#httpClient = options.caCerts?.length
      ? Deno.createHttpClient({ caCerts: options.caCerts })
      : undefined;
  }

  /** The bucket's URL (for messages). */
  get bucketUrl(): string {
    return this.#base.href;
  }

  /**
   * Sends one request and reads its whole answer. Never throws for an HTTP status: the caller decides what
   * a 404 means.
   *
   * @throws {BackendError} for a timeout, a refused or reset connection, a TLS or DNS failure, or a body
   * shorter than its Content-Length (all transient but TLS certificate problems).
   */
  async send(request: S3Request, context: RequestContext): Promise<S3Response> {
    await this.#slot();
    try {
      return await this.#sendNow(request, context);
    } finally {
      this.#release();
    }
  }

  async #sendNow(request: S3Request, context: RequestContext): Promise<S3Response> {
    const url = new URL(encodeKey(request.key), this.#base);
    const query = request.query ?? {};
    url.search = Object.keys(query).sort().map((name) => `${escape(name)}=${escape(query[name]!)}`).join("&");
    const body = request.body;
    const headers: Record<string, string> = {
      host: url.host,
      "x-amz-content-sha256": payloadHash(body, url.protocol === "https:"),
      ...request.headers,
    };
    const signed = await (await this.#signer).sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === "" ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers,
    }, this.#options.now ? { signingDate: this.#options.now() } : {});
    const sent = new Headers();
    for (const [name, value] of Object.entries(signed.headers)) if (name !== "host") sent.set(name, value);
    const init: RequestInit & { client?: Deno.HttpClient } = {
      method: request.method,
      headers: sent,
      signal: AbortSignal.timeout(this.#options.timeoutMs),
      ...(body === undefined ? {} : { body: body as Uint8Array<ArrayBuffer> }),
      ...(this.#httpClient ? { client: this.#httpClient } : {}),
    };
    try {
      const response = await (this.#options.fetch ?? fetch)(url, init);
      const bytes = request.method === "HEAD" ? new Uint8Array(0) : await readBody(response, context);
      return { status: response.status, headers: response.headers, body: bytes };
    } catch (error) {
      if (error instanceof BackendError) throw error;
      throw networkError(context, error, this.#options.timeoutMs);
    }
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#httpClient?.close();
  }

  #slot(): Promise<void> {
    if (this.#active < this.#options.connections) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // the slot passes on
    else this.#active--;
  }
}

/** Bodies of at least this many bytes (packs) are read into a buffer of their size as they arrive. */
const READ_INTO_MIN = 1 << 20;

/**
 * The whole body of an answer. A large one with a Content-Length is read straight into one buffer of that
 * size: `arrayBuffer()` holds about twice a pack's size for a while, and a restore downloads several packs
 * at once. Small bodies take `arrayBuffer()`: one call instead of a read per TLS record.
 *
 * @throws {BackendError} (transient) when fewer or more bytes arrive than the Content-Length says.
 */
async function readBody(response: Response, context: RequestContext): Promise<Uint8Array> {
  const declared = response.headers.get("content-length");
  const length = declared === null ? NaN : Number(declared);
  let bytes: Uint8Array;
  let arrived: number;
  if (response.body === null || !Number.isSafeInteger(length) || length < READ_INTO_MIN) {
    bytes = new Uint8Array(await response.arrayBuffer());
    arrived = bytes.length;
    if (declared === null) return bytes;
  } else {
    ({ bytes, arrived } = await readInto(response.body, length));
  }
  if (arrived < length) {
    throw new BackendError(`${describe(context)}: truncated body, ${arrived} of ${declared} bytes arrived`, {
      permanent: false,
    });
  }
  if (arrived > length) {
    throw new BackendError(`${describe(context)}: overlong body, more than ${declared} bytes arrived`, {
      permanent: false,
    });
  }
  return bytes;
}

/**
 * Reads `body` into a new buffer of `length` bytes; `arrived` counts what came, and is above `length` when
 * the body runs past it (the rest is not read).
 */
async function readInto(
  body: ReadableStream<Uint8Array>,
  length: number,
): Promise<{ bytes: Uint8Array; arrived: number }> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a Response made in JavaScript): its chunks are copied in as they come.
    const bytes = new Uint8Array(length);
    let arrived = 0;
    for await (const chunk of body) {
      if (arrived + chunk.length > length) return { bytes, arrived: arrived + chunk.length };
      bytes.set(chunk, arrived);
      arrived += chunk.length;
    }
    return { bytes, arrived };
  }
  try {
    // Each read transfers the buffer to the stream and gives it back, filled a little further.
    let buffer = new ArrayBuffer(length);
    let arrived = 0;
    while (arrived < length) {
      const { value, done } = await reader.read(new Uint8Array(buffer, arrived));
      if (value !== undefined) buffer = value.buffer as ArrayBuffer;
      if (done || value === undefined) break;
      arrived += value.byteLength;
    }
    if (arrived === length && !(await reader.read(new Uint8Array(1))).done) arrived++;
    return { bytes: new Uint8Array(buffer), arrived };
  } finally {
    await reader.cancel().catch(() => {}); // a body that ran past its length is not read on
  }
}

/** `Cannot read "data/ab/…" in "http://…/bucket/"`. */
export function describe(context: RequestContext): string {
  return `Cannot ${context.operation} "${context.target}"`;
}

/** A failure before any HTTP status: timeouts, resets and DNS are transient, certificates permanent. */
function networkError(context: RequestContext, error: unknown, timeoutMs: number): BackendError {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return new BackendError(`${describe(context)}: no answer within ${timeoutMs} ms`, {
      permanent: false,
      cause: error,
    });
  }
  const message = causes(error);
  const certificate = /certificate|UnknownIssuer|tls handshake/i.test(message);
  return new BackendError(
    `${describe(context)}: ${certificate ? "TLS failure" : "connection failed"}: ${message}`,
    { permanent: certificate, cause: error },
  );
}

/** The innermost useful message of an error and its causes, on one line ("fetch failed" says nothing). */
function causes(error: unknown): string {
  let message = "";
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    if (text !== "" && text !== "fetch failed") message = text;
    current = current instanceof Error ? current.cause : undefined;
  }
  return (message || "fetch failed").replace(/\s+/g, " ").trim();
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function escape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function encodeSegment(segment: string): string {
  return escape(segment);
}

/** An object key as a relative URL path: each segment encoded, slashes kept. */
function encodeKey(key: string): string {
  return key.split("/").map(encodeSegment).join("/");
}

/** The text of the first `<tag>` in an XML document, with entities decoded. */
export function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match === null ? undefined : decodeXml(match[1]!);
}

/** Every `<tag>…</tag>` element's inner XML. */
export function xmlElements(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((match) => match[1]!);
}

/** Text as XML character data (keys in request bodies). */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name, dec, hex) => {
    if (dec !== undefined) return String.fromCodePoint(Number(dec));
    if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16));
    return { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" }[name as "lt"] ?? "";
  });
}
