/**
 * A repository in an S3-compatible bucket, under a key prefix, over `fetch` with SigV4 signatures. Layout
 * of keys: docs/format.md#files, below the prefix. Objects are written once: a `put` checks with HEAD that
 * the key is free (servers need not support `If-None-Match`), so creates are not atomic; packs, index files,
 * snapshots and locks, named by the hash of their bytes, are stored without the check (`REPLACEABLE_KINDS`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { AlreadyExistsError, BackendError, MissingStorageError, NotFoundError } from "../errors.ts";
import {
  type Backend,
  type BackendCapabilities,
  type ByteRange,
  checkHandle,
  checkRange,
  type CleanOptions,
  type CleanResult,
  eachLimited,
  FILE_KINDS,
  type FileEntry,
  type FileKind,
  type FileWriter,
  gatheringWriter,
  type Handle,
  handlePath,
  REPLACEABLE_KINDS,
} from "./backend.ts";
import { abortUpload, MIN_PART_SIZE, multipartPut, pendingUploads, uploadedBytes } from "./_s3_multipart.ts";
import {
  describe,
  escapeXml,
  type RequestContext,
  S3Client,
  type S3Credentials,
  type S3Response,
  xmlElements,
  xmlText,
} from "./_s3_request.ts";

export type { S3Credentials } from "./_s3_request.ts";

/** Requests in flight at once when the destination does not say (`connections`). */
export const DEFAULT_S3_CONNECTIONS = 8;
/** Objects one DeleteObjects request removes at most (the S3 API's limit). */
const DELETE_BATCH = 1000;
/** Time limit of one request, body included, when not given: long enough for a 16 MiB pack on a slow line. */
export const DEFAULT_S3_TIMEOUT_MS = 120_000;

/** Objects above this size are uploaded in parts (packs are 16 MiB: mostly for what comes later). */
export const DEFAULT_S3_MULTIPART_THRESHOLD = 64 << 20;
/** Bytes per part of a multipart upload when not given. */
export const DEFAULT_S3_PART_SIZE = 16 << 20;

/** Options of {@linkcode S3Backend.open}. */
export interface S3BackendOptions {
  /** `https://host[:port]` (or `http://` on a trusted network). */
  endpoint: string;
  bucket: string;
  /** Key prefix of the repository inside the bucket ("" for the bucket's root). */
  prefix: string;
  region: string;
  credentials: S3Credentials;
  /** Default: path style for an IP address, `localhost` or a host with a port; virtual-hosted otherwise. */
  pathStyle?: boolean | undefined;
  /** A PEM file of certificate authorities to trust besides the system's (a private CA). */
  caFile?: string | undefined;
  /** Requests in flight at once (default {@linkcode DEFAULT_S3_CONNECTIONS}). */
  connections?: number | undefined;
  /** Time limit of one request in ms (default {@linkcode DEFAULT_S3_TIMEOUT_MS}). */
  timeoutMs?: number | undefined;
  /** Create the bucket when it does not exist (for `init`); otherwise a missing bucket is an error. */
  create?: boolean | undefined;
  /** The clock that dates request signatures (tests). */
  now?: (() => Date) | undefined;
  /** Sends a request (default: the global `fetch`); tests put faults between the backend and the server. */
  fetch?: typeof fetch | undefined;
  /** Waits between attempts to open the bucket (default: a timer); tests pass one that returns at once. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Objects larger than this many bytes are stored in parts (default {@linkcode DEFAULT_S3_MULTIPART_THRESHOLD}). */
  multipartThreshold?: number | undefined;
  /** Bytes per part of a multipart upload, at least 5 MiB (default {@linkcode DEFAULT_S3_PART_SIZE}). */
  partSize?: number | undefined;
  /** Keys per ListObjectsV2 page (default: the server's, 1000 on AWS); tests page with fewer. */
  listPageSize?: number | undefined;
  /** Keys per DeleteObjects request (default and most: 1,000); tests batch with fewer. */
  deleteBatchSize?: number | undefined;
}

/** `s3://host/bucket/prefix` (`s3+http://…` over plain HTTP): how a bucket and prefix are named in messages. */
export function s3Location(options: Pick<S3BackendOptions, "endpoint" | "bucket" | "prefix">): string {
  const url = new URL(options.endpoint);
  const scheme = url.protocol === "http:" ? "s3+http" : "s3";
  const prefix = normalPrefix(options.prefix);
  return `${scheme}://${url.host}/${options.bucket}${prefix ? `/${prefix}` : ""}`;
}

/** A key prefix without slashes at either end. */
function normalPrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, "");
}

/** Whether an endpoint is addressed path-style by default: an IP address, localhost, or a host with a port. */
export function defaultPathStyle(endpoint: string): boolean {
  const url = new URL(endpoint);
  return url.port !== "" || url.hostname === "localhost" || /^[\d.]+$|^\[.*\]$/.test(url.hostname);
}

/**
 * A {@linkcode Backend} storing each file as one object in a bucket; objects above a threshold are uploaded
 * in parts, and `cleanTemporaryFiles` aborts the uploads that killed writers left unfinished.
 */
export class S3Backend implements Backend {
  /** `s3://host/bucket/prefix` (or `s3+http://…`). */
  readonly location: string;
  /** Object stores: no local files, no atomic create (check, then put), writers gather and put. */
  readonly capabilities: BackendCapabilities;
  readonly #client: S3Client;
  readonly #prefix: string;
  readonly #pageSize: number | undefined;
  readonly #deleteBatchSize: number;
  readonly #multipartThreshold: number;
  readonly #partSize: number;
  /** The endpoint as given, named when it does not answer as S3 does. */
  readonly #endpoint: string;
  /** `access key "…", bucket "…"`: named in messages when access is refused (the secret never is). */
  readonly #who: string;
  /** False once the server has said it does not implement DeleteObjects. */
  #batchDeletes = true;

  private constructor(client: S3Client, options: S3BackendOptions) {
    this.#client = client;
    this.#prefix = normalPrefix(options.prefix);
    this.#pageSize = options.listPageSize;
    this.#deleteBatchSize = Math.min(DELETE_BATCH, options.deleteBatchSize ?? DELETE_BATCH);
    this.#multipartThreshold = options.multipartThreshold ?? DEFAULT_S3_MULTIPART_THRESHOLD;
    this.#partSize = options.partSize ?? DEFAULT_S3_PART_SIZE;
    this.#endpoint = options.endpoint;
    this.#who = `access key "${options.credentials.accessKeyId}", bucket "${options.bucket}"`;
    this.location = s3Location(options);
    this.capabilities = Object.freeze({
      localFiles: false,
      atomicCreate: false,
      connections: options.connections ?? DEFAULT_S3_CONNECTIONS,
      writeThrough: false,
      flakyErrors: false,
    });
  }

  /**
   * Connects to a bucket: checks that it exists and that the credentials may use it (creating it first when
   * `options.create` and it is missing).
   *
   * @throws {BackendError} when the bucket is missing (and not to be created), access is denied, the
   * server cannot be reached or does not answer as an S3 server; the message names the bucket and the
   * server's error code.
   */
  static async open(options: S3BackendOptions): Promise<S3Backend> {
    const connections = options.connections ?? DEFAULT_S3_CONNECTIONS;
    if (!Number.isSafeInteger(connections) || connections < 1) {
      throw new RangeError(`Invalid S3 connections ${connections}: must be a positive integer`);
    }
    if (options.partSize !== undefined && !(options.partSize >= MIN_PART_SIZE)) {
      throw new RangeError(`Invalid S3 part size ${options.partSize}: must be at least ${MIN_PART_SIZE}`);
    }
    const caCerts = options.caFile === undefined ? undefined : [await readCaFile(options.caFile)];
    let region = options.region;
    for (let attempt = 1;; attempt++) {
      const client = new S3Client({
        endpoint: options.endpoint,
        bucket: options.bucket,
        region,
        credentials: options.credentials,
        pathStyle: options.pathStyle ?? defaultPathStyle(options.endpoint),
        connections,
        timeoutMs: options.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS,
        caCerts,
        now: options.now,
        fetch: options.fetch,
      });
      const backend = new S3Backend(client, options);
      try {
        await backend.#checkBucket(options.bucket, options.create ?? false);
        return backend;
      } catch (error) {
        client.close();
        // The server names the bucket's region: follow it once, as other S3 clients do.
        if (error instanceof WrongRegionError && error.region !== region && region === options.region) {
          region = error.region;
          continue;
        }
        // The first request may meet a server that is starting or busy: the same backoff as RetryBackend.
        if (!(error instanceof BackendError) || error.permanent || attempt >= OPEN_ATTEMPTS) throw error;
        await (options.sleep ?? sleep)(Math.floor(Math.random() * OPEN_BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }

  /** Lists at most one key: unlike HEAD, the answer says why it fails (`NoSuchBucket`, `SignatureDoesNotMatch`). */
  async #checkBucket(bucket: string, create: boolean): Promise<void> {
    const context = { operation: "open bucket", target: bucket };
    const query = { "list-type": "2", "max-keys": "1", prefix: this.#prefix };
    const probe = await this.#client.send({ method: "GET", key: "", query }, context);
    if (probe.status === 200) {
      // A web server, a console port or a captive portal answers 200 to everything: that is no bucket, and
      // taking it for one would read its page as the config file.
      if (text(probe).includes("<ListBucketResult")) return;
      const type = probe.headers.get("content-type");
      throw new BackendError(
        `Cannot open bucket "${bucket}": "${this.#endpoint}" does not answer as an S3 server ` +
          `(HTTP 200 with ${type ? `Content-Type "${type.slice(0, 100)}"` : "no Content-Type"}): ` +
          "check the URL and port",
        { permanent: true },
      );
    }
    const named = bucketRegion(probe);
    if (named !== undefined) throw new WrongRegionError(named, this.#statusError(context, probe).message);
    if (probe.status !== 404 || xmlText(text(probe), "Code") !== "NoSuchBucket") {
      throw this.#statusError(context, probe);
    }
    if (!create) {
      throw new MissingStorageError(
        `Cannot open bucket "${bucket}" at "${this.location}": it does not exist`,
        this.location,
      );
    }
    const creating = { operation: "create bucket", target: bucket };
    const made = await this.#client.send({ method: "PUT", key: "" }, creating);
    if (made.status !== 200 && xmlText(text(made), "Code") !== "BucketAlreadyOwnedByYou") {
      throw this.#statusError(creating, made);
    }
  }

  /** {@linkcode statusError}, naming the access key and bucket when access is refused. */
  #statusError(context: RequestContext, response: S3Response): BackendError {
    return statusError(
      context,
      response,
      response.status === 401 || response.status === 403 ? this.#who : "",
    );
  }

  /** Undefined: this backend stores files itself. */
  unwrap(): undefined {
    return undefined;
  }

  /**
   * Reads an object or a range of it.
   *
   * @throws {NotFoundError} when it does not exist.
   * @throws {BackendError} permanent ("truncated") when the range reaches past the end; transient for
   * timeouts, resets, short bodies, 5xx and 429; permanent for other refusals.
   */
  async get(handle: Handle, range?: ByteRange): Promise<Uint8Array> {
    const key = this.#key(handle);
    if (range !== undefined) checkRange(range);
    const context = { operation: "read", target: key };
    if (range !== undefined && range.length === 0) {
      const entry = await this.stat(handle);
      if (entry === undefined) throw notFound(key);
      if (range.offset > entry.size) throw pastEnd(context, range, entry.size);
      return new Uint8Array(0);
    }
    const headers: Record<string, string> = range === undefined
      ? {}
      : { range: `bytes=${range.offset}-${range.offset + range.length - 1}` };
    const response = await this.#client.send({ method: "GET", key, headers }, context);
    if (response.status === 404) throw notFound(key);
    if (response.status === 416) {
      const size = totalOf(response) ?? (await this.stat(handle))?.size;
      if (size === undefined) throw notFound(key);
      throw pastEnd(context, range!, size);
    }
    if (response.status !== 200 && response.status !== 206) throw this.#statusError(context, response);
    if (range === undefined) return response.body;
    return rangeOf(response, range, context);
  }

  /**
   * Stores an object with its MD5 (the server checks it), after checking with HEAD that the key is free;
   * the kinds named by the hash of their bytes ({@linkcode REPLACEABLE_KINDS}) go without the check, a
   * request less per pack, snapshot and lock, and storing one again stores the same bytes.
   *
   * @throws {AlreadyExistsError} when an object of that name exists and is not replaceable.
   * @throws {BackendError} as `get` does.
   */
  async put(handle: Handle, data: Uint8Array): Promise<void> {
    const key = this.#key(handle);
    if (!REPLACEABLE_KINDS.has(handle.kind) && (await this.#head(key, "store")) !== undefined) {
      throw new AlreadyExistsError(
        `Cannot store "${key}" in "${this.location}": an object of that name exists`,
      );
    }
    if (data.length > this.#multipartThreshold) {
      const fail = (context: RequestContext, response: S3Response) => this.#statusError(context, response);
      return await multipartPut(this.#client, key, data, { partSize: this.#partSize, fail });
    }
    const md5 = createHash("md5").update(data).digest("base64");
    const context = { operation: "store", target: key };
    const response = await this.#client.send(
      {
        method: "PUT",
        key,
        body: data,
        headers: { "content-md5": md5, "content-type": "application/octet-stream" },
      },
      context,
    );
    if (response.status !== 200) throw this.#statusError(context, response);
  }

  /** A writer that gathers the bytes and stores them with `put` at commit. */
  openWriter(kind: FileKind): FileWriter {
    return gatheringWriter(this, kind);
  }

  /** Lists the objects of one kind with ListObjectsV2, page by page. */
  async *list(kind: FileKind): AsyncGenerator<FileEntry> {
    const folder = kind === "config" ? this.#full("config") : this.#full(`${kind}/`);
    let token: string | undefined;
    do {
      const query: Record<string, string> = { "list-type": "2", prefix: folder };
      if (token !== undefined) query["continuation-token"] = token;
      if (this.#pageSize !== undefined) query["max-keys"] = String(this.#pageSize);
      const context = { operation: "list", target: folder };
      const response = await this.#client.send({ method: "GET", key: "", query }, context);
      if (response.status !== 200) throw this.#statusError(context, response);
      const xml = text(response);
      for (const item of xmlElements(xml, "Contents")) {
        const entry = this.#listed(kind, item);
        if (entry !== undefined) yield entry;
      }
      token = xmlText(xml, "IsTruncated") === "true" ? xmlText(xml, "NextContinuationToken") : undefined;
    } while (token !== undefined);
  }

  /** The entry of one listed object, or undefined for keys that are no file of this kind. */
  #listed(kind: FileKind, item: string): FileEntry | undefined {
    const handle = this.#fileOf(xmlText(item, "Key") ?? "");
    if (handle?.kind !== kind) return undefined;
    const mtime = Date.parse(xmlText(item, "LastModified") ?? "");
    return { name: handle.name, size: Number(xmlText(item, "Size") ?? "0"), mtime: wholeSeconds(mtime) };
  }

  /**
   * The file of this repository a key names, or undefined for a key outside its layout: the bucket or a
   * parent prefix may hold other programs' objects and other repositories, which are never ours to list
   * or clean up.
   */
  #fileOf(key: string): Handle | undefined {
    const base = this.#full("");
    if (!key.startsWith(base)) return undefined;
    const path = key.slice(base.length);
    const kind = path === "config" ? "config" : path.split("/", 1)[0]!;
    if (!(FILE_KINDS as readonly string[]).includes(kind)) return undefined;
    const handle = { kind: kind as FileKind, name: path.slice(path.lastIndexOf("/") + 1) };
    try {
      checkHandle(handle);
    } catch {
      return undefined;
    }
    return handlePath(handle) === path ? handle : undefined;
  }

  /** Size and time of an object (from HEAD), or undefined when it does not exist. */
  async stat(handle: Handle): Promise<FileEntry | undefined> {
    const head = await this.#head(this.#key(handle), "stat");
    return head === undefined ? undefined : { name: handle.name, ...head };
  }

  async #head(key: string, operation: string): Promise<{ size: number; mtime: number } | undefined> {
    const context = { operation, target: key };
    const response = await this.#client.send({ method: "HEAD", key }, context);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw this.#statusError(context, response);
    const mtime = Date.parse(response.headers.get("last-modified") ?? "");
    return { size: Number(response.headers.get("content-length") ?? "0"), mtime: wholeSeconds(mtime) };
  }

  /** Removes an object; a missing object is not an error. */
  async delete(handle: Handle): Promise<void> {
    const key = this.#key(handle);
    const context = { operation: "delete", target: key };
    const response = await this.#client.send({ method: "DELETE", key }, context);
    if (response.status !== 204 && response.status !== 200 && response.status !== 404) {
      throw this.#statusError(context, response);
    }
  }

  /**
   * Removes objects with DeleteObjects, up to 1,000 a request, `connections` requests at once; missing
   * objects are not an error. A server that does not implement DeleteObjects gets one DELETE each.
   *
   * @throws {BackendError} naming the first object the server would not delete, with its code.
   */
  async deleteMany(kind: FileKind, names: readonly string[]): Promise<void> {
    const batches: (readonly string[])[] = [];
    const size = this.#deleteBatchSize;
    for (let i = 0; i < names.length; i += size) batches.push(names.slice(i, i + size));
    await eachLimited(batches, this.capabilities.connections, async (batch) => {
      if (!this.#batchDeletes || !(await this.#deleteBatch(kind, batch))) {
        this.#batchDeletes = false;
        for (const name of batch) await this.delete({ kind, name });
      }
    });
  }

  /** One DeleteObjects request; false when the server does not implement it. */
  async #deleteBatch(kind: FileKind, names: readonly string[]): Promise<boolean> {
    const keys = names.map((name) => this.#key({ kind, name }));
    const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join("");
    const body = new TextEncoder().encode(`<Delete><Quiet>true</Quiet>${objects}</Delete>`);
    const context = { operation: "delete", target: `${keys.length} objects from ${keys[0]}` };
    const response = await this.#client.send({
      method: "POST",
      key: "",
      query: { delete: "" },
      body,
      headers: {
        "content-md5": createHash("md5").update(body).digest("base64"),
        "content-type": "application/xml",
      },
    }, context);
    if (response.status === 501 || (response.status === 400 && /NotImplemented/.test(text(response)))) {
      return false;
    }
    if (response.status !== 200) throw this.#statusError(context, response);
    for (const error of xmlElements(text(response), "Error")) {
      if (xmlText(error, "Code") === "NoSuchKey") continue;
      throw new BackendError(
        `Cannot delete "${xmlText(error, "Key")}" in "${this.location}": ` +
          `${xmlText(error, "Code") ?? "error"} ${xmlText(error, "Message") ?? ""}`.trim(),
        { permanent: false },
      );
    }
    return true;
  }

  /**
   * Aborts the multipart uploads of this repository's files that were started more than `olderThanMs`
   * before `options.now` (a single PUT that fails leaves nothing behind); uploads of other keys under the
   * prefix belong to other programs or repositories and are left alone. Paths are reported relative to the
   * repository, sizes as the parts uploaded so far.
   *
   * @throws {BackendError} when the uploads cannot be listed or aborted.
   */
  async cleanTemporaryFiles(olderThanMs: number, options: CleanOptions = {}): Promise<CleanResult> {
    const fail = (context: RequestContext, response: S3Response) => this.#statusError(context, response);
    const cutoff = (options.now ?? Date.now()) - olderThanMs;
    const uploads = await pendingUploads(this.#client, this.#full(""), fail);
    const result: CleanResult = { removed: [], bytes: 0 };
    for (const upload of uploads) {
      if (upload.initiated > cutoff || this.#fileOf(upload.key) === undefined) continue;
      result.bytes += await uploadedBytes(this.#client, upload);
      if (!options.dryRun) await abortUpload(this.#client, upload.key, upload.uploadId, fail);
      result.removed.push(upload.key.slice(this.#full("").length));
    }
    return result;
  }

  /** Releases the HTTP client. */
  close(): Promise<void> {
    this.#client.close();
    return Promise.resolve();
  }

  #key(handle: Handle): string {
    checkHandle(handle);
    return this.#full(handlePath(handle));
  }

  #full(path: string): string {
    return this.#prefix === "" ? path : `${this.#prefix}/${path}`;
  }
}

/** Object stores keep times to the second (and list and HEAD may differ below it): whole seconds, up. */
function wholeSeconds(ms: number): number {
  return Number.isFinite(ms) ? Math.ceil(ms / 1000) * 1000 : 0;
}

function text(response: S3Response): string {
  return new TextDecoder().decode(response.body);
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`Cannot read "${key}": it does not exist`);
}

function pastEnd(context: RequestContext, range: ByteRange, size: number): BackendError {
  return new BackendError(
    `${describe(context)}: truncated, wanted ${range.length} bytes at offset ${range.offset} ` +
      `but the file ends at ${size}`,
    { permanent: true },
  );
}

/** The object's whole size from a `Content-Range: bytes a-b/size` (or `bytes *` then the size) header. */
function totalOf(response: S3Response): number | undefined {
  const match = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "");
  return match ? Number(match[1]) : undefined;
}

/** The bytes of a ranged GET, checked against what was asked (a server may ignore the range). */
function rangeOf(response: S3Response, range: ByteRange, context: RequestContext): Uint8Array {
  if (response.status === 200) {
    const body = response.body; // the whole object: the server ignored the range
    if (range.offset + range.length > body.length) throw pastEnd(context, range, body.length);
    return body.slice(range.offset, range.offset + range.length);
  }
  const size = totalOf(response);
  if (size !== undefined && range.offset + range.length > size) throw pastEnd(context, range, size);
  const start = /bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
  if (start !== undefined && Number(start) !== range.offset) {
    throw new BackendError(`${describe(context)}: the server sent bytes from ${start}, not ${range.offset}`, {
      permanent: false,
    });
  }
  if (response.body.length !== range.length) {
    throw new BackendError(
      `${describe(context)}: truncated body, ${response.body.length} of ${range.length} bytes arrived`,
      { permanent: false },
    );
  }
  return response.body;
}

/** Attempts at the first request of a bucket, and the cap of the first wait between them. */
const OPEN_ATTEMPTS = 4;
const OPEN_BACKOFF_MS = 250;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The bucket is in another region than the requests were signed for. */
class WrongRegionError extends BackendError {
  readonly region: string;
  constructor(region: string, message: string) {
    super(message, { permanent: true });
    this.region = region;
  }
}

/**
 * The region a refusal names as the bucket's: AWS answers a request signed for the wrong region with
 * `AuthorizationHeaderMalformed` (and a `Region` element) or a 301 with `x-amz-bucket-region`.
 */
function bucketRegion(response: S3Response): string | undefined {
  const header = response.headers.get("x-amz-bucket-region");
  if (response.status === 301 && header) return header;
  if (response.status !== 400 && response.status !== 301) return undefined;
  const xml = text(response);
  const code = xmlText(xml, "Code");
  if (code !== "AuthorizationHeaderMalformed" && code !== "PermanentRedirect") return undefined;
  return xmlText(xml, "Region") || undefined;
}

/**
 * The error of an answer that is not what the operation expects: transient for 5xx, 429 and SlowDown;
 * permanent otherwise, with the server's code and message (`AccessDenied: Access Denied`).
 */
function statusError(context: RequestContext, response: S3Response, who: string): BackendError {
  const xml = text(response);
  const code = xmlText(xml, "Code");
  const message = xmlText(xml, "Message");
  const detail = [code, message].filter((part) => part !== undefined && part !== "").join(": ");
  const transient = response.status >= 500 || response.status === 429 || code === "SlowDown" ||
    code === "RequestTimeout";
  const hint = code === "RequestTimeTooSkewed" ? " (check this machine's clock)" : "";
  const region = xmlText(xml, "Region");
  const regionHint = region ? ` (the bucket is in region "${region}": set region)` : "";
  const whoHint = who ? ` (${who})` : "";
  return new BackendError(
    `${describe(context)}: HTTP ${response.status}${
      detail ? ` ${detail}` : ""
    }${hint}${regionHint}${whoHint}`,
    { permanent: !transient },
  );
}

/**
 * The PEM text of a CA file. Only a regular file is read (a FIFO would block kept for good), and it must
 * hold a certificate: a key or other text given by mistake would otherwise only show as `UnknownIssuer`.
 *
 * @throws {BackendError} (permanent) naming the file and what is wrong with it.
 */
async function readCaFile(path: string): Promise<string> {
  const refuse = (why: string, cause?: unknown) =>
    new BackendError(`Cannot use CA file "${path}": ${why}`, { permanent: true, cause });
  let text: string;
  try {
    if (!(await Deno.stat(path)).isFile) throw refuse("it is not a regular file");
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof BackendError) throw error;
    throw refuse((error as Error).message, error);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw refuse("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  return text;
}
